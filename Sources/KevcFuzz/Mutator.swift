import KevcInterpreter

/// Seeded mutation of text inputs for the fuzzers: byte flips, range deletions and duplications, splices from
/// other seeds, token-level insertions, deletions, swaps and replacements, line edits, deep nesting and huge or
/// special numbers. Every choice comes from one xoshiro256** stream (the interpreter's input generator), so a
/// (seed, corpus) pair always yields the same inputs; nothing here traps, whatever the input.
public struct Mutator: Sendable {
  private var random: Xoshiro256

  public init(seed: UInt64) { random = Xoshiro256(seed: seed) }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 { random.next() }

  /// A number in `0 ..< n` (0 when `n <= 0`).
  public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

  public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

  mutating func pick<T>(_ xs: [T]) -> T? { xs.isEmpty ? nil : xs[below(xs.count)] }

  /// Numbers that stress integer and float handling: overflow edges of i32/i64, values past them, huge and tiny
  /// floats, and literals that are not finite.
  static let specialNumbers: [String] = [
    "0", "-1", "1", "2", "7", "255", "65535", "2147483647", "2147483648", "-2147483649", "4294967296",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616",
    "99999999999999999999999999999", "4611686018427387904", "3037000500", "1e308", "1e400", "-1e-400",
    "5e-324", "0.0", "-0", "1.5", "nan", "inf", "-inf",
  ]

  /// Punctuation and keywords of the three input languages, inserted as whole tokens.
  static let punctuation: [String] = [
    "(", ")", "[", "]", "{", "}", ",", ";", ":", "=", "<", ">", "<=", ">=", "==", "!=", "+", "-", "*", "/", "//",
    "%", "..", "->", "#", "\n", " ", ".", "<f32>", "else", "in", "sorted", "where", "sum", "max", "argmax",
    "kernel", "dims", "bench", "define", "reduce", "f32", "bf16", "i64", "bool", "true", "not", "and",
  ]

  /// One mutated input: a seed with 1 to 6 stacked edits. `dictionary` holds tokens taken from the seeds.
  public mutating func mutate(_ seed: [UInt8], corpus: [[UInt8]], dictionary: [String]) -> [UInt8] {
    var bytes = seed
    let rounds = 1 + below(below(6) + 1)
    for _ in 0..<rounds { bytes = mutateOnce(bytes, corpus: corpus, dictionary: dictionary) }
    // Inputs stay below 128 KiB: a crash must come from structure, not from the harness's memory.
    if bytes.count > 1 << 17 { bytes.removeLast(bytes.count - (1 << 17)) }
    return bytes
  }

  mutating func mutateOnce(_ input: [UInt8], corpus: [[UInt8]], dictionary: [String]) -> [UInt8] {
    var bytes = input
    switch below(12) {
    case 0:  // flip one bit
      if !bytes.isEmpty { bytes[below(bytes.count)] ^= UInt8(1) << UInt8(below(8)) }
    case 1:  // replace a byte with a printable or control byte
      if !bytes.isEmpty { bytes[below(bytes.count)] = chance(80) ? UInt8(32 + below(95)) : UInt8(below(256)) }
    case 2:  // delete a range
      if !bytes.isEmpty {
        let start = below(bytes.count)
        bytes.removeSubrange(start..<min(bytes.count, start + 1 + below(32)))
      }
    case 3:  // duplicate a range of the input somewhere else in it
      if !bytes.isEmpty {
        let start = below(bytes.count)
        let piece = Array(bytes[start..<min(bytes.count, start + 1 + below(64))])
        bytes.insert(contentsOf: piece, at: below(bytes.count + 1))
      }
    case 4:  // splice: a piece of another seed
      if let other = pick(corpus), !other.isEmpty {
        let start = below(other.count)
        let piece = other[start..<min(other.count, start + 1 + below(256))]
        let at = below(bytes.count + 1)
        if chance(50) {
          bytes.insert(contentsOf: piece, at: at)
        } else {
          bytes.replaceSubrange(at..<min(bytes.count, at + piece.count), with: piece)
        }
      }
    case 5, 6:  // token-level edits
      bytes = mutateTokens(bytes, dictionary: dictionary)
    case 7:  // line-level edits
      bytes = mutateLines(bytes, corpus: corpus)
    case 8:  // a number token replaced by a special number
      bytes = replaceNumber(bytes)
    case 9:  // deep nesting around a point
      bytes = nest(bytes)
    case 10:  // one token repeated many times
      let tokens = Self.tokenRanges(bytes)
      if let token = pick(tokens) {
        let n = [2, 16, 256, 4096][below(below(4) + 1)]
        let piece = Array(bytes[token])
        bytes.insert(contentsOf: (0..<n).lazy.flatMap { _ in piece }, at: token.lowerBound)
      }
    default:  // a dictionary token inserted at a token boundary
      let word = chance(50) ? (pick(dictionary) ?? "x") : (pick(Self.punctuation) ?? "(")
      let tokens = Self.tokenRanges(bytes)
      let at = pick(tokens)?.lowerBound ?? bytes.count
      bytes.insert(contentsOf: Array(word.utf8), at: at)
    }
    return bytes
  }

  mutating func mutateTokens(_ bytes: [UInt8], dictionary: [String]) -> [UInt8] {
    let tokens = Self.tokenRanges(bytes)
    guard let t = pick(tokens), let u = pick(tokens) else { return bytes }
    var out = bytes
    switch below(4) {
    case 0: out.removeSubrange(t)
    case 1: out.insert(contentsOf: bytes[u], at: t.lowerBound)
    case 2:  // swap two tokens
      let (first, second) = t.lowerBound <= u.lowerBound ? (t, u) : (u, t)
      guard first.upperBound <= second.lowerBound else { return bytes }
      out = Array(bytes[..<first.lowerBound]) + bytes[second] + bytes[first.upperBound..<second.lowerBound]
        + bytes[first] + bytes[second.upperBound...]
    default:
      let word = chance(60) ? (pick(dictionary) ?? "x") : (pick(Self.punctuation) ?? ")")
      out.replaceSubrange(t, with: Array(word.utf8))
    }
    return out
  }

  mutating func mutateLines(_ bytes: [UInt8], corpus: [[UInt8]]) -> [UInt8] {
    var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
    guard !lines.isEmpty else { return bytes }
    let i = below(lines.count)
    switch below(4) {
    case 0: lines.remove(at: i)
    case 1: lines.insert(lines[below(lines.count)], at: i)
    case 2: lines.swapAt(i, below(lines.count))
    default:
      if let other = pick(corpus) {
        let otherLines = other.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if let line = pick(otherLines) { lines.insert(Array(line), at: i) }
      }
    }
    return Array(lines.joined(separator: [UInt8(ascii: "\n")]))
  }

  mutating func replaceNumber(_ bytes: [UInt8]) -> [UInt8] {
    let tokens = Self.tokenRanges(bytes)
    let special = Array((pick(Self.specialNumbers) ?? "0").utf8)
    var out = bytes
    if let number = pick(tokens.filter { Self.isDigit(bytes[$0.lowerBound]) }) {
      out.replaceSubrange(number, with: special)
    } else {
      out.insert(contentsOf: special, at: pick(tokens)?.lowerBound ?? 0)
    }
    return out
  }

  /// Wraps a token range in `depth` brackets of one kind (possibly unbalanced), the shape that overflows a
  /// recursive-descent parser's stack.
  mutating func nest(_ bytes: [UInt8]) -> [UInt8] {
    let tokens = Self.tokenRanges(bytes)
    // Depths past any sane limit are drawn rarely: they make the largest inputs.
    let depth = [8, 64, 512, 5000, 50_000][below(below(5) + 1)]
    let pairs: [(String, String)] = [("(", ")"), ("[", "]"), ("-", ""), ("not ", ""), ("f32(", ")"), ("x[", "]")]
    let (open, close) = pairs[below(pairs.count)]
    let a = pick(tokens)?.lowerBound ?? 0
    let b = pick(tokens)?.upperBound ?? bytes.count
    let (start, end) = (min(a, b), max(a, b))
    var out = Array(bytes[..<start])
    out.reserveCapacity(bytes.count + depth * (open.utf8.count + close.utf8.count))
    for _ in 0..<depth { out += open.utf8 }
    out += bytes[start..<end]
    if chance(70) { for _ in 0..<depth { out += close.utf8 } }
    out += bytes[end...]
    return out
  }

  static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
  static func isWordByte(_ b: UInt8) -> Bool {
    isDigit(b) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 || b == 46
  }

  /// The input cut into tokens (runs of word bytes, runs of blanks, single other bytes); joining them gives the
  /// input back.
  public static func tokens(_ bytes: [UInt8]) -> [[UInt8]] { tokenRanges(bytes).map { Array(bytes[$0]) } }

  /// The ranges of `tokens(bytes)`.
  static func tokenRanges(_ bytes: [UInt8]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var i = 0
    while i < bytes.count {
      var j = i + 1
      if isWordByte(bytes[i]) {
        while j < bytes.count, isWordByte(bytes[j]) { j += 1 }
      } else if bytes[i] == 32 {
        while j < bytes.count, bytes[j] == 32 { j += 1 }
      }
      out.append(i..<j)
      i = j
    }
    return out
  }

  /// Identifier-like tokens of the seeds (at most `limit`, the most frequent first): names, keywords, numbers.
  public static func dictionary(of corpus: [[UInt8]], limit: Int = 400) -> [String] {
    var counts: [String: Int] = [:]
    for seed in corpus {
      for t in tokens(seed) where t.first.map(isWordByte) ?? false { counts[String(decoding: t, as: UTF8.self), default: 0] += 1 }
    }
    return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit).map(\.key)
  }
}
