import Foundation
import KevcBasic
import KevcIR

/// An ordered list of transforms: a schedule as data. The same trace is the CLI's `--schedule`/`--apply` file,
/// the search's genome and the LLM agent's answer. Text form: one transform per line, `#` comments;
/// JSON form: `{"steps": [...]}` through Codable. Both round-trip.
public struct Trace: Hashable, Codable, Sendable {
  public var steps: [Transform]
  /// Source locations of the steps when the trace was parsed from text (not part of its identity).
  public var locations: [SourceLocation]

  public init(_ steps: [Transform], locations: [SourceLocation] = []) {
    self.steps = steps
    self.locations = locations
  }

  /// The least accuracy contract (`matmul_precision`) that allows every `precision` step of the trace; `highest`
  /// when none asks for more. A kernel must declare at least this (its spec's line or `--matmul-precision`) for the
  /// trace to apply: the trace never raises it.
  public var leastMatmulPrecision: MatmulPrecision {
    var least = MatmulPrecision.highest
    for case .precision(_, let p) in steps where !least.allows(p.requiredMatmulPrecision) {
      least = p.requiredMatmulPrecision
    }
    return least
  }

  public static func == (a: Trace, b: Trace) -> Bool { a.steps == b.steps }
  public func hash(into h: inout Hasher) { h.combine(steps) }

  enum CodingKeys: String, CodingKey { case steps }
  public init(from decoder: Decoder) throws {
    steps = try decoder.container(keyedBy: CodingKeys.self).decode([Transform].self, forKey: .steps)
    locations = []
  }
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(steps, forKey: .steps)
  }

  public var text: String { steps.map { TraceText.print($0) + "\n" }.joined() }

  public func location(of step: Int) -> SourceLocation {
    step < locations.count ? locations[step] : .unknown
  }

  /// Reads a trace file: JSON when it starts with `{`, text otherwise.
  public static func parse(_ source: SourceFile) throws(DiagnosticError) -> Trace {
    if source.text.drop(while: { $0.isWhitespace }).first == "{" {
      try checkJSONNesting(source)
      do {
        return try JSONDecoder().decode(Trace.self, from: Data(source.text.utf8))
      } catch {
        throw DiagnosticError(
          .error(
            DiagnosticID("trace", "bad-json"), "invalid JSON trace: \(error)",
            at: SourceLocation(file: source.path, line: 1, column: 1)))
      }
    }
    return try TraceText.parse(source)
  }

  /// Most nesting of `[` and `{` in a JSON trace; a trace needs four levels, the limit keeps a hostile file from
  /// exhausting the decoder's stack (`kevc.trace.too-deep`).
  public static let maxJSONDepth = 32

  /// Throws `kevc.trace.too-deep` at the first bracket past `maxJSONDepth` (brackets inside strings do not count).
  static func checkJSONNesting(_ source: SourceFile) throws(DiagnosticError) {
    var depth = 0
    var inString = false
    var escaped = false
    var line = 1
    var column = 0
    for byte in source.text.utf8 {
      column += 1
      if byte == UInt8(ascii: "\n") {
        line += 1
        column = 0
      }
      if inString {
        if escaped {
          escaped = false
        } else if byte == UInt8(ascii: "\\") {
          escaped = true
        } else if byte == UInt8(ascii: "\"") {
          inString = false
        }
        continue
      }
      switch byte {
      case UInt8(ascii: "\""): inString = true
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        depth += 1
        if depth > maxJSONDepth {
          throw DiagnosticError(
            .error(
              TraceText.tooDeep, "JSON trace nests more than \(maxJSONDepth) levels deep",
              at: SourceLocation(file: source.path, line: line, column: column)))
        }
      case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
      default: break
      }
    }
  }

  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }
}

/// One transform of the catalogue: its name, parameters and what it does.
public struct TransformSignature: Sendable, Hashable {
  public var name: String
  public var parameters: [Parameter]
  public var summary: String

  /// A parameter: its key (in the agent's JSON form) and what it holds.
  public enum Parameter: Sendable, Hashable {
    case name(String)
    case integer(String)
    case names(String)
    case integers(String)
    case scope(String)
    case gpuDimension(String)
    case precision(String)

    public var key: String {
      switch self {
      case .name(let k), .integer(let k), .names(let k), .integers(let k), .scope(let k), .gpuDimension(let k),
        .precision(let k):
        return k
      }
    }

    /// How the parser's messages show it: `loop`, `[loops]`, `gpu dimension`.
    public var label: String {
      switch self {
      case .names(let k), .integers(let k): return "[\(k)]"
      case .gpuDimension: return "gpu dimension"
      case .name(let k), .integer(let k), .scope(let k), .precision(let k): return k
      }
    }
  }

  public init(_ name: String, _ parameters: [Parameter], _ summary: String) {
    self.name = name
    self.parameters = parameters
    self.summary = summary
  }

  /// `split(tensor, loop, factor)`.
  public var usage: String { "\(name)(" + parameters.map(\.label).joined(separator: ", ") + ")" }
}

/// The textual form of transforms: `name(arg, ...)` with identifiers (dots allowed), integers, `[lists]`,
/// memory scopes and GPU dimensions as bare words.
public enum TraceText {
  /// Most nesting of `[lists]` in one transform's arguments; a transform takes flat lists, so this only bounds the
  /// recursion of the argument scanner on hostile text (`kevc.trace.too-deep`, not a stack overflow).
  public static let maxDepth = 8
  static let tooDeep = DiagnosticID("trace", "too-deep")

  public static func print(_ t: Transform) -> String {
    func list<T>(_ xs: [T]) -> String { "[" + xs.map { "\($0)" }.joined(separator: ", ") + "]" }
    switch t {
    case .split(let x, let l, let f): return "split(\(x), \(l), \(f))"
    case .tile(let x, let ls, let ss): return "tile(\(x), \(list(ls)), \(list(ss)))"
    case .reorder(let x, let ls): return "reorder(\(x), \(list(ls)))"
    case .inline(let x): return "inline(\(x))"
    case .fuseReductions(let x): return "fuse_reductions(\(x))"
    case .fuseSiblings(let x): return "fuse_siblings(\(x))"
    case .welford(let x): return "welford(\(x))"
    case .toScan(let x): return "to_scan(\(x))"
    case .phaseSplit(let x, let ls): return "phase_split(\(x), \(list(ls)))"
    case .storePhases(let x): return "store_phases(\(x))"
    case .deinterleave(let x, let i, let l): return "deinterleave(\(x), \(i), \(l))"
    case .padInput(let x, let i): return "pad_input(\(x), \(i))"
    case .computeAt(let x, let c, let l): return "compute_at(\(x), \(c), \(l))"
    case .computeRoot(let x): return "compute_root(\(x))"
    case .storeIn(let x, let s): return "store_in(\(x), \(s.rawValue))"
    case .layout(let x, let p): return "layout(\(x), \(list(p)))"
    case .pad(let x, let a): return "pad(\(x), \(list(a)))"
    case .stage(let x, let c, let l, let s): return "stage(\(x), \(c), \(l), \(s.rawValue))"
    case .cache(let x, let l, let s): return "cache(\(x), \(l), \(s.rawValue))"
    case .vectorize(let x, let l, let w): return "vectorize(\(x), \(l), \(w))"
    case .unroll(let x, let l, let f): return "unroll(\(x), \(l), \(f))"
    case .parallel(let x, let l): return "parallel(\(x), \(l))"
    case .bind(let x, let l, let d): return "bind(\(x), \(l), \(d.rawValue))"
    case .rfactor(let x, let l, let f): return "rfactor(\(x), \(l), \(f))"
    case .dot(let x): return "dot(\(x))"
    case .launch(let x, let w, let s): return "launch(\(x), \(w), \(s))"
    case .fuseAxes(let x, let ls): return "fuse_axes(\(x), \(list(ls)))"
    case .precision(let x, let p): return "precision(\(x), \(p.rawValue))"
    case .groupPrograms(let x, let g): return "group_programs(\(x), \(g))"
    case .persistent(let x, let p): return "persistent(\(x), \(p))"
    case .computeWith(let x, let b, let l): return "compute_with(\(x), \(b)\(l.map { ", \($0)" } ?? ""))"
    }
  }

  /// Parses one transform per line; blank lines and `#` comments are skipped.
  public static func parse(_ source: SourceFile) throws(DiagnosticError) -> Trace {
    var steps: [Transform] = []
    var locations: [SourceLocation] = []
    var problems: [Diagnostic] = []
    for (index, rawLine) in source.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let leading = line.prefix(while: { $0 == " " || $0 == "\t" }).utf8.count
      let body = line.trimmingCharacters(in: .whitespacesAndNewlines)
      if body.isEmpty { continue }
      let at = SourceLocation(file: source.path, line: index + 1, column: leading + 1)
      do {
        steps.append(try parseOne(body, at: at))
        locations.append(at)
      } catch {
        problems.append(contentsOf: error.diagnostics)
      }
    }
    if !problems.isEmpty { throw DiagnosticError(problems) }
    return Trace(steps, locations: locations)
  }

  /// Parses a single transform such as `tile(y, [m, n], [64, 128])`.
  public static func parseOne(_ text: String, at location: SourceLocation) throws(DiagnosticError) -> Transform {
    var scanner = ArgumentScanner(text: text, location: location)
    let name = scanner.word()
    guard !name.isEmpty else { throw scanner.error("expected a transform name") }
    try scanner.expect("(")
    var args: [Argument] = []
    if !scanner.consume(")") {
      repeat { args.append(try scanner.argument()) } while scanner.consume(",")
      try scanner.expect(")")
    }
    guard scanner.atEnd else { throw scanner.error("unexpected text after ')'") }

    guard let signature = signatures[name] else {
      throw DiagnosticError(
        .error(
          DiagnosticID("trace", "unknown-transform"),
          "unknown transform '\(name)'; known: \(signatures.keys.sorted().joined(separator: ", "))", at: location))
    }
    let a = Arguments(values: args, name: name, signature: signature, location: location)
    switch name {
    case "split": return .split(tensor: try a.word(0), loop: try a.word(1), factor: try a.int(2))
    case "tile": return .tile(tensor: try a.word(0), loops: try a.words(1), sizes: try a.ints(2))
    case "reorder": return .reorder(tensor: try a.word(0), loops: try a.words(1))
    case "inline": return .inline(tensor: try a.word(0))
    case "fuse_reductions": return .fuseReductions(tensor: try a.word(0))
    case "fuse_siblings": return .fuseSiblings(tensor: try a.word(0))
    case "welford": return .welford(tensor: try a.word(0))
    case "to_scan": return .toScan(tensor: try a.word(0))
    case "phase_split": return .phaseSplit(tensor: try a.word(0), axes: try a.words(1))
    case "store_phases": return .storePhases(tensor: try a.word(0))
    case "deinterleave": return .deinterleave(tensor: try a.word(0), input: try a.word(1), axis: try a.word(2))
    case "pad_input": return .padInput(tensor: try a.word(0), input: try a.word(1))
    case "compute_at": return .computeAt(tensor: try a.word(0), consumer: try a.word(1), loop: try a.word(2))
    case "compute_root": return .computeRoot(tensor: try a.word(0))
    case "store_in": return .storeIn(tensor: try a.word(0), scope: try a.scope(1))
    case "layout": return .layout(tensor: try a.word(0), permutation: try a.ints(1))
    case "pad": return .pad(tensor: try a.word(0), amounts: try a.ints(1))
    case "stage":
      return .stage(tensor: try a.word(0), consumer: try a.word(1), loop: try a.word(2), scope: try a.scope(3))
    case "cache": return .cache(tensor: try a.word(0), loop: try a.word(1), scope: try a.scope(2))
    case "vectorize": return .vectorize(tensor: try a.word(0), loop: try a.word(1), width: try a.int(2))
    case "unroll": return .unroll(tensor: try a.word(0), loop: try a.word(1), factor: try a.int(2))
    case "parallel": return .parallel(tensor: try a.word(0), loop: try a.word(1))
    case "bind": return .bind(tensor: try a.word(0), loop: try a.word(1), dimension: try a.gpuDimension(2))
    case "rfactor": return .rfactor(tensor: try a.word(0), loop: try a.word(1), factor: try a.int(2))
    case "dot": return .dot(tensor: try a.word(0))
    case "launch": return .launch(tensor: try a.word(0), warps: try a.int(1), stages: try a.int(2))
    case "fuse_axes": return .fuseAxes(tensor: try a.word(0), loops: try a.words(1))
    case "precision": return .precision(tensor: try a.word(0), precision: try a.precision(1))
    case "group_programs": return .groupPrograms(tensor: try a.word(0), size: try a.int(1))
    case "persistent": return .persistent(tensor: try a.word(0), programs: try a.int(1))
    case "compute_with":
      // An optional third argument: the sibling's loop that the body is fused into.
      if args.count == 3 {
        let b = Arguments(values: args, name: name, signature: signature + ", loop", location: location)
        return .computeWith(tensor: try b.word(0), sibling: try b.word(1), loop: try b.word(2))
      }
      return .computeWith(tensor: try a.word(0), sibling: try a.word(1))
    default: throw a.mismatch()
    }
  }

  /// Typed access to a transform's arguments; any mismatch reports the transform's signature.
  struct Arguments {
    let values: [Argument]
    let name: String
    let signature: String
    let location: SourceLocation

    var arity: Int { signature.split(separator: ",").count }

    func mismatch() -> DiagnosticError {
      DiagnosticError(
        .error(DiagnosticID("trace", "bad-arguments"), "'\(name)' takes (\(signature))", at: location))
    }

    func value(_ i: Int) throws(DiagnosticError) -> Argument {
      guard values.count == arity, i < values.count else { throw mismatch() }
      return values[i]
    }

    func word(_ i: Int) throws(DiagnosticError) -> String {
      guard let w = try value(i).wordValue else { throw mismatch() }
      return w
    }

    func int(_ i: Int) throws(DiagnosticError) -> Int {
      guard let v = try value(i).intValue else { throw mismatch() }
      return v
    }

    func words(_ i: Int) throws(DiagnosticError) -> [String] {
      guard case .list(let items) = try value(i) else { throw mismatch() }
      let out = items.compactMap(\.wordValue)
      guard out.count == items.count else { throw mismatch() }
      return out
    }

    func ints(_ i: Int) throws(DiagnosticError) -> [Int] {
      guard case .list(let items) = try value(i) else { throw mismatch() }
      let out = items.compactMap(\.intValue)
      guard out.count == items.count else { throw mismatch() }
      return out
    }

    /// A word naming one case of a string enum (`local`, `grid.x`, `tf32`); another word is an error that lists them.
    func choice<T: RawRepresentable & CaseIterable>(_ i: Int, _ what: String) throws(DiagnosticError) -> T
    where T.RawValue == String {
      let w = try word(i)
      guard let value = T(rawValue: w) else {
        throw DiagnosticError(
          .error(
            DiagnosticID("trace", "bad-arguments"),
            "unknown \(what) '\(w)'; expected one of \(T.allCases.map(\.rawValue).joined(separator: ", "))",
            at: location))
      }
      return value
    }

    func scope(_ i: Int) throws(DiagnosticError) -> MemoryScope { try choice(i, "memory scope") }
    func precision(_ i: Int) throws(DiagnosticError) -> DotPrecision { try choice(i, "precision") }
    func gpuDimension(_ i: Int) throws(DiagnosticError) -> GPUDimension { try choice(i, "GPU dimension") }
  }

  /// The transform catalogue: every transform's name and parameters, in order. The parser's signatures, the search's
  /// LLM agent's JSON schema and its prompt are all derived from this one table.
  public static let catalogue: [TransformSignature] = [
    .init("split", [.name("tensor"), .name("loop"), .integer("factor")], "split a loop into .o (outer) and .i (inner, extent factor)"),
    .init("tile", [.name("tensor"), .names("loops"), .integers("sizes")], "split each loop and order the outer parts before the inner parts"),
    .init("reorder", [.name("tensor"), .names("loops")], "the named loops take the positions those loops occupy, in this order"),
    .init("inline", [.name("tensor")], "substitute an elementwise definition into every load of it"),
    .init("compute_at", [.name("tensor"), .name("consumer"), .name("loop")], "compute a producer inside a loop of its consumer"),
    .init("compute_root", [.name("tensor")], "undo compute_at / inline"),
    .init("store_in", [.name("tensor"), .scope("scope")], "memory scope of an intermediate's storage"),
    .init("layout", [.name("tensor"), .integers("permutation")], "store an intermediate's dimensions in this order"),
    .init("pad", [.name("tensor"), .integers("amounts")], "pad each stored dimension by this many elements"),
    .init("stage", [.name("tensor"), .name("consumer"), .name("loop"), .scope("scope")], "copy the tile a consumer's loop reads into a buffer; creates definition tensor.consumer"),
    .init("cache", [.name("tensor"), .name("loop"), .scope("scope")], "accumulate a reduction in a buffer per iteration of an axis loop; creates definition tensor.acc"),
    .init("vectorize", [.name("tensor"), .name("loop"), .integer("width")], "run the innermost loop as SIMD lanes (width a power of two, 2 to 64)"),
    .init("unroll", [.name("tensor"), .name("loop"), .integer("factor")], "split by factor (2 to 64) and unroll the inner loop"),
    .init("parallel", [.name("tensor"), .name("loop")], "share an axis loop's iterations among CPU threads"),
    .init("bind", [.name("tensor"), .name("loop"), .gpuDimension("dimension")], "map a loop onto a GPU dimension"),
    .init("rfactor", [.name("tensor"), .name("loop"), .integer("factor")], "split a reduction into independent partials; creates definition tensor.rf"),
    .init("dot", [.name("tensor")], "map a contraction onto the matrix unit"),
    .init("launch", [.name("tensor"), .integer("warps"), .integer("stages")], "GPU warps per program (1 to 32) and load pipeline stages (1 to 8)"),
    .init("fuse_axes", [.name("tensor"), .names("loops")], "fuse reduction axes into one (c, k -> c.k = c * K + k): one dot covers every tap of a convolution; or two adjacent output axes of an elementwise tensor into one loop (i, j -> i.j); before other transforms of tensor"),
    .init("precision", [.name("tensor"), .precision("precision")], "input precision of a dot's operands on the matrix unit, within the kernel's matmul_precision: tf32x3 (three tf32 passes, about f32 accuracy: highest), tf32 or bf16x3 (three bf16 passes: high), bf16 (medium)"),
    .init("group_programs", [.name("tensor"), .integer("size")], "grouped program order: walk grid.y in groups of size before grid.x (L2 reuse of operand panels)"),
    .init("persistent", [.name("tensor"), .integer("programs")], "launch this many programs, each looping over the output tiles"),
    .init("compute_with", [.name("tensor"), .name("sibling")], "run tensor in the kernel of the earlier root definition sibling, over the same programs (each program computes its tile of sibling, then of tensor); an optional third argument, a loop of both, fuses tensor's body into that loop of sibling (one pass over the rows they share)"),
    .init("fuse_reductions", [.name("tensor")], "online softmax: sums of exp(x - max x) * y become one tuple reduction with the elementwise definition reading them"),
    .init("fuse_siblings", [.name("tensor")], "sibling sums over the same rows that tensor reads through one expression of them become one tuple reduction tensor.rows yielding it (one loop carries every accumulator)"),
    .init("welford", [.name("tensor")], "a one-pass variance: a centred sum of squares sum (E - mean E)^2 becomes a Welford tuple reduction (count, mean, m2) yielding m2, no longer reading the mean"),
    .init("to_scan", [.name("tensor")], "a triangular reduction [j in lo .. (i + 1)] becomes a scan along i (one running accumulator)"),
    .init("phase_split", [.name("tensor"), .names("axes")], "polyphase: an output axis under guards (E % s) == c and divisions E / s becomes one definition per phase (dead taps gone, dense), interleaved by tensor; before other transforms of tensor"),
    .init("store_phases", [.name("tensor")], "tensor interleaves phases (select((t % s) == p, ph[t / s], ...), as phase_split writes it): each phase stores its values in tensor's buffer at stride s, offset p, and tensor emits no kernel (no intermediate, no interleaving pass)"),
    .init("deinterleave", [.name("tensor"), .name("input"), .name("axis")], "tensor reads input at s * axis + e (a strided convolution): read a de-interleaved copy input.ph[.., e % s, axis + e / s, ..] instead, adjacent along axis"),
    .init("pad_input", [.name("tensor"), .name("input")], "tensor reads a copy of input with the zero border its reads need, in bounds (no masked loads); needs bound dims"),
  ]

  static let signatures: [String: String] = Dictionary(
    uniqueKeysWithValues: catalogue.map { ($0.name, $0.parameters.map(\.label).joined(separator: ", ")) })

  enum Argument: Equatable {
    case word(String)
    case int(Int)
    case list([Argument])
    var wordValue: String? { if case .word(let w) = self { return w } else { return nil } }
    var intValue: Int? { if case .int(let i) = self { return i } else { return nil } }
  }

  /// A small scanner over one transform's text; columns are reported relative to the line.
  struct ArgumentScanner {
    let chars: [Character]
    var position = 0
    let location: SourceLocation

    init(text: String, location: SourceLocation) {
      self.chars = Array(text)
      self.location = location
    }

    var atEnd: Bool {
      var rest = position
      while rest < chars.count, chars[rest] == " " || chars[rest] == "\t" { rest += 1 }
      return rest >= chars.count
    }

    mutating func skip() { while position < chars.count, chars[position] == " " || chars[position] == "\t" { position += 1 } }

    mutating func consume(_ c: Character) -> Bool {
      skip()
      if position < chars.count, chars[position] == c {
        position += 1
        return true
      }
      return false
    }

    mutating func expect(_ c: Character) throws(DiagnosticError) {
      guard consume(c) else { throw error("expected '\(c)'") }
    }

    mutating func word() -> String {
      skip()
      var out = ""
      while position < chars.count,
        chars[position].isLetter || chars[position].isNumber || chars[position] == "_" || chars[position] == "."
      {
        out.append(chars[position])
        position += 1
      }
      return out
    }

    mutating func argument(depth: Int = 0) throws(DiagnosticError) -> Argument {
      skip()
      if consume("[") {
        guard depth < TraceText.maxDepth else {
          position -= 1  // at the offending '['
          throw error("lists nest more than \(TraceText.maxDepth) levels deep", id: TraceText.tooDeep)
        }
        var items: [Argument] = []
        if !consume("]") {
          repeat { items.append(try argument(depth: depth + 1)) } while consume(",")
          try expect("]")
        }
        return .list(items)
      }
      let negative = consume("-")
      let w = word()
      guard !w.isEmpty else { throw error("expected an argument") }
      if let first = w.first, first.isNumber {
        guard let v = Int(w), !negative || v >= 0 else { throw error("'\(w)' is not an integer") }
        return .int(negative ? -v : v)
      }
      guard !negative else { throw error("expected a number after '-'") }
      return .word(w)
    }

    func error(_ message: String, id: DiagnosticID = DiagnosticID("trace", "syntax")) -> DiagnosticError {
      DiagnosticError(
        .error(
          id, message,
          at: SourceLocation(file: location.file, line: location.line, column: location.column + position)))
    }
  }
}
