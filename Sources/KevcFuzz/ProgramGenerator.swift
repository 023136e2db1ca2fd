/// Random well-typed, numerically well-posed `.kev` specs for differential testing (`docs/reliability.md`, grammar).
///
/// A program has 1-3 dims with small odd-leaning extents, 1-3 inputs (f32, f64, f16, bf16, i32, i64; integers with
/// a value domain), and 1-4 definitions in order, the last one (and sometimes an earlier one) a result. A definition
/// is elementwise over a subset of the dims in any order (transposes), or a reduction (`sum`, `max`, `min`, `prod`
/// on short ranges, `argmax`/`argmin` of an input; sometimes an explicit `<f64>` accumulator, sometimes a
/// triangular range `k < a + 1`) over one or two dims. Loads index each dimension with a variable over that
/// dimension, reversed (`A - 1 - a`), shifted (`a + 1`, read as padding or an `else` literal outside), modular
/// (`(2 * a + 1) % A`) or a constant. Float expressions use `+ - *`, safe division `e / (1 + e * e)`, `exp(-abs
/// e)`, `tanh`, `sigmoid`, `erf`, `sqrt(1 + e * e)`, `log(1 + e * e)`, `pow(1 + abs(e), 1.5)`, `abs`, `max`,
/// `min`, `where`, casts between float types and from integers; integer expressions use `+ - * / % min max abs
/// where` (division by zero and wrapping included) and casts between integer types.
///
/// Well-posedness, so that a mismatch is a compiler bug rather than f32-vs-f64 rounding: float magnitudes are
/// tracked (an estimate of the largest value) and an expression that could exceed 1e3 is squashed through
/// `tanh`; logarithms and square roots only see `1 + e * e`; divisions only `1 + e * e`; comparisons (conditions of
/// `where`) only read inputs, integer values or indices, never computed floats, and no float is converted to an
/// integer (both are discontinuous); `argmax`/`argmin` only scan an input (no ties under the normal and uniform
/// distributions the tester draws); `prod` only runs over at most 9 values.
public struct ProgramGenerator {
  var rng: Mutator

  public init(seed: UInt64) { rng = Mutator(seed: seed) }

  struct Tensor {
    var name: String
    var dtype: String
    var dims: [Int]
    var isInput: Bool
    /// An estimate of the largest magnitude of its values (floats).
    var bound: Double
  }

  /// An expression and what the generator knows of it.
  struct Term {
    var text: String
    /// Weak: made of literals, dims and indices only (adopts the type it meets).
    var weak: Bool
    var bound: Double
  }

  static let floatTypes = ["f32", "f64"]
  static let intTypes = ["i32", "i64"]
  static let extents = [1, 2, 3, 5, 7, 8, 9, 11, 13, 16, 17, 31, 33, 61]

  /// Constructs of the last program that a skip-list entry may name (`DiffTestSkip`).
  public var features: Set<String> = []
  var dimNames: [String] = []
  var extents: [Int] = []
  var tensors: [Tensor] = []

  /// A spec for program `index` (its text is deterministic for the seed and index).
  public mutating func generate(name: String) -> String {
    let rank = 1 + rng.below(3)
    dimNames = Array(["A", "B", "C"].prefix(rank))
    extents = []
    var total = 1
    for _ in 0..<rank {
      let limit = max(1, 6000 / total)
      let e = (rng.pick(Self.extents.filter { $0 <= limit }) ?? 1)
      extents.append(e)
      total *= e
    }
    tensors = []
    features = []
    var params: [String] = []
    for i in 0..<(1 + rng.below(3)) {
      let dims = randomDims(minRank: 1)
      let dtype = rng.pick(["f32", "f32", "f64", "bf16", "f16", "i32", "i64"]) ?? "f32"
      let name = "x\(i)"
      let domain = Self.intTypes.contains(dtype) ? " in 0 .. \(rng.pick([4, 50, 1000, 100_000]) ?? 4)" : ""
      params.append("\(name): \(dtype)\(shapeText(dims))\(domain)")
      tensors.append(Tensor(name: name, dtype: dtype, dims: dims, isInput: true, bound: 5))
    }

    let count = 1 + rng.below(4)
    var body: [String] = []
    var results: [String] = []
    for d in 0..<count {
      let isLast = d == count - 1
      let isResult = isLast || rng.chance(15)
      let name = isResult ? "y\(results.count)" : "t\(d)"
      let family = rng.chance(75) ? "float" : "int"
      var dtype = family == "float" ? (rng.pick(Self.floatTypes) ?? "f32") : (rng.pick(Self.intTypes) ?? "i32")
      let dims = randomDims(minRank: isResult ? 1 : 0)
      let (line, bound) = definition(name: name, dtype: dtype, dims: dims, isResult: isResult)
      var text = line
      if isResult, family == "float", dtype == "f32", rng.chance(15) {
        // A half-precision result: the f32 value rounded once, where it is stored.
        dtype = rng.pick(["bf16", "f16"]) ?? "bf16"
        text = line.replacingFirst(" = ", with: " = \(dtype)(") + ")"
      }
      body.append(text)
      tensors.append(Tensor(name: name, dtype: dtype, dims: dims, isInput: false, bound: bound))
      if isResult { results.append("\(name): \(dtype)\(shapeText(dims))") }
    }
    let dimsLine = zip(dimNames, extents).map { "\($0) = \($1)" }.joined(separator: ", ")
    return """
      kernel \(name)(\(params.joined(separator: ", "))) -> (\(results.joined(separator: ", "))) {
        dims \(dimsLine)
      \(body.map { "  " + $0 }.joined(separator: "\n"))
      }

      """
  }

  func shapeText(_ dims: [Int]) -> String {
    dims.isEmpty ? "" : "[" + dims.map { dimNames[$0] }.joined(separator: ", ") + "]"
  }

  /// Distinct dims in a random order, `minRank` or more of them.
  mutating func randomDims(minRank: Int) -> [Int] {
    let all = Array(0..<dimNames.count)
    var shuffled = all
    for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, rng.below(i + 1)) }
    let n = min(all.count, minRank + rng.below(all.count - minRank + 1))
    return Array(shuffled.prefix(n))
  }

  func axisName(_ dim: Int) -> String { dimNames[dim].lowercased() }

  /// One definition line and the bound of its values.
  mutating func definition(name: String, dtype: String, dims: [Int], isResult: Bool) -> (String, Double) {
    let lhsAxes = dims.map { isResult ? axisName($0) : "\(axisName($0)) < \(dimNames[$0])" }
    let lhs = dims.isEmpty ? name : "\(name)[\(lhsAxes.joined(separator: ", "))]"
    var env = dims.map { (axisName($0), $0) }
    let isFloat = Self.floatTypes.contains(dtype)
    let reduced = Array(0..<dimNames.count).filter { !dims.contains($0) }
    if (dims.isEmpty || rng.chance(35)), let first = reduced.first ?? (dims.isEmpty ? nil : rng.pick(Array(0..<dimNames.count))) {
      // A reduction over one or two dims.
      var over = [rng.chance(50) ? first : (rng.pick(reduced) ?? first)]
      if let second = reduced.first(where: { !over.contains($0) }), rng.chance(30) { over.append(second) }
      var ranges: [String] = []
      var length = 1
      for (i, d) in over.enumerated() {
        let v = "k\(i)"
        if let axis = env.first(where: { $0.1 == d }), rng.chance(20) {
          ranges.append("\(v) < \(axis.0) + 1")  // triangular
        } else {
          ranges.append("\(v) < \(dimNames[d])")
        }
        env.append((v, d))
        length *= extents[d]
      }
      if !isFloat || !rng.chance(15) || over.count > 1 {
        let op = length <= 9 && rng.chance(20) ? "prod" : (rng.pick(["sum", "sum", "max", "min"]) ?? "sum")
        let accumulator = isFloat && dtype == "f32" && op == "sum" && rng.chance(25) ? "<f64>" : ""
        var bodyTerm = isFloat ? floatExpr(dtype, env: env, depth: 2) : intExpr(dtype, env: env, depth: 2)
        if op == "prod" && isFloat { bodyTerm = Term(text: "tanh(\(strong(bodyTerm, dtype).text))", weak: false, bound: 1) }
        // The body in parentheses: `max(k) -e` would read as a call of max (docs/spec-language.md, settled points).
        let reduction = "\(op)\(accumulator)(\(ranges.joined(separator: ", "))) (\(strong(bodyTerm, dtype).text))"
        let bound = op == "prod" ? 1 : (op == "sum" ? bodyTerm.bound * Double(length) : bodyTerm.bound)
        let text = accumulator.isEmpty ? reduction : "\(dtype)(\(reduction))"
        if isFloat && bound > 1e3 { return ("\(lhs) = tanh(\(text))", 1) }
        return ("\(lhs) = \(text)", bound)
      }
      // argmax / argmin of an input over one variable, converted to the definition's type.
      let v = "k0"
      let inputs = tensors.filter { $0.isInput && Self.floatTypes.contains($0.dtype) && $0.dims.contains(over[0]) }
      if let x = rng.pick(inputs) {
        let index = x.dims.map { d -> String in
          if d == over[0] { return v }
          return env.first(where: { $0.1 == d && $0.0 != v })?.0 ?? "0"
        }
        let op = rng.chance(50) ? "argmax" : "argmin"
        return ("\(lhs) = \(dtype)(\(op)(\(v) < \(dimNames[over[0]])) \(x.name)[\(index.joined(separator: ", "))])", 61)
      }
      env = dims.map { (axisName($0), $0) }
    }
    let term = isFloat ? floatExpr(dtype, env: env, depth: 3) : intExpr(dtype, env: env, depth: 3)
    return ("\(lhs) = \(strong(term, dtype).text)", term.bound)
  }

  /// `t` with a cast when it is weak, so that it has type `dtype` by itself.
  func strong(_ t: Term, _ dtype: String) -> Term {
    t.weak ? Term(text: "\(dtype)(\(t.text))", weak: false, bound: t.bound) : t
  }

  /// An index expression of dimension `dim` from the variables in scope.
  mutating func index(dim: Int, env: [(String, Int)]) -> (String, shifted: Bool) {
    let extent = dimNames[dim]
    guard let v = rng.pick(env.filter { $0.1 == dim })?.0 else {
      return (rng.pick(["0", "\(extent) - 1", "\(extent) / 2"]) ?? "0", false)
    }
    switch rng.below(20) {
    case 0, 1, 2: return ("\(extent) - 1 - \(v)", false)
    case 3, 4: return ("\(v) + \(1 + rng.below(2))", true)
    case 5: return ("\(v) - 1", true)
    case 6: return ("(2 * \(v) + 1) % \(extent)", false)
    default: return (v, false)
    }
  }

  /// A load of `x` with indices from `env`; a shifted read outside the tensor gives 0, or an `else` literal.
  mutating func load(_ x: Tensor, env: [(String, Int)]) -> String {
    var anyShift = false
    let indices = x.dims.map { d -> String in
      let (text, shifted) = index(dim: d, env: env)
      anyShift = anyShift || shifted
      return text
    }
    let base = x.dims.isEmpty ? x.name : "\(x.name)[\(indices.joined(separator: ", "))]"
    if anyShift, !x.dims.isEmpty, rng.chance(30) {
      return base + (Self.intTypes.contains(x.dtype) ? " else \(rng.below(5) - 2)" : " else \(rng.pick(["0.5", "-1.5", "2"]) ?? "1")")
    }
    return base
  }

  mutating func floatLeaf(_ dtype: String, env: [(String, Int)]) -> Term {
    switch rng.below(10) {
    case 0:
      return Term(text: rng.pick(["0.5", "1.5", "2", "-0.25", "3"]) ?? "1", weak: true, bound: 3)
    case 1:
      if let v = rng.pick(env)?.0 { return Term(text: "\(dtype)(\(v))", weak: false, bound: 61) }
      return Term(text: "\(dtype)(\(dimNames[0]))", weak: false, bound: 61)
    default:
      // Loads favour the latest definition, so that programs are chains (producer -> consumer) more often than not.
      let latest = tensors.last { !$0.isInput && !Self.intTypes.contains($0.dtype) }
      guard let x = latest.flatMap({ rng.chance(40) ? $0 : nil }) ?? rng.pick(tensors) else {
        return Term(text: "1.5", weak: true, bound: 2)
      }
      let text = load(x, env: env)
      if x.dtype == dtype { return Term(text: text, weak: false, bound: x.bound) }
      if Self.intTypes.contains(x.dtype) {
        return Term(text: "\(dtype)(\(text))", weak: false, bound: 1e3)
      }
      if dtype == "f64" && !x.isInput { features.insert(Feature.narrowDefinitionInF64) }
      if x.isInput && rng.chance(20) {
        // floor/ceil of an input is exact in every type: the only float rounding the tester allows.
        return Term(text: "\(rng.pick(["floor", "ceil"]) ?? "floor")(\(dtype)(\(text)))", weak: false, bound: x.bound + 1)
      }
      return Term(text: "\(dtype)(\(text))", weak: false, bound: x.bound)
    }
  }

  mutating func floatExpr(_ dtype: String, env: [(String, Int)], depth: Int) -> Term {
    if depth == 0 || rng.chance(25) { return floatLeaf(dtype, env: env) }
    let t: Term
    func sub() -> Term { floatExpr(dtype, env: env, depth: depth - 1) }
    switch rng.below(17) {
    case 0, 1:
      let (a, b) = (sub(), sub())
      t = Term(text: "\(a.text) + \(b.text)", weak: a.weak && b.weak, bound: a.bound + b.bound)
    case 2:
      let (a, b) = (sub(), sub())
      t = Term(text: "\(a.text) - (\(b.text))", weak: a.weak && b.weak, bound: a.bound + b.bound)
    case 3, 4:
      let (a, b) = (sub(), sub())
      t = Term(text: "(\(a.text)) * (\(b.text))", weak: a.weak && b.weak, bound: a.bound * b.bound)
    case 5:
      let (a, b) = (sub(), strong(sub(), dtype))
      t = Term(text: "(\(a.text)) / (1 + (\(b.text)) * (\(b.text)))", weak: a.weak, bound: a.bound)
    case 6:
      let a = strong(sub(), dtype)
      t = Term(text: "exp(-abs(\(a.text)))", weak: false, bound: 1)
    case 7:
      let a = strong(sub(), dtype)
      t = Term(text: "\(rng.pick(["tanh", "sigmoid", "erf"]) ?? "tanh")(\(a.text))", weak: false, bound: 1)
    case 8:
      let a = strong(sub(), dtype)
      t = Term(text: "sqrt(1 + (\(a.text)) * (\(a.text)))", weak: false, bound: 1 + a.bound)
    case 9:
      let a = strong(sub(), dtype)
      t = Term(text: "log(1 + (\(a.text)) * (\(a.text)))", weak: false, bound: 2 * (1 + a.bound).squareRoot())
    case 10:
      let a = strong(sub(), dtype)
      t = Term(text: "pow(1 + abs(\(a.text)), 1.5)", weak: false, bound: (1 + a.bound) * (1 + a.bound).squareRoot())
    case 11:
      let a = sub()
      t = Term(text: "abs(\(a.text))", weak: a.weak, bound: a.bound)
    case 12:
      let a = sub()
      t = Term(text: "-(\(a.text))", weak: a.weak, bound: a.bound)
    case 13, 14:
      let (a, b) = (sub(), sub())
      t = Term(
        text: "\(rng.chance(50) ? "max" : "min")(\(a.text), \(b.text))", weak: a.weak && b.weak,
        bound: max(a.bound, b.bound))
    default:
      let (a, b) = (sub(), sub())
      t = Term(
        text: "where(\(condition(env: env, depth: 1)), \(a.text), \(b.text))", weak: a.weak && b.weak,
        bound: max(a.bound, b.bound))
    }
    if t.bound > 1e3 { return Term(text: "tanh(\(strong(t, dtype).text))", weak: false, bound: 1) }
    return t
  }

  mutating func intLeaf(_ dtype: String, env: [(String, Int)]) -> Term {
    switch rng.below(8) {
    case 0: return Term(text: "\(rng.below(7) - 2)", weak: true, bound: 0)
    case 1: return Term(text: rng.pick(env)?.0 ?? dimNames[0], weak: true, bound: 0)
    default:
      let ints = tensors.filter { Self.intTypes.contains($0.dtype) }
      let latest = ints.last { !$0.isInput }
      guard let x = latest.flatMap({ rng.chance(40) ? $0 : nil }) ?? rng.pick(ints) else {
        return Term(text: rng.pick(env)?.0 ?? "\(rng.below(5))", weak: true, bound: 0)
      }
      let text = load(x, env: env)
      return Term(text: x.dtype == dtype ? text : "\(dtype)(\(text))", weak: false, bound: 0)
    }
  }

  mutating func intExpr(_ dtype: String, env: [(String, Int)], depth: Int) -> Term {
    if depth == 0 || rng.chance(25) { return intLeaf(dtype, env: env) }
    func sub() -> Term { intExpr(dtype, env: env, depth: depth - 1) }
    switch rng.below(10) {
    case 0, 1, 2, 3, 4:
      let (a, b) = (sub(), sub())
      let op = rng.pick(["+", "-", "*", "/", "%"]) ?? "+"
      return Term(text: "(\(a.text)) \(op) (\(b.text))", weak: a.weak && b.weak, bound: 0)
    case 5, 6:
      let (a, b) = (sub(), sub())
      return Term(text: "\(rng.chance(50) ? "max" : "min")(\(a.text), \(b.text))", weak: a.weak && b.weak, bound: 0)
    case 7:
      let a = sub()
      return Term(text: rng.chance(50) ? "abs(\(a.text))" : "-(\(a.text))", weak: a.weak, bound: 0)
    default:
      let (a, b) = (sub(), sub())
      return Term(text: "where(\(condition(env: env, depth: 1)), \(a.text), \(b.text))", weak: a.weak && b.weak, bound: 0)
    }
  }

  /// A `bool` expression over inputs, integer values and indices (never a computed float).
  mutating func condition(env: [(String, Int)], depth: Int) -> String {
    if depth > 0, rng.chance(25) {
      let (a, b) = (condition(env: env, depth: depth - 1), condition(env: env, depth: depth - 1))
      return rng.pick(["(\(a)) and (\(b))", "(\(a)) or (\(b))", "not (\(a))"]) ?? a
    }
    let cmp = rng.pick(["<", "<=", ">", ">=", "==", "!="]) ?? "<"
    let floatInputs = tensors.filter { $0.isInput && !Self.intTypes.contains($0.dtype) }
    switch rng.below(3) {
    case 0:
      if let x = rng.pick(floatInputs) {
        let rhs = rng.chance(50) ? "0" : (rng.pick(["0.5", "-0.5", "1"]) ?? "0")
        return "\(load(x, env: env)) \(cmp == "==" ? "<" : cmp) \(rhs)"
      }
      fallthrough
    case 1:
      let t = intExpr("i64", env: env, depth: 1)
      return "\(strong(t, "i64").text) \(cmp) \(rng.below(5) - 1)"
    default:
      let a = rng.pick(env)?.0 ?? "0"
      let b = rng.pick(env)?.0 ?? dimNames[0]
      return rng.chance(50) ? "\(a) \(cmp) \(b)" : "\(a) % 2 == \(rng.below(2))"
    }
  }
}

/// Names of the constructs `ProgramGenerator.features` reports.
public enum Feature {
  /// A strided transposed convolution (`ProgramGenerator.generatePhased`).
  public static let phase = "phase"
  /// An f64 expression reads a computed f32/f16/bf16 definition (its rounding point depends on the schedule).
  public static let narrowDefinitionInF64 = "narrow-definition-in-f64"
}

extension String {
  func replacingFirst(_ target: String, with replacement: String) -> String {
    guard let r = range(of: target) else { return self }
    return replacingCharacters(in: r, with: replacement)
  }

}

extension ProgramGenerator {
  /// A strided transposed convolution (the shape `phase_split` and `store_phases` rewrite): 1 or 2 output axes of
  /// stride 2 or 3, each read under the guard `(t + P - k) % S == 0` at `x[.., (t + P - k) / S, ..]`, with or
  /// without an elementwise epilogue (a bias, `tanh`, `max(., 0)`); output lengths `S * L + K - 1 - P` (so not
  /// always a multiple of the stride, a ragged last phase) and taps `K` not always a multiple of it (phases with
  /// different tap counts). f32 throughout, magnitudes bounded (the taps are few).
  public mutating func generatePhased(name: String) -> String {
    features = [Feature.phase]
    let rank = 1 + rng.below(2)
    let stride = 2 + rng.below(2)
    let taps = 2 + rng.below(4)
    let pad = rng.below(min(taps, 3))
    let lengths = (0..<rank).map { _ in 2 + rng.below(9) }
    let axes = Array(["s", "t"].suffix(rank))
    let positions = rank == 1 ? ["L"] : ["H", "W"]
    let kernelAxes = Array(["p", "q"].suffix(rank))
    var guards: [String] = []
    var reads: [String] = []
    for (a, k) in zip(axes, kernelAxes) {
      let e = pad == 0 ? "\(a) - \(k)" : "\(a) + \(pad) - \(k)"
      guards.append("(\(e)) % \(stride) == 0")
      reads.append("(\(e)) / \(stride)")
    }
    let outputs = positions.map { "\(stride) * \($0) + K - \(1 + pad)" }
    let conv = "sum(c, \(kernelAxes.joined(separator: ", "))) where(\(guards.joined(separator: " and ")), x[n, c, \(reads.joined(separator: ", "))], 0) * w[c, f, \(kernelAxes.joined(separator: ", "))]"
    let body: String
    switch rng.below(4) {
    case 0: body = conv
    case 1: body = "tanh((\(conv)) + b[f])"
    case 2: body = "max((\(conv)) - b[f], 0)"
    default: body = "(\(conv)) * 0.5 + b[f]"
    }
    let dimsLine = (["N = \(1 + rng.below(2))", "C = \(1 + rng.below(4))", "F = \(1 + rng.below(5))", "K = \(taps)"]
      + zip(positions, lengths).map { "\($0) = \($1)" }).joined(separator: ", ")
    return """
      kernel \(name)(x: f32[N, C, \(positions.joined(separator: ", "))], w: f32[C, F, \(Array(repeating: "K", count: rank).joined(separator: ", "))], b: f32[F]) -> (y: f32[N, F, \(outputs.joined(separator: ", "))]) {
        dims \(dimsLine)
        y[n, f, \(axes.joined(separator: ", "))] = \(body)
      }

      """
  }
}
