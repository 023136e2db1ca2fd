import Foundation
import KevcBasic

/// Parses `--shape M=1024,N=4096` into dim bindings, with errors located in the argument text.
public enum ShapeArgument {
  public static func parse(_ text: String) throws(DiagnosticError) -> [String: Int] {
    var bindings: [String: Int] = [:]
    var column = 1
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      defer { column += item.utf8.count + 1 }
      let here = SourceLocation(file: "--shape", line: 1, column: column)
      let parts = item.split(separator: "=", omittingEmptySubsequences: false)
      let name = parts.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
      guard parts.count == 2, isIdentifier(name) else {
        throw DiagnosticError(
          .error(
            DiagnosticID("driver", "bad-shape-argument"),
            "expected NAME=VALUE in --shape, got '\(item)'", at: here))
      }
      let valueText = parts[1].trimmingCharacters(in: .whitespaces)
      guard let value = Int(valueText), value >= 1 else {
        throw DiagnosticError(
          .error(
            DiagnosticID("driver", "bad-shape-argument"),
            "the value of '\(name)' in --shape must be a positive integer, got '\(valueText)'", at: here))
      }
      if bindings[name] != nil {
        throw DiagnosticError(
          .error(DiagnosticID("driver", "bad-shape-argument"), "'\(name)' is given twice in --shape", at: here))
      }
      bindings[name] = value
    }
    return bindings
  }

  private static func isIdentifier(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, first == "_" || first.properties.isAlphabetic, first.isASCII else {
      return false
    }
    return s.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
  }
}
