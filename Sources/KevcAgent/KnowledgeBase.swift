/// The agent's knowledge base: markdown documents written for kevc's rewrite vocabulary, shipped in `docs/kb/`, plus
/// documents a user adds (`kevc kb add`, stored in the tuning database's `kb_documents`), indexed in an in-memory
/// SQLite FTS5 table and ranked by bm25. The agent queries it with terms built from a candidate's runtime signals
/// (`RuntimeSignals`): memory- or compute-bound, far from the roofline floor, compile errors, wrong results,
/// timeouts, resource limits, the target. Documents are data in the prompt: they cannot widen what the agent may do
/// (every proposal is still parsed and checked by the compiler).
import Foundation
import KevcSearch

public struct KBDocument: Sendable, Hashable {
  /// The file's base name (`contraction-dot-tiles`), unique.
  public var name: String
  public var title: String
  public var tags: String
  public var body: String
  /// "shipped" (docs/kb) or "user" (kevc kb add).
  public var source: String

  /// Reads `# Title` from the first heading and `tags: ...` from a line of its own.
  public init(name: String, markdown: String, source: String) {
    self.name = name
    self.source = source
    var title = name
    var tags = ""
    for line in markdown.split(separator: "\n").prefix(12) {
      if line.hasPrefix("# "), title == name { title = String(line.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
      if line.lowercased().hasPrefix("tags:") { tags = String(line.dropFirst(5)).trimmingCharacters(in: .whitespaces) }
    }
    self.title = title
    self.tags = tags
    self.body = markdown
  }
}

public struct KBHit: Sendable {
  public var document: KBDocument
  public var score: Double
  public var query: String
}

public final class KnowledgeBase {
  public let documents: [KBDocument]
  let connection: SQLiteConnection

  public init(documents: [KBDocument]) throws {
    self.documents = documents
    connection = try SQLiteConnection(path: ":memory:")
    try connection.exec("CREATE VIRTUAL TABLE kb USING fts5(name, title, tags, body, tokenize = 'porter unicode61')")
    for d in documents {
      try connection.query(
        "INSERT INTO kb (name, title, tags, body) VALUES (?1, ?2, ?3, ?4)",
        [.text(d.name), .text(d.title), .text(d.tags), .text(d.body)])
    }
  }

  /// The shipped documents' folder: `--kb-dir`, else `$KEVC_KB_DIR`, else `docs/kb` in the current directory or
  /// above it, or above the kevc executable (a build tree inside the repository).
  public static func shippedDirectory(_ explicit: String?) -> String? {
    if let explicit, !explicit.isEmpty { return explicit }
    if let env = ProcessInfo.processInfo.environment["KEVC_KB_DIR"], !env.isEmpty { return env }
    var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      starts.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
    }
    for start in starts {
      var dir = start
      for _ in 0..<8 {
        let candidate = dir.appendingPathComponent("docs/kb")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
          return candidate.path
        }
        dir = dir.deletingLastPathComponent()
      }
    }
    return nil
  }

  /// Markdown files of a folder, by name.
  public static func documents(inDirectory path: String) -> [KBDocument] {
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
    return files.compactMap { f in
      guard let data = FileManager.default.contents(atPath: (path as NSString).appendingPathComponent(f)) else {
        return nil
      }
      return KBDocument(
        name: String(f.dropLast(3)), markdown: String(decoding: data, as: UTF8.self), source: "shipped")
    }
  }

  /// Documents users added to a tuning database.
  public static func documents(in db: TuningDatabase) -> [KBDocument] {
    guard db.hasTable("kb_documents"), let rows = try? db.connection.query("SELECT * FROM kb_documents ORDER BY id")
    else { return [] }
    return rows.map { KBDocument(name: $0["name"].text ?? "", markdown: $0["body"].text ?? "", source: "user") }
  }

  /// The shipped documents and the database's, a user's document replacing a shipped one of the same name.
  public static func load(directory: String?, db: TuningDatabase?) throws -> KnowledgeBase {
    var byName: [String: KBDocument] = [:]
    for d in shippedDirectory(directory).map(documents(inDirectory:)) ?? [] { byName[d.name] = d }
    for d in db.map(documents(in:)) ?? [] { byName[d.name] = d }
    return try KnowledgeBase(documents: byName.values.sorted { $0.name < $1.name })
  }

  /// Adds (or replaces) a user document in the database.
  public static func add(_ d: KBDocument, to db: TuningDatabase) throws {
    try db.connection.query(
      "INSERT OR REPLACE INTO kb_documents (name, title, body, added_at) VALUES (?1, ?2, ?3, ?4)",
      [.text(d.name), .text(d.title), .text(d.body), .double(Date().timeIntervalSince1970)])
  }

  /// An FTS5 query matching any of the terms (each quoted: no operator of the user's or the model's text survives).
  public static func query(_ terms: [String]) -> String {
    terms.map { $0.filter { $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == "_" } }
      .map { $0.replacingOccurrences(of: "-", with: " ").replacingOccurrences(of: "_", with: " ") }
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      .map { "\"\($0)\"" }.joined(separator: " OR ")
  }

  /// Documents matching any of the terms, best (lowest bm25) first; title and tags weigh more than the body.
  public func search(_ terms: [String], limit: Int = 5) -> [KBHit] {
    let q = Self.query(terms)
    guard !q.isEmpty,
      let rows = try? connection.query(
        "SELECT name, bm25(kb, 0.0, 4.0, 8.0, 1.0) AS score FROM kb WHERE kb MATCH ?1 ORDER BY score LIMIT ?2",
        [.text(q), .int(Int64(limit))])
    else { return [] }
    return rows.compactMap { r in
      documents.first { $0.name == r["name"].text }.map { KBHit(document: $0, score: r["score"].double ?? 0, query: q) }
    }
  }

  /// Documents for a candidate: one query per signal (so each signal brings its own documents), merged in order,
  /// at most `limit`.
  public func retrieve(_ signals: RuntimeSignals, limit: Int = 4) -> [KBHit] {
    var out: [KBHit] = []
    for group in signals.queries {
      for hit in search(group, limit: 2) where !out.contains(where: { $0.document.name == hit.document.name }) {
        out.append(hit)
        break
      }
      if out.count >= limit { break }
    }
    return out
  }
}

/// What a candidate's measurements say, as retrieval queries (most specific first).
public struct RuntimeSignals: Sendable, Hashable {
  public var memoryBound: Bool
  /// Fraction of the roofline floor reached (nil: not measured).
  public var fraction: Double?
  /// Failure texts of the candidate's children and of rejected proposals.
  public var failures: [String]
  /// "llvm" or "triton".
  public var target: String
  /// CPU feature flags or GPU name.
  public var device: String
  public var hasReduction: Bool
  public var hasContraction: Bool

  public init(
    memoryBound: Bool, fraction: Double?, failures: [String], target: String, device: String, hasReduction: Bool,
    hasContraction: Bool
  ) {
    self.memoryBound = memoryBound
    self.fraction = fraction
    self.failures = failures
    self.target = target
    self.device = device
    self.hasReduction = hasReduction
    self.hasContraction = hasContraction
  }

  /// The signals as words, for display (`kevc agent prompt` shows them).
  public var names: [String] {
    var s = [memoryBound ? "memory-bound" : "compute-bound"]
    if let f = fraction, f < 0.25 { s.append("far from the roofline floor") }
    if hasContraction { s.append("contraction") } else if hasReduction { s.append("reduction") }
    s.append(target)
    return s
  }

  /// The words one named signal searches for (`kevc kb search --signal NAME` and the agent's queries).
  public static func terms(forSignal name: String) -> [String] {
    switch name.lowercased() {
    case "memory-bound": return ["memory bound", "bandwidth", "fusion"]
    case "vector": return ["vector width", "vectorize", "contiguous"]
    case "compute-bound": return ["compute bound", "register blocking", "tile"]
    case "contraction": return ["contraction", "dot", "matrix unit"]
    case "reduction": return ["row reduction", "row statistics"]
    case "split-reduction": return ["rfactor", "split reduction"]
    case "compile-error": return ["compile error"]
    case "wrong-result": return ["wrong result", "tolerance"]
    case "timeout": return ["timeout"]
    case "resource-limits": return ["resource limits", "shared memory"]
    case "illegal": return ["illegal step", "loop names"]
    case "low-fraction-memory": return ["parallel", "threads"]
    case "low-fraction", "low-occupancy": return ["occupancy", "warps", "stages"]
    case "cpu", "avx2": return ["avx2", "cpu"]
    case "gpu": return ["h100", "gpu"]
    default: return [name]
    }
  }

  /// One query per signal, most specific first.
  public var queries: [[String]] {
    var names: [String] = memoryBound ? ["memory-bound", "vector"] : ["compute-bound"]
    if !memoryBound, hasContraction { names.append("contraction") }
    if hasReduction, !hasContraction { names.append("reduction") }
    if hasReduction, let f = fraction, f < 0.25 { names.append("split-reduction") }
    let text = failures.joined(separator: " ").lowercased()
    if text.contains("compile_error") || text.contains("compile error") { names.append("compile-error") }
    if text.contains("wrong") || text.contains("nan") { names.append("wrong-result") }
    if text.contains("timeout") { names.append("timeout") }
    if ["shared memory", "registers", "out of resources", "too large"].contains(where: text.contains) {
      names.append("resource-limits")
    }
    if ["reduction loop", "innermost", "does not parse", "no loop", "no definition"].contains(where: text.contains) {
      names.append("illegal")
    }
    if let f = fraction, f < 0.25 { names.append(memoryBound ? "low-fraction-memory" : "low-fraction") }
    switch target {
    case "triton":
      let d = device.lowercased()
      names.append(d.contains("h200") ? "h200" : d.contains("mi300") ? "mi300" : "gpu")
    default:
      names.append(device.contains("avx512f") ? "avx-512" : "avx2")
    }
    return names.map(Self.terms(forSignal:))
  }
}
