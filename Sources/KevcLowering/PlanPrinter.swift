import KevcBasic
import KevcIR

/// What a loop-level GPU target spells differently: expressions and the few statement forms. The walk over a
/// `ThreadPlan` (phases, thread indices, guards, loops, stores, conditionals, per-thread buffers) is `PlanPrinter`'s,
/// shared by every such target (HIP C++, CuTe DSL Python), so that each target only spells.
public protocol KernelSyntax {
  /// An expression and its dtype; `names` maps IR names (buffers, scalars, loop variables) to the printed ones.
  func expr(_ e: Expr, _ scope: PrintScope) throws(DiagnosticError) -> (text: String, type: DType)
  /// A value of type `from` stored into an element of type `to` at `offset` of `buffer`.
  func store(_ buffer: String, _ offset: String, _ value: String, from: DType, to: DType) -> String
  /// `for v in lo ..< hi` (bounds evaluated once).
  func loop(_ v: String, _ lo: String, _ hi: String) -> String
  func ifThen(_ condition: String) -> String
  var elseLine: String { get }
  /// The line closing a block, if the language has one.
  var blockEnd: String? { get }
  /// Declares a per-thread buffer of `count` elements.
  func allocate(_ name: String, _ dtype: DType, count: Int) -> String
  /// Opens the grid-stride loop over `total` thread indices, named `index`.
  func threadLoop(_ index: String, total: Int) -> [String]
  /// Opens the block of a phase that runs on one thread.
  func singleThread() -> [String]
  /// `name = lower + rest % span` (and `rest //= span` unless `last`), with `rest` starting from the thread index.
  func threadIndex(_ name: String, rest: String, lower: Int, span: Int, last: Bool) -> [String]
  /// `rest = index` (the decoding's start).
  func decodeStart(_ rest: String, _ index: String) -> String
  /// The row-major linear offset of `indices` in a buffer of `shape`.
  func offset(_ indices: [String], _ shape: [Int]) -> String
  /// A C-style identifier for an IR name.
  func identifier(_ prefix: String, _ name: String) -> String

  // Block level (a phase with a `ThreadPlan.BlockPlan`).
  /// Opens the loop or guard over `total` block indices, named `index` (uniform across a block; the last line
  /// opens it).
  func blockLoop(_ index: String, total: Int) -> [String]
  /// Opens the block of a phase with one block and no thread loops.
  func singleBlock() -> [String]
  /// `for v = lo + tid; v < hi; v += threads` (a strided cooperative loop; bounds evaluated once).
  func stridedLoop(_ v: String, _ lo: String, _ hi: String, threads: Int) -> String
  /// The condition that holds in the block's first thread only.
  var isFirstThread: String { get }
  /// Waits for every thread of the block; their shared and global writes are visible after it.
  var barrier: String { get }
  /// Declares a register variable of `dtype` holding `value` (statements).
  func declare(_ name: String, _ dtype: DType, _ value: String) -> [String]
  /// The text that reads or writes the declared variable `name`.
  func variable(_ name: String) -> String
  /// Declares a buffer of `count` elements that one block shares (shared memory).
  func allocateShared(_ name: String, _ dtype: DType, count: Int) -> String
  /// Combines the register `value` of every thread of a block of `threads` threads into every thread's `value`,
  /// the same in all: `combined` is the text of `value op other` (a register `other` of the same type);
  /// `scratch` names a shared slot per warp.
  func blockReduce(_ value: String, other: String, _ dtype: DType, threads: Int, scratch: String, combined: String) -> [String]

  /// The spelling of a phase's matrix-unit tile (`MatrixTilePrinter.swift`), or nil where the target has no matrix
  /// unit path (the block plan's portable loops print alone).
  func matrixUnit(_ tile: ThreadPlan.MatrixTile) -> MatrixUnitSpelling?
}

extension KernelSyntax {
  public func matrixUnit(_ tile: ThreadPlan.MatrixTile) -> MatrixUnitSpelling? { nil }
}

/// The names in scope while printing: printed names, dtypes and shapes of IR objects.
public struct PrintScope: Sendable {
  public var names: [String: String] = [:]
  public var types: [String: DType] = [:]
  public var shapes: [String: [Int]] = [:]
  public var dims: [String: Int]

  public init(dims: [String: Int]) { self.dims = dims }
}

/// Prints the phases of a `ThreadPlan` with a target's syntax: for each phase, the lines of its kernel body.
public struct PlanPrinter<Syntax: KernelSyntax> {
  public let syntax: Syntax
  public var scope: PrintScope
  var lines: [String] = []
  var indent: Int
  var used: Set<String> = []
  /// The block plan of the phase being printed.
  var block: ThreadPlan.BlockPlan?
  /// Inside a cooperative loop of the block plan.
  var inCooperative = false
  /// Inside a block reduction: its accumulator, indices, op, and the IR name of the thread's partial.
  var reduction: (accumulator: String, indices: [Expr], op: BinaryOp, partial: String)?

  public init(syntax: Syntax, dims: [String: Int], indent: Int = 1) {
    self.syntax = syntax
    self.scope = PrintScope(dims: dims)
    self.indent = indent
  }

  /// A fresh printed name for an IR name.
  public mutating func fresh(_ prefix: String, _ name: String) -> String {
    var n = syntax.identifier(prefix, name)
    if used.contains(n) {
      var i = 1
      while used.contains("\(n)_\(i)") { i += 1 }
      n = "\(n)_\(i)"
    }
    used.insert(n)
    return n
  }

  /// Declares a buffer (parameter, result, workspace or per-thread) under a fresh name.
  public mutating func declare(_ b: Buffer) -> String {
    let n = fresh("b_", b.name)
    scope.names[b.name] = n
    scope.types[b.name] = b.dtype
    scope.shapes[b.name] = b.shape
    return n
  }

  mutating func line(_ s: String) { lines.append(String(repeating: "  ", count: indent) + s) }

  mutating func open(_ s: String) {
    line(s)
    indent += 1
  }

  /// Lines that open one block: the last opens it, the ones before it are statements.
  mutating func opening(_ lines: [String]) {
    for (i, l) in lines.enumerated() {
      if i == lines.count - 1 { open(l) } else { line(l) }
    }
  }

  mutating func close() {
    indent -= 1
    if let end = syntax.blockEnd { line(end) }
  }

  /// The body lines of one phase's kernel.
  public mutating func phase(_ p: ThreadPlan.Phase) throws(DiagnosticError) -> [String] {
    lines = []
    let saved = scope
    let base = indent
    defer {
      scope = saved
      indent = base
    }
    block = p.block
    reduction = nil
    inCooperative = false
    defer { block = nil }
    guard !p.threadLoops.isEmpty else {
      opening(p.block == nil ? syntax.singleThread() : syntax.singleBlock())
      try phaseBody(p)
      while indent > base { close() }
      return lines
    }
    let loop = p.block == nil ? syntax.threadLoop("kevc_t", total: p.threads) : syntax.blockLoop("kevc_t", total: p.threads)
    opening(loop)
    line(syntax.decodeStart("kevc_r", "kevc_t"))
    var names: [String] = []
    for t in p.threadLoops { names.append(fresh("v_", t.loop.variable)) }
    for (k, t) in p.threadLoops.enumerated().reversed() {
      for l in syntax.threadIndex(names[k], rest: "kevc_r", lower: t.lower, span: t.span, last: k == 0) { line(l) }
    }
    for (k, t) in p.threadLoops.enumerated() {
      scope.names[t.loop.variable] = names[k]
      if t.guarded {
        open(syntax.ifThen(try syntax.expr(t.inside, scope).text))
      }
    }
    try phaseBody(p)
    while indent > base { close() }
    return lines
  }

  /// A phase's body; a matrix tile's is its portable path, after its matrix-unit path where the target has one
  /// (chosen at compile time).
  mutating func phaseBody(_ p: ThreadPlan.Phase) throws(DiagnosticError) {
    guard let tile = p.matrixTile else { return try emit(p.body) }
    let spelling = syntax.matrixUnit(tile)
    if let spelling {
      line(spelling.begin)
      try matrixTile(tile, spelling)
      line(spelling.otherwise)
    }
    try portableTile(tile, spelling)
    if let spelling { line(spelling.end) }
  }

  mutating func emit(_ stmts: [Stmt]) throws(DiagnosticError) {
    for s in stmts { try emit(s) }
  }

  mutating func emit(_ stmt: Stmt) throws(DiagnosticError) {
    switch stmt {
    case .loop(let l) where block?.loops[l.variable] != nil && !inCooperative:
      try cooperative(l)
    case .loop(let l):
      let lo = try syntax.expr(l.lowerBound, scope).text
      let hi = try syntax.expr(l.upperBound, scope).text
      let v = fresh("v_", l.variable)
      open(syntax.loop(v, lo, hi))
      let saved = scope.names[l.variable]
      scope.names[l.variable] = v
      try emit(l.body)
      scope.names[l.variable] = saved
      close()
    case .store(let buffer, let indices, let value) where reduction?.accumulator == buffer:
      guard let r = reduction, let (_, e) = ThreadPlan.update(buffer, indices, value), let p = scope.names[r.partial] else {
        throw Self.internalError("store to '\(buffer)' in its block reduction is not an update")
      }
      line("\(p) = \(try syntax.expr(.binary(r.op, .scalar(r.partial), e), scope).text)\(syntax.blockEnd == nil ? "" : ";")")
    case .store(let buffer, let indices, let value) where !inCooperative && block?.firstThreadStores.contains(buffer) == true:
      open(syntax.ifThen(syntax.isFirstThread))
      inCooperative = true
      try emit(.store(buffer: buffer, indices: indices, value: value))
      inCooperative = false
      close()
    case .store(let buffer, let indices, let value):
      guard let n = scope.names[buffer], let t = scope.types[buffer], let shape = scope.shapes[buffer] else {
        throw Self.internalError("buffer '\(buffer)' is written where it is not declared")
      }
      var idx: [String] = []
      for i in indices { idx.append(try syntax.expr(i, scope).text) }
      let (v, vt) = try syntax.expr(value, scope)
      line(syntax.store(n, syntax.offset(idx, shape), v, from: vt, to: t))
    case .ifThen(let c, let t, let e):
      open(syntax.ifThen(try syntax.expr(c, scope).text))
      try emit(t)
      if !e.isEmpty {
        indent -= 1
        line(syntax.elseLine)
        indent += 1
        try emit(e)
      }
      close()
    case .allocate(let b, let body):
      let count = max(1, b.elementCount)
      guard count <= 1 << 16 else {
        throw DiagnosticError(
          .error(
            DiagnosticID("plan", "unsupported-buffer"),
            "buffer '\(b.name)' (\(count) elements, \(b.scope.rawValue)) is too large for one thread's memory",
            at: SourceLocation(file: "<plan>", line: 1, column: 1)))
      }
      let saved = scope
      let n = declare(b)
      let shared = reduction == nil && block?.shared.contains(b.name) == true
      line(shared ? syntax.allocateShared(n, b.dtype, count: count) : syntax.allocate(n, b.dtype, count: count))
      try emit(body)
      scope = saved
    }
  }

  /// A cooperative loop of the block plan: strided between barriers, or a block reduction.
  mutating func cooperative(_ l: Loop) throws(DiagnosticError) {
    guard let plan = block, let how = plan.loops[l.variable] else { return }
    let lo = try syntax.expr(l.lowerBound, scope).text
    let hi = try syntax.expr(l.upperBound, scope).text
    let v = fresh("v_", l.variable)
    let savedNames = scope.names
    defer { scope.names = savedNames }
    switch how {
    case .strided:
      line(syntax.barrier)
      open(syntax.stridedLoop(v, lo, hi, threads: plan.threads))
      scope.names[l.variable] = v
      inCooperative = true
      try emit(l.body)
      inCooperative = false
      close()
      line(syntax.barrier)
    case .reduction(let acc, let indices, let op, let dtype):
      // IR names no program can spell (a space), for the partial and its partner in the combine.
      let partial = "kevc partial \(l.variable)"
      let other = "kevc other \(l.variable)"
      let declared = fresh("kevc_p_", l.variable)
      let p = syntax.variable(declared)
      let q = fresh("kevc_q_", l.variable)
      scope.names[partial] = p
      scope.names[other] = q
      scope.types[partial] = dtype
      scope.types[other] = dtype
      for s in syntax.declare(declared, dtype, try syntax.expr(.constant(ThreadPlan.identity(op, dtype)), scope).text) { line(s) }
      open(syntax.stridedLoop(v, lo, hi, threads: plan.threads))
      scope.names[l.variable] = v
      reduction = (acc, indices, op, partial)
      inCooperative = true
      try emit(l.body)
      inCooperative = false
      reduction = nil
      close()
      let combined = try syntax.expr(.binary(op, .scalar(partial), .scalar(other)), scope).text
      for s in syntax.blockReduce(p, other: q, dtype, threads: plan.threads, scratch: fresh("kevc_red_", l.variable), combined: combined) {
        line(s)
      }
      let total = Expr.binary(op, .load(Load(tensor: acc, indices: indices, bounds: .inBounds)), .scalar(partial))
      try emit(.store(buffer: acc, indices: indices, value: total))
    }
  }

  static func internalError(_ message: String) -> DiagnosticError {
    DiagnosticError(
      .error(
        DiagnosticID("plan", "internal"), "internal error: \(message)", at: SourceLocation(file: "<plan>", line: 1, column: 1)))
  }
}
