/// A position in a source file: 1-based line and column (columns count UTF-8 bytes).
///
/// Every IR object created from a spec carries the location of the spec text it came from, so that an error found
/// by any later stage still points at the user's source.
public struct SourceLocation: Hashable, Codable, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  /// A location for objects that have no source text (built by a pass, or read from JSON).
  public static let unknown = SourceLocation(file: "<unknown>", line: 0, column: 0)

  public var isKnown: Bool { line > 0 }

  public var description: String { "\(file):\(line):\(column)" }
}

/// The text of a source file, kept so that diagnostics can quote the offending line.
public struct SourceFile: Sendable {
  public let path: String
  public let text: String
  private let lines: [Substring]

  public init(path: String, text: String) {
    self.path = path
    self.text = text
    self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
  }

  /// The text of a 1-based line, without its newline; nil when out of range.
  public func line(_ number: Int) -> String? {
    guard number >= 1, number <= lines.count else { return nil }
    var line = lines[number - 1]
    if line.hasSuffix("\r") { line = line.dropLast() }
    return String(line)
  }
}
