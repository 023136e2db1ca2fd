import KevcBasic
import KevcIR

/// How a target spells the matrix-unit path of a `ThreadPlan.MatrixTile` (the HIP target: MFMA on gfx9). The walk
/// is `PlanPrinter.matrixTile`'s: it binds the tile's row, column and reduction variables to the lane's values and
/// prints the tile's own IR statements and operand expressions with the target's syntax; the spelling gives the
/// registers, the per-lane offsets of the instruction's layout and the instruction.
public struct MatrixUnitSpelling {
  /// Lines that take the matrix-unit path where the target compiles for a matrix unit, switch to the portable
  /// path, and end the choice (`#if defined(KEVC_MFMA)`, `#else`, `#endif`).
  public var begin: String
  public var otherwise: String
  public var end: String
  /// Opens the tile's scope (last line opens a block), then declares the lane and its registers.
  public var open: [String]
  public var declarations: [String]
  /// Opens the loop over every accumulator register of the lane (last line opens it); `registerRow` and
  /// `registerColumn` are its element's offsets in the tile, `register` the register.
  public var eachRegister: [String]
  public var registerRow: String
  public var registerColumn: String
  public var register: String
  /// Opens the loop over the lane's operand values of the rows' operand (`lhs`) and the columns' operand (`rhs`);
  /// their row (column) offset in the tile and their reduction step in the instruction.
  public var eachLeft: [String]
  public var leftRow: String
  public var leftStep: String
  public var eachRight: [String]
  public var rightColumn: String
  public var rightStep: String
  /// `register = condition ? value : 0` for the current operand value, converted to the instruction's type.
  public var setLeft: (_ condition: String, _ value: String) -> String
  public var setRight: (_ condition: String, _ value: String) -> String
  /// `register = value` for the current accumulator register.
  public var setRegister: (_ value: String) -> String
  /// `for (v = lo; v < hi; v += step)` with `step` the instruction's reduction steps.
  public var stepLoop: (_ v: String, _ lo: String, _ hi: String) -> String
  /// The instructions over the operands just set.
  public var multiply: [String]
  /// Opens the portable path's loop over the tile's elements `lo ..< hi` strided over the block's threads, as many
  /// as the target launches where it takes that path.
  public var portableLoop: (_ v: String, _ lo: String, _ hi: String) -> String

  public init(
    begin: String, otherwise: String, end: String, open: [String], declarations: [String], eachRegister: [String],
    registerRow: String, registerColumn: String, register: String, eachLeft: [String], leftRow: String,
    leftStep: String, eachRight: [String], rightColumn: String, rightStep: String,
    setLeft: @escaping (String, String) -> String, setRight: @escaping (String, String) -> String,
    setRegister: @escaping (String) -> String, stepLoop: @escaping (String, String, String) -> String,
    multiply: [String], portableLoop: @escaping (String, String, String) -> String
  ) {
    self.begin = begin
    self.otherwise = otherwise
    self.end = end
    self.open = open
    self.declarations = declarations
    self.eachRegister = eachRegister
    self.registerRow = registerRow
    self.registerColumn = registerColumn
    self.register = register
    self.eachLeft = eachLeft
    self.leftRow = leftRow
    self.leftStep = leftStep
    self.eachRight = eachRight
    self.rightColumn = rightColumn
    self.rightStep = rightStep
    self.setLeft = setLeft
    self.setRight = setRight
    self.setRegister = setRegister
    self.stepLoop = stepLoop
    self.multiply = multiply
    self.portableLoop = portableLoop
  }
}

extension PlanPrinter {
  /// The portable path of a tile: its elements, row-major, strided over the block's threads; each thread runs the
  /// column loop's body (the accumulator, the reduction loops, the epilogue) for its elements inside the bounds.
  mutating func portableTile(_ t: ThreadPlan.MatrixTile, _ spelling: MatrixUnitSpelling?) throws(DiagnosticError) {
    let savedScope = scope
    defer { scope = savedScope }
    let base = indent
    let element = fresh("kevc_e_", t.row.loop.variable)
    let rest = fresh("kevc_r_", t.row.loop.variable)
    let zero = try syntax.expr(.constant(.int(0, .i64)), scope).text
    let total = try syntax.expr(.constant(.int(Int64(t.row.span * t.column.span), .i64)), scope).text
    open(spelling?.portableLoop(element, zero, total) ?? syntax.stridedLoop(element, zero, total, threads: t.portableThreads))
    line(syntax.decodeStart(rest, element))
    let column = fresh("v_", t.column.loop.variable)
    let row = fresh("v_", t.row.loop.variable)
    for l in syntax.threadIndex(column, rest: rest, lower: t.column.lower, span: t.column.span, last: false) { line(l) }
    for l in syntax.threadIndex(row, rest: rest, lower: t.row.lower, span: t.row.span, last: true) { line(l) }
    scope.names[t.row.loop.variable] = row
    scope.names[t.column.loop.variable] = column
    for l in [t.row, t.column] where l.guarded { open(syntax.ifThen(try syntax.expr(l.inside, scope).text)) }
    try emit(t.column.loop.body)
    while indent > base { close() }
  }

  /// The matrix-unit path of a tile: every lane initialises its registers (the tile's initial statements, per
  /// element inside the tile's bounds), walks the outer reduction loops and the innermost one in instruction steps
  /// (operands masked to 0 outside the bounds), and runs the epilogue per element inside the bounds.
  ///
  /// Before (plan): `matrix tile m.i x n.i (32 x 32) over k.o, k.i into %c.acc: 32x32x2 f32 instructions`
  /// After (HIP):
  ///   { kevc_acc[e] = 0 for each register; for k.o { for (k0 = 0; k0 < hi; k0 += 2) { kevc_a = a[row, k0 + ...];
  ///     kevc_b = ...; kevc_acc = kevc_mfma_f32(kevc_acc, kevc_a, kevc_b); } }; c[row, col] = kevc_acc[e] ... }
  mutating func matrixTile(_ t: ThreadPlan.MatrixTile, _ u: MatrixUnitSpelling) throws(DiagnosticError) {
    let savedScope = scope
    defer { scope = savedScope }
    let base = indent
    opening(u.open)
    for d in u.declarations { line(d) }
    let rowVar = t.row.loop.variable
    let columnVar = t.column.loop.variable
    /// Binds `variable` to a fresh i64 holding `lower + offset`.
    func bind(_ variable: String, lower: Expr, offset: String) throws(DiagnosticError) {
      let name = fresh("v_", variable)
      for l in syntax.declare(name, .i64, "\(try syntax.expr(lower, scope).text) + (\(offset))") { line(l) }
      scope.names[variable] = syntax.variable(name)
    }
    func inside(_ l: ThreadPlan.ThreadLoop) -> Expr? { l.guarded ? l.inside : nil }
    func all(_ conditions: [Expr?]) -> Expr {
      conditions.compactMap { $0 }.reduce(nil as Expr?) { a, c in a.map { .binary(.and, $0, c) } ?? c }
        ?? .constant(.bool(true))
    }
    let rowLower = Expr.constant(.int(Int64(t.row.lower), .i64))
    let columnLower = Expr.constant(.int(Int64(t.column.lower), .i64))
    let zero = try syntax.expr(.constant(.float(0, .f32)), scope).text

    /// Each register inside the tile's bounds: `body` with the row and column bound; outside, `outside`.
    func eachElement(_ body: (inout Self) throws(DiagnosticError) -> Void, outside: String?) throws(DiagnosticError) {
      let saved = scope
      opening(u.eachRegister)
      try bind(rowVar, lower: rowLower, offset: u.registerRow)
      try bind(columnVar, lower: columnLower, offset: u.registerColumn)
      if let outside { line(outside) }
      open(syntax.ifThen(try syntax.expr(all([inside(t.row), inside(t.column)]), scope).text))
      let accumulator = declare(t.accumulator)
      line(syntax.allocate(accumulator, t.accumulator.dtype, count: 1))
      try body(&self)
      close()
      close()
      scope = saved
    }
    // Registers from the initial statements.
    try eachElement({ (p: inout Self) throws(DiagnosticError) in
      try p.emit(t.initial)
      p.line(u.setRegister(try p.syntax.expr(.load(Load(tensor: t.accumulator.name, indices: [], bounds: .inBounds)), p.scope).text))
    }, outside: u.setRegister(zero))

    // The reduction: outer loops serially, the innermost in instruction steps.
    guard let innermost = t.reduction.last else { throw Self.internalError("matrix tile without a reduction loop") }
    let reductionScope = scope
    for l in t.reduction.dropLast() {
      let lo = try syntax.expr(l.lowerBound, scope).text
      let hi = try syntax.expr(l.upperBound, scope).text
      let v = fresh("v_", l.variable)
      open(syntax.loop(v, lo, hi))
      scope.names[l.variable] = v
    }
    // IR names no program can spell (a space): the innermost loop's end and its step's start.
    let end = "kevc end \(innermost.variable)"
    let step = "kevc step \(innermost.variable)"
    let endName = fresh("kevc_end_", innermost.variable)
    for l in syntax.declare(endName, .i64, try syntax.expr(innermost.upperBound, scope).text) { line(l) }
    scope.names[end] = syntax.variable(endName)
    let stepName = fresh("kevc_k_", innermost.variable)
    open(u.stepLoop(stepName, try syntax.expr(innermost.lowerBound, scope).text, syntax.variable(endName)))
    scope.names[step] = stepName
    let k = Expr.index(innermost.variable)
    let kInside = Expr.binary(.lt, k, .index(end))
    for (each, lane, laneOffset, stepOffset, operand, set, guardLoop) in [
      (u.eachLeft, rowVar, u.leftRow, u.leftStep, t.lhs, u.setLeft, t.row),
      (u.eachRight, columnVar, u.rightColumn, u.rightStep, t.rhs, u.setRight, t.column),
    ] {
      let saved = scope
      opening(each)
      try bind(lane, lower: lane == rowVar ? rowLower : columnLower, offset: laneOffset)
      try bind(innermost.variable, lower: .index(step), offset: stepOffset)
      let condition = try syntax.expr(all([inside(guardLoop), kInside]), scope).text
      line(set(condition, try syntax.expr(operand, scope).text))
      close()
      scope = saved
    }
    for m in u.multiply { line(m) }
    close()
    for _ in t.reduction.dropLast() { close() }
    scope = reductionScope

    // The epilogue, per register inside the bounds, with the register as the accumulator's value.
    try eachElement({ (p: inout Self) throws(DiagnosticError) in
      guard let n = p.scope.names[t.accumulator.name] else { throw Self.internalError("accumulator not declared") }
      p.line(p.syntax.store(n, "0", u.register, from: .f32, to: t.accumulator.dtype))
      try p.emit(t.epilogue)
    }, outside: nil)
    while indent > base { close() }
  }
}
