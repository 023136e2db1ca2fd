/// Makefile-syntax dependency files (`kevc compile --depfile`), as Ninja's `depfile =` and CMake's `DEPFILE` read
/// them: one rule `out1 out2: in1 in2`, with spaces, `#` and `$` escaped as GCC's `-MD` does.
public enum Depfile {
  public static func render(targets: [String], dependencies: [String]) -> String {
    "\(targets.map(escape).joined(separator: " ")): \(dependencies.map(escape).joined(separator: " \\\n  "))\n"
  }

  static func escape(_ path: String) -> String {
    var out = ""
    for c in path {
      switch c {
      case " ": out += "\\ "
      case "#": out += "\\#"
      case "$": out += "$$"
      default: out.append(c)
      }
    }
    return out
  }
}
