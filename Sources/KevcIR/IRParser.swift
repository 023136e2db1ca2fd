import KevcBasic

/// Reads the textual form of kernel IR (`.kir`, docs/ir.md) back into a `Kernel`, the inverse of `IRPrinter`.
///
/// The parser checks syntax only; whether the kernel makes sense (names, types, scopes) is the `Verifier`'s job, so
/// that every kernel the printer can print can be read back, valid or not. Parsed objects carry the locations of
/// their text (kernel: the `kernel` keyword; params, results and definitions: their `%name`). Any input, however
/// malformed, gives a located `kevc.ir.*` diagnostic, never a trap.
public enum IRParser {
  public static func parse(_ source: SourceFile) throws(DiagnosticError) -> Kernel {
    var parser = Parser(tokens: try IRLexer.tokenize(source))
    return try parser.kernel()
  }

  /// Parses one expression (as `IRPrinter.print(_: Expr)` writes it), e.g. for tests and tools.
  public static func parseExpr(_ source: SourceFile) throws(DiagnosticError) -> Expr {
    var parser = Parser(tokens: try IRLexer.tokenize(source))
    let e = try parser.expr()
    try parser.expectEnd()
    return e
  }
}

/// Clearing source locations, to compare kernels by content (`parse(print(k))` has the IR file's locations).
extension Kernel {
  public func withoutLocations() -> Kernel {
    var k = self
    k.location = .unknown
    k.constraints = constraints.map {
      var c = $0
      c.first.location = .unknown
      c.second.location = .unknown
      return c
    }
    k.params = params.map { var p = $0; p.location = .unknown; return p }
    k.results = results.map { var p = $0; p.location = .unknown; return p }
    k.definitions = definitions.map { var d = $0; d.location = .unknown; return d }
    return k
  }
}

private struct Parser {
  let tokens: [IRToken]
  var position = 0
  /// Nesting depth of expressions and sizes, bounded so that hostile input cannot exhaust the stack.
  var depth = 0
  static let maxDepth = 256

  init(tokens: [IRToken]) { self.tokens = tokens }

  static let syntax = DiagnosticID("ir", "syntax")
  static let literal = DiagnosticID("ir", "invalid-literal")
  static let nesting = DiagnosticID("ir", "nesting-too-deep")

  var current: IRToken { tokens[min(position, tokens.count - 1)] }
  func peek(_ k: Int) -> IRToken { tokens[min(position + k, tokens.count - 1)] }

  mutating func advance() { if position < tokens.count - 1 { position += 1 } }

  /// Whether `w` begins a reduction (when `<` follows): an operator, `reduce`, or the `argmax`/`argmin` spelling of
  /// a tuple reduction.
  static func isReduction(_ w: String) -> Bool { ReduceOp(rawValue: w) != nil || w == "argmax" || w == "argmin" }

  func error(_ message: String, at token: IRToken? = nil, id: DiagnosticID = Parser.syntax) -> DiagnosticError {
    DiagnosticError(.error(id, message, at: (token ?? current).location))
  }

  func isPunct(_ p: String, _ t: IRToken? = nil) -> Bool {
    if case .punct(let q) = (t ?? current).kind { return q == p }
    return false
  }

  func isWord(_ w: String, _ t: IRToken? = nil) -> Bool {
    if case .ident(let q) = (t ?? current).kind { return q == w }
    return false
  }

  mutating func expect(_ p: String, _ what: String? = nil) throws(DiagnosticError) {
    guard isPunct(p) else {
      throw error("expected '\(p)'\(what.map { " " + $0 } ?? ""), found \(current.describe)")
    }
    advance()
  }

  mutating func expectWord(_ w: String) throws(DiagnosticError) {
    guard isWord(w) else { throw error("expected '\(w)', found \(current.describe)") }
    advance()
  }

  mutating func expectEnd() throws(DiagnosticError) {
    guard case .eof = current.kind else { throw error("expected end of file, found \(current.describe)") }
  }

  mutating func enter() throws(DiagnosticError) {
    depth += 1
    if depth > Parser.maxDepth {
      throw error("expression nests more than \(Parser.maxDepth) levels deep", id: Parser.nesting)
    }
  }

  mutating func leave() { depth -= 1 }

  // MARK: - Kernel

  mutating func kernel() throws(DiagnosticError) -> Kernel {
    let start = current
    try expectWord("kernel")
    guard case .global(let name) = current.kind else {
      throw error("expected the kernel's name '@NAME', found \(current.describe)")
    }
    advance()
    try expect("(", "after the kernel's name")
    let params = try paramList()
    try expect("->", "after the parameters")
    try expect("(", "before the results")
    let results = try paramList()
    var matmulPrecision = MatmulPrecision.highest
    if isWord("matmul_precision") {
      advance()
      try expect("(", "after 'matmul_precision'")
      guard case .ident(let p) = current.kind, let value = MatmulPrecision(rawValue: p) else {
        throw error("expected a matmul precision (\(MatmulPrecision.spellings)), found \(current.describe)")
      }
      advance()
      try expect(")", "after the matmul precision")
      matmulPrecision = value
    }
    try expect("{", "before the kernel's body")
    var dims: [Dim] = []
    if isWord("dims") {
      advance()
      dims = try dimList()
    }
    var constraints: [ShapeConstraint] = []
    while isWord("require") { constraints.append(try constraint()) }
    var definitions: [Definition] = []
    while !isPunct("}") {
      if isWord("dims") {
        throw error("the dims line must come first in the kernel's body, and only once")
      }
      if isWord("require") { throw error("'require' lines come after the dims line, before the definitions") }
      guard case .local = current.kind else {
        throw error("expected a definition '%NAME: DTYPE[...] = ...' or '}', found \(current.describe)")
      }
      definitions.append(try definition())
    }
    advance()
    try expectEnd()
    return Kernel(
      name: name, dims: dims, params: params, results: results, definitions: definitions, location: start.location,
      constraints: constraints, matmulPrecision: matmulPrecision)
  }

  /// `require SIZE == SIZE for NAME in %T[INT], %T[INT]`.
  mutating func constraint() throws(DiagnosticError) -> ShapeConstraint {
    try expectWord("require")
    let a = try size()
    try expect("==", "between the sizes that must agree")
    let b = try size()
    try expectWord("for")
    let variable = try bareName("an index variable")
    try expectWord("in")
    func use(_ extent: SizeExpr) throws(DiagnosticError) -> ShapeConstraint.Use {
      let start = current
      guard case .local(let tensor) = current.kind else {
        throw error("expected a tensor dimension '%NAME[DIM]', found \(current.describe)")
      }
      advance()
      try expect("[", "before the dimension number")
      let dimension = try signedInt("a dimension number")
      try expect("]", "after the dimension number")
      return ShapeConstraint.Use(tensor: tensor, dimension: dimension, extent: extent, location: start.location)
    }
    let first = try use(a)
    try expect(",", "between the two tensor dimensions")
    let second = try use(b)
    return ShapeConstraint(variable: variable, first: first, second: second)
  }

  /// `param (',' param)* ')'`, or just `)`.
  mutating func paramList() throws(DiagnosticError) -> [Param] {
    var out: [Param] = []
    if isPunct(")") {
      advance()
      return out
    }
    while true {
      out.append(try param())
      if isPunct(",") {
        advance()
        continue
      }
      try expect(")", "or ',' after a parameter")
      return out
    }
  }

  mutating func param() throws(DiagnosticError) -> Param {
    let start = current
    guard case .local(let name) = current.kind else {
      throw error("expected a parameter '%NAME: DTYPE', found \(current.describe)")
    }
    advance()
    try expect(":", "after '\(start.text)'")
    let dtype = try dtypeName()
    var shape: [SizeExpr] = []
    if isPunct("[") {
      advance()
      if isPunct("]") {
        throw error("a parameter's shape needs at least one size; write '%NAME: DTYPE' for a scalar")
      }
      while true {
        shape.append(try size())
        if isPunct(",") {
          advance()
          continue
        }
        try expect("]", "or ',' after a size")
        break
      }
    }
    var domain: ValueDomain?
    if isWord("sorted") || isWord("in") {
      let sorted = isWord("sorted")
      if sorted { advance() }
      try expectWord("in")
      let lo = try size()
      try expect("..", "between the bounds of a value domain")
      let hi = try size()
      domain = ValueDomain(lowerBound: lo, upperBound: hi, sorted: sorted)
    }
    return Param(name: name, dtype: dtype, shape: shape, domain: domain, location: start.location)
  }

  mutating func dtypeName() throws(DiagnosticError) -> DType {
    guard case .ident(let w) = current.kind, let t = DType(rawValue: w) else {
      throw error(
        "expected an element type (\(DType.allCases.map(\.rawValue).joined(separator: ", "))), found \(current.describe)"
      )
    }
    advance()
    return t
  }

  mutating func dimList() throws(DiagnosticError) -> [Dim] {
    var out: [Dim] = []
    while true {
      let name = try bareName("a dim name")
      var d = Dim(name: name)
      if isPunct("=") {
        advance()
        d.value = try signedInt("a dim value")
      }
      if isWord("bench") {
        advance()
        d.benchValue = try signedInt("a bench value")
      }
      out.append(d)
      guard isPunct(",") else { return out }
      advance()
    }
  }

  /// An identifier or quoted name.
  mutating func bareName(_ what: String) throws(DiagnosticError) -> String {
    switch current.kind {
    case .ident(let w), .string(let w):
      advance()
      return w
    case .local, .global, .dimRef, .int, .float, .punct, .eof:
      throw error("expected \(what), found \(current.describe)")
    }
  }

  /// An optionally negative integer that fits in `Int`.
  mutating func signedInt(_ what: String) throws(DiagnosticError) -> Int {
    let start = current
    var negative = false
    if isPunct("-") {
      negative = true
      advance()
    }
    guard case .int(let magnitude) = current.kind else { throw error("expected \(what), found \(current.describe)") }
    advance()
    guard let v = Parser.signed(magnitude, negative: negative) else {
      throw error("integer literal is out of range", at: start, id: Parser.literal)
    }
    guard let i = Int(exactly: v) else { throw error("integer literal is out of range", at: start, id: Parser.literal) }
    return i
  }

  static func signed(_ magnitude: UInt64, negative: Bool) -> Int64? {
    if negative {
      if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
      guard let v = Int64(exactly: magnitude) else { return nil }
      return -v
    }
    return Int64(exactly: magnitude)
  }

  // MARK: - Sizes

  mutating func size() throws(DiagnosticError) -> SizeExpr {
    switch current.kind {
    case .ident(let w), .string(let w):
      advance()
      return .dim(w)
    case .int, .punct("-"):
      return .constant(try signedInt("a size"))
    case .punct("("):
      try enter()
      defer { leave() }
      advance()
      let a = try size()
      let op = current
      guard case .punct(let symbol) = op.kind, ["+", "-", "*", "/"].contains(symbol) else {
        throw error("expected '+', '-', '*' or '/' in a size, found \(current.describe)")
      }
      advance()
      let b = try size()
      try expect(")", "after a size")
      switch symbol {
      case "+": return .add(a, b)
      case "-": return .sub(a, b)
      case "*": return .mul(a, b)
      default: return .div(a, b)
      }
    case .local, .global, .dimRef, .float, .punct, .eof:
      throw error("expected a size (a dim, an integer or a parenthesised operation), found \(current.describe)")
    }
  }

  // MARK: - Definitions

  mutating func definition() throws(DiagnosticError) -> Definition {
    let start = current
    guard case .local(let name) = current.kind else { throw error("expected a definition") }
    advance()
    try expect(":", "after '\(start.text)'")
    let dtype = try dtypeName()
    try expect("[", "before the definition's axes ('[]' for a 0-d tensor)")
    var axes: [Axis] = []
    if !isPunct("]") {
      while true {
        let axis = try bareName("an axis name")
        try expect("<", "after the axis name '\(axis)'")
        axes.append(Axis(name: axis, extent: try size()))
        if isPunct(",") {
          advance()
          continue
        }
        break
      }
    }
    try expect("]", "after the definition's axes")
    try expect("=", "after the definition's axes")
    var reduction: Reduction?
    var scanAxis: String?
    if isWord("scan"), isPunct("(", peek(1)) {
      advance()
      advance()
      scanAxis = try bareName("the scan axis")
      try expect(")", "after the scan axis")
      guard case .ident(let w) = current.kind, Self.isReduction(w), isPunct("<", peek(1)) else {
        throw error("expected a reduction after 'scan(\(scanAxis ?? ""))', found \(current.describe)")
      }
    }
    if case .ident(let w) = current.kind, Self.isReduction(w), isPunct("<", peek(1)) {
      let keyword = current
      // `argmax<T>`/`argmin<T>` spell the tuple reduction Combiner.argExtreme (TupleReduction.swift).
      let argExtreme: Bool? = w == "argmax" ? true : w == "argmin" ? false : nil
      let op = ReduceOp(rawValue: w) ?? .tuple
      advance()
      advance()
      var components: [Combiner.Component] = []
      let acc: DType
      if op == .tuple && argExtreme == nil {
        components = try combinerComponents()
        acc = components[0].dtype
      } else {
        acc = try dtypeName()
        try expect(">", "after the accumulator type")
      }
      try expect("[", "before the reduction axes")
      var raxes: [ReductionAxis] = []
      if !isPunct("]") {
        while true {
          let r = try bareName("a reduction axis name")
          try expectWord("in")
          let lo = try expr()
          try expect("..", "between the bounds of a reduction axis")
          let hi = try expr()
          raxes.append(ReductionAxis(name: r, lowerBound: lo, upperBound: hi))
          if isPunct(",") {
            advance()
            continue
          }
          break
        }
      }
      try expect("]", "after the reduction axes")
      if let isMax = argExtreme {
        guard raxes.count == 1 else {
          throw error(
            "'\(w)' reduces over exactly one axis, found \(raxes.count)", at: keyword, id: Verifier.id("invalid-reduction"))
        }
        reduction = .argExtreme(isMax: isMax, accumulator: acc, axis: raxes[0], scanAxis: scanAxis)
      } else {
        reduction = Reduction(op: op, accumulator: acc, axes: raxes, scanAxis: scanAxis)
      }
      if op == .tuple && argExtreme == nil {
        let elements = try exprList("the tuple reduction's elements")
        try expectWord("combine")
        let combine = try exprList("the combiner")
        try expectWord("yield")
        let yield = try expr()
        reduction?.combiner = Combiner(
          components: components, otherElements: Array(elements.dropFirst()), combine: combine, yield: yield)
        let schedule = isWord("schedule") ? try self.schedule() : nil
        return Definition(
          name: name, dtype: dtype, axes: axes, reduction: reduction, body: elements[0], schedule: schedule,
          location: start.location)
      }
    }
    let body = try expr()
    let schedule = isWord("schedule") ? try self.schedule() : nil
    return Definition(
      name: name, dtype: dtype, axes: axes, reduction: reduction, body: body, schedule: schedule,
      location: start.location)
  }

  /// `NAME: DTYPE = CONSTANT, ...>`: the state components of a tuple reduction, after `reduce<`.
  mutating func combinerComponents() throws(DiagnosticError) -> [Combiner.Component] {
    var components: [Combiner.Component] = []
    while true {
      let name = try bareName("a state component name")
      try expect(":", "after the state component '\(name)'")
      let t = try dtypeName()
      try expect("=", "before the identity of '\(name)'")
      let at = current
      guard case .constant(let identity) = try expr() else {
        throw error("the identity of '\(name)' must be a constant", at: at)
      }
      components.append(Combiner.Component(name: name, dtype: t, identity: identity))
      if isPunct(",") {
        advance()
        continue
      }
      break
    }
    try expect(">", "after the state components")
    return components
  }

  /// `(EXPR, ...)`: one or more expressions in parentheses.
  mutating func exprList(_ what: String) throws(DiagnosticError) -> [Expr] {
    try expect("(", "before \(what)")
    var out = [try expr()]
    while isPunct(",") {
      advance()
      out.append(try expr())
    }
    try expect(")", "after \(what)")
    return out
  }

  // MARK: - Schedules

  /// `schedule` followed by items: `fuse(v, outer, inner)` (at most one, before the splits), `split(v, outer,
  /// inner, INT)` (any number, in order), `loops(...)` (required),
  /// `root` | `compute_at(%consumer, loop)`, `store(SCOPE[, permute [INTS]][, pad [INTS]])`, `dot`,
  /// `launch(warps W, stages S)`, `precision(tf32 | tf32x3 | bf16x3 | bf16)`, `group(G)`, `persistent(P)`,
  /// `compute_with(%sibling)`.
  mutating func schedule() throws(DiagnosticError) -> Schedule {
    let start = current
    try expectWord("schedule")
    var splits: [Split] = []
    var fusion: LoopFusion?
    var loops: [ScheduledLoop]?
    var placement: Placement?
    var storage: Storage?
    var isDot = false
    var launch: GPULaunch?
    var precision: DotPrecision?
    var group: Int?
    var persistent: Int?
    var computeWith: String?
    var computeWithLoop: String?
    func once<T>(_ value: T?, _ what: String) throws(DiagnosticError) {
      if value != nil { throw error("a schedule has one '\(what)'") }
    }
    scheduleItems: while case .ident(let w) = current.kind {
      switch w {
      case "fuse":
        try once(fusion, "fuse")
        advance()
        try expect("(", "after 'fuse'")
        let v = try bareName("the name of the fused loop")
        try expect(",", "after the fused loop")
        let outer = try bareName("the outer axis's name")
        try expect(",", "after the outer axis")
        let inner = try bareName("the inner axis's name")
        try expect(")", "after the inner axis")
        fusion = LoopFusion(variable: v, outer: outer, inner: inner)
      case "split":
        advance()
        try expect("(", "after 'split'")
        let v = try bareName("the name of the split loop")
        try expect(",", "after the split loop")
        let outer = try bareName("the outer loop's name")
        try expect(",", "after the outer loop")
        let inner = try bareName("the inner loop's name")
        try expect(",", "after the inner loop")
        let factor = try signedInt("a split factor")
        try expect(")", "after the split factor")
        splits.append(Split(variable: v, outer: outer, inner: inner, factor: factor))
      case "loops":
        try once(loops, "loops")
        advance()
        try expect("(", "after 'loops'")
        var list: [ScheduledLoop] = []
        if !isPunct(")") {
          while true {
            let name = try bareName("a loop name")
            var kind = LoopKind.serial
            if isPunct(":") {
              advance()
              kind = try loopKind()
            }
            list.append(ScheduledLoop(name: name, kind: kind))
            if isPunct(",") {
              advance()
              continue
            }
            break
          }
        }
        try expect(")", "after the loops")
        loops = list
      case "root":
        try once(placement, "placement")
        advance()
        placement = .root
      case "compute_at":
        try once(placement, "placement")
        advance()
        try expect("(", "after 'compute_at'")
        guard case .local(let consumer) = current.kind else {
          throw error("expected the consumer '%NAME', found \(current.describe)")
        }
        advance()
        try expect(",", "after the consumer")
        let loop = try bareName("a loop of the consumer")
        try expect(")", "after the loop")
        placement = .computeAt(consumer: consumer, loop: loop)
      case "store":
        try once(storage, "store")
        advance()
        try expect("(", "after 'store'")
        guard case .ident(let scopeName) = current.kind, let scope = MemoryScope(rawValue: scopeName) else {
          throw error(
            "expected a memory scope (\(MemoryScope.allCases.map(\.rawValue).joined(separator: ", "))), found \(current.describe)")
        }
        advance()
        var s = Storage(scope: scope)
        while isPunct(",") {
          advance()
          if isWord("permute"), s.permutation == nil {
            advance()
            s.permutation = try intList()
          } else if isWord("pad"), s.padding == nil {
            advance()
            s.padding = try intList()
          } else if isWord("into"), s.interleave == nil {
            advance()
            guard case .local(let tensor) = current.kind else {
              throw error("expected the tensor '%NAME' stored into, found \(current.describe)")
            }
            advance()
            try expectWord("stride")
            let strides = try intList()
            try expectWord("offset")
            let offsets = try intList()
            s.interleave = StridedSlice(tensor: tensor, strides: strides, offsets: offsets)
          } else {
            throw error("expected 'permute [...]', 'pad [...]' or 'into %NAME stride [...] offset [...]', found \(current.describe)")
          }
        }
        try expect(")", "after the storage")
        storage = s
      case "dot":
        if isDot { throw error("a schedule has one 'dot'") }
        advance()
        isDot = true
      case "launch":
        try once(launch, "launch")
        advance()
        try expect("(", "after 'launch'")
        try expectWord("warps")
        let warps = try signedInt("a number of warps")
        try expect(",", "after the warps")
        try expectWord("stages")
        let stages = try signedInt("a number of stages")
        try expect(")", "after the stages")
        launch = GPULaunch(warps: warps, stages: stages)
      case "precision":
        try once(precision, "precision")
        advance()
        try expect("(", "after 'precision'")
        guard case .ident(let p) = current.kind, let value = DotPrecision(rawValue: p) else {
          throw error(
            "expected a precision (\(DotPrecision.allCases.map(\.rawValue).joined(separator: ", "))), found \(current.describe)")
        }
        advance()
        try expect(")", "after the precision")
        precision = value
      case "group":
        try once(group, "group")
        group = try parenthesizedInt("group", "a group size")
      case "persistent":
        try once(persistent, "persistent")
        persistent = try parenthesizedInt("persistent", "a number of programs")
      case "compute_with":
        try once(computeWith, "compute_with")
        advance()
        try expect("(", "after 'compute_with'")
        guard case .local(let sibling) = current.kind else {
          throw error("expected the sibling '%NAME', found \(current.describe)")
        }
        advance()
        if isPunct(",") {
          advance()
          computeWithLoop = try bareName("the shared loop's name")
        }
        try expect(")", "after the sibling")
        computeWith = sibling
      default:
        break scheduleItems
      }
    }
    guard let loops else { throw error("a schedule needs 'loops(...)'", at: start) }
    return Schedule(
      loops: loops, splits: splits, placement: placement ?? .root, storage: storage ?? Storage(), isDot: isDot,
      launch: launch, dotPrecision: precision, programGroup: group, persistentPrograms: persistent,
      computeWith: computeWith, computeWithLoop: computeWithLoop, fusion: fusion)
  }

  /// `WORD(INT)` of a schedule item, at the item's word.
  mutating func parenthesizedInt(_ word: String, _ what: String) throws(DiagnosticError) -> Int {
    advance()
    try expect("(", "after '\(word)'")
    let value = try signedInt(what)
    try expect(")", "after \(what)")
    return value
  }

  mutating func loopKind() throws(DiagnosticError) -> LoopKind {
    guard case .ident(let w) = current.kind else { throw error("expected a loop kind, found \(current.describe)") }
    switch w {
    case "serial":
      advance()
      return .serial
    case "parallel":
      advance()
      return .parallel
    case "unroll":
      advance()
      return .unrolled
    case "vectorize":
      advance()
      try expect("(", "after 'vectorize'")
      let width = try signedInt("a vector width")
      try expect(")", "after the vector width")
      return .vectorized(width: width)
    case "bind":
      advance()
      try expect("(", "after 'bind'")
      guard case .ident(let d) = current.kind, let dim = GPUDimension(rawValue: d) else {
        throw error(
          "expected a GPU dimension (\(GPUDimension.allCases.map(\.rawValue).joined(separator: ", "))), found \(current.describe)")
      }
      advance()
      try expect(")", "after the GPU dimension")
      return .gpu(dim)
    default:
      throw error("expected a loop kind (serial, parallel, vectorize(N), unroll, bind(DIM)), found \(current.describe)")
    }
  }

  /// `[INT, ...]`.
  mutating func intList() throws(DiagnosticError) -> [Int] {
    try expect("[", "before a list of integers")
    var out: [Int] = []
    if !isPunct("]") {
      while true {
        out.append(try signedInt("an integer"))
        if isPunct(",") {
          advance()
          continue
        }
        break
      }
    }
    try expect("]", "after a list of integers")
    return out
  }

  // MARK: - Expressions

  static let infix: [String: BinaryOp] = [
    "+": .add, "-": .sub, "*": .mul, "/": .div, "%": .mod, "==": .eq, "!=": .ne, "<": .lt, "<=": .le, ">": .gt,
    ">=": .ge,
  ]

  mutating func expr() throws(DiagnosticError) -> Expr {
    try enter()
    defer { leave() }
    let start = current
    switch current.kind {
    case .punct("("):
      advance()
      let a = try expr()
      if isPunct(")") {
        advance()
        return a
      }
      let op: BinaryOp
      switch current.kind {
      case .punct(let p):
        guard let o = Parser.infix[p] else { throw error("expected a binary operator or ')', found \(current.describe)") }
        op = o
      case .ident("and"): op = .and
      case .ident("or"): op = .or
      case .ident, .string, .local, .global, .dimRef, .int, .float, .eof:
        throw error("expected a binary operator or ')', found \(current.describe)")
      }
      advance()
      let b = try expr()
      try expect(")", "after a binary operation")
      return .binary(op, a, b)
    case .int, .float, .punct("-"):
      return .constant(try constant())
    case .ident(let w):
      switch w {
      case "true", "false", "inf", "nan":
        return .constant(try constant())
      case "cast":
        advance()
        try expect("<", "after 'cast'")
        let t = try dtypeName()
        try expect(">", "after the cast's type")
        try expect("(", "before the cast's operand")
        let a = try expr()
        try expect(")", "after the cast's operand")
        return .cast(t, a)
      default:
        break
      }
      guard isPunct("(", peek(1)) else {
        if IRPrinter.reserved.contains(w) {
          throw error("'\(w)' is a keyword; quote it (\"\(w)\") to use it as an index name")
        }
        advance()
        return .index(w)
      }
      advance()
      advance()
      var args: [Expr] = []
      if !isPunct(")") {
        while true {
          args.append(try expr())
          if isPunct(",") {
            advance()
            continue
          }
          break
        }
      }
      try expect(")", "after the arguments of '\(w)'")
      func arity(_ n: Int) throws(DiagnosticError) {
        guard args.count == n else {
          throw error("'\(w)' takes \(n) argument\(n == 1 ? "" : "s"), found \(args.count)", at: start)
        }
      }
      if w == "select" {
        try arity(3)
        return .select(args[0], args[1], args[2])
      }
      if let op = UnaryOp(rawValue: w) {
        try arity(1)
        return .unary(op, args[0])
      }
      if let op = BinaryOp(rawValue: w), op == .max || op == .min || op == .pow {
        try arity(2)
        return .binary(op, args[0], args[1])
      }
      throw error("unknown function '\(w)'", at: start)
    case .string(let w):
      advance()
      return .index(w)
    case .dimRef(let w):
      advance()
      return .dim(w)
    case .local(let w):
      advance()
      guard isPunct("[") else { return .scalar(w) }
      advance()
      var indices: [Expr] = []
      if !isPunct("]") {
        while true {
          indices.append(try expr())
          if isPunct(",") {
            advance()
            continue
          }
          break
        }
      }
      try expect("]", "after the indices of '\(start.text)'")
      var bounds = LoadBounds.padded(nil)
      if isWord("else") {
        advance()
        bounds = .padded(try constant())
      } else if isWord("inbounds") {
        advance()
        bounds = .inBounds
      }
      return .load(Load(tensor: w, indices: indices, bounds: bounds))
    case .global, .punct, .eof:
      throw error("expected an expression, found \(current.describe)")
    }
  }

  /// `[-] INT [':' DTYPE]` (i64 without a type), `[-] FLOAT ':' DTYPE`, `[-] (inf | nan) ':' DTYPE`,
  /// `(true | false) [':' DTYPE]`.
  mutating func constant() throws(DiagnosticError) -> Constant {
    let start = current
    var negative = false
    if isPunct("-") {
      negative = true
      advance()
    }
    func suffix(_ required: Bool) throws(DiagnosticError) -> DType? {
      guard isPunct(":") else {
        if required { throw error("expected ':' and a type after the literal \(start.describe)") }
        return nil
      }
      advance()
      return try dtypeName()
    }
    switch current.kind {
    case .int(let magnitude):
      advance()
      let t = try suffix(false) ?? .i64
      if t.isFloat {
        let v = Double(magnitude)
        return .float(negative ? -v : v, t)
      }
      guard let v = Parser.signed(magnitude, negative: negative) else {
        throw error("integer literal is out of range", at: start, id: Parser.literal)
      }
      return Constant(t, .int(v))
    case .float(let v):
      advance()
      guard let t = try suffix(true) else { throw error("expected a type") }
      return Constant(t, .float(negative ? -v : v))
    case .ident("inf"), .ident("nan"):
      let isInf = isWord("inf")
      advance()
      guard let t = try suffix(true) else { throw error("expected a type") }
      let v = isInf ? Double.infinity : Double.nan
      return Constant(t, .float(negative ? -v : v))
    case .ident("true"), .ident("false"):
      guard !negative else { throw error("expected a number after '-', found \(current.describe)") }
      let b = isWord("true")
      advance()
      return Constant(try suffix(false) ?? .bool, .bool(b))
    case .ident, .string, .local, .global, .dimRef, .punct, .eof:
      throw error(
        negative
          ? "expected a number after '-', found \(current.describe)"
          : "expected a constant, found \(current.describe)")
    }
  }
}
