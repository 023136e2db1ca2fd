import Foundation

/// A stable identifier of a kind of diagnostic, e.g. `kevc.spec.unknown-name`.
///
/// Identifiers never change meaning once published: tests, build systems and the search database match on them.
public struct DiagnosticID: Hashable, Codable, Sendable, CustomStringConvertible {
  public var domain: String
  public var name: String

  public init(_ domain: String, _ name: String) {
    self.domain = domain
    self.name = name
  }

  public var description: String { "kevc.\(domain).\(name)" }
}

public enum Severity: String, Hashable, Codable, Sendable {
  case error, warning, note
}

/// One message about the input, in clang's style: located, lower-case, no trailing period.
public struct Diagnostic: Hashable, Codable, Sendable, Error, CustomStringConvertible {
  public var severity: Severity
  public var id: DiagnosticID
  public var message: String
  public var location: SourceLocation
  /// Further located explanations ("'k' was inferred from x here").
  public var notes: [Note]

  public struct Note: Hashable, Codable, Sendable {
    public var message: String
    public var location: SourceLocation
    public init(_ message: String, at location: SourceLocation) {
      self.message = message
      self.location = location
    }
  }

  public init(
    _ severity: Severity = .error, _ id: DiagnosticID, _ message: String, at location: SourceLocation,
    notes: [Note] = []
  ) {
    self.severity = severity
    self.id = id
    self.message = message
    self.location = location
    self.notes = notes
  }

  public static func error(_ id: DiagnosticID, _ message: String, at location: SourceLocation) -> Diagnostic {
    Diagnostic(.error, id, message, at: location)
  }

  /// The one-line form: `file:line:col: error: message [kevc.domain.name]`.
  public var description: String {
    "\(location): \(severity.rawValue): \(message) [\(id)]"
  }
}

/// A failure made of one or more diagnostics; what every stage throws.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
  public var diagnostics: [Diagnostic]
  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
  public init(_ diagnostic: Diagnostic) { self.diagnostics = [diagnostic] }
  public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Renders diagnostics for humans (source line and caret) or machines (JSON lines).
public struct DiagnosticRenderer: Sendable {
  public enum Format: String, Sendable, CaseIterable {
    case text, json
  }

  public var format: Format
  /// Source texts by path, to quote the offending line.
  public var sources: [String: SourceFile]

  public init(format: Format, sources: [SourceFile] = []) {
    self.format = format
    self.sources = Dictionary(sources.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
  }

  public func render(_ diagnostics: [Diagnostic]) -> String {
    switch format {
    case .text: return diagnostics.map(renderText).joined()
    case .json: return diagnostics.map(renderJSON).joined()
    }
  }

  /// clang style: the one-line form, then the source line and a caret under the column.
  public func renderText(_ d: Diagnostic) -> String {
    var out = d.description + "\n"
    out += quote(d.location)
    for note in d.notes {
      out += "\(note.location): note: \(note.message)\n"
      out += quote(note.location)
    }
    return out
  }

  private func quote(_ location: SourceLocation) -> String {
    guard location.isKnown, let line = sources[location.file]?.line(location.line) else { return "" }
    let gutter = String(location.line)
    let pad = String(repeating: " ", count: gutter.count)
    // Keep tabs so that the caret lines up under the same characters.
    let prefix = line.utf8.prefix(max(0, location.column - 1)).map { $0 == 9 ? "\t" : " " }.joined()
    return "\(gutter) | \(line)\n\(pad) | \(prefix)^\n"
  }

  /// One JSON object per line, with the fields of the one-line form.
  public func renderJSON(_ d: Diagnostic) -> String {
    var object: [String: Any] = [
      "severity": d.severity.rawValue, "id": d.id.description, "message": d.message,
      "file": d.location.file, "line": d.location.line, "column": d.location.column,
    ]
    if !d.notes.isEmpty {
      object["notes"] = d.notes.map {
        ["message": $0.message, "file": $0.location.file, "line": $0.location.line, "column": $0.location.column]
      }
    }
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return (String(data: data, encoding: .utf8) ?? "{}") + "\n"
  }
}
