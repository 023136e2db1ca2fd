/// kevc's version: printed by `kevc --version` and recorded in every `--emit meta` file.
public enum KevcVersion {
  public static let string = "0.1.0"
}
