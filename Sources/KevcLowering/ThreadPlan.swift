import KevcBasic
import KevcIR

/// The thread plan of a loop program: what loop-level GPU emitters (HIP, CuTe DSL) print, decided once here so that
/// the emitters only print (stage `plan`). Each top-level nest is a phase (one kernel launch; a launch boundary is
/// the only barrier between nests). In a phase, the outermost loops that the schedule made parallel (`parallel`, or
/// bound to a grid, block or thread dimension) and whose threads write disjoint elements (`writesDisjointly`) are
/// flattened into one index space spread over threads; each thread runs the rest of the nest serially with its own copy of the `local` and
/// `shared` buffers the nest allocates. A phase with no such loop runs on one thread. Bounds come from the shared
/// `IndexArithmetic`: a loop whose bounds depend on outer loops spans their widest range and is guarded.
///
/// Before (loop IR):
///   for m in 0 .. 61 bind(grid.x) { for n in 0 .. 96 bind(block.x) { %y[m, n] = ... } }
/// After (plan):
///   phase 0: 5856 threads
///     thread m in 0 ..< 61 (exact)
///     thread n in 0 ..< 96 (exact)
///     serial: %y[m, n] = ...
public struct ThreadPlan: Sendable {
  /// A loop mapped to threads: its values cover `lower ..< lower + span`; `guarded` when its own bounds are
  /// narrower for some outer iteration (the thread checks them).
  public struct ThreadLoop: Sendable {
    public var loop: Loop
    public var lower: Int
    public var span: Int
    public var guarded: Bool

    /// The condition that the loop's variable lies within the loop's own bounds (what a guarded thread checks).
    public var inside: Expr {
      let v = Expr.index(loop.variable)
      return .binary(.and, .binary(.ge, v, loop.lowerBound), .binary(.lt, v, loop.upperBound))
    }
  }

  public struct Phase: Sendable {
    /// Loops flattened over threads, outermost first (empty: the phase runs on one thread).
    public var threadLoops: [ThreadLoop]
    /// What each thread runs: the innermost thread loop's body, or the whole nest.
    public var body: [Stmt]
    /// Threads the phase needs (the product of the spans; 1 with no thread loop); with a block plan, blocks.
    public var threads: Int
    /// How a block's threads share the body (`BlockPlan.swift`); nil: one thread per value of the thread loops.
    public var block: BlockPlan?
    /// The matrix-unit tile the block computes (`MatrixTile.swift`); its block plan has no cooperative loop.
    public var matrixTile: MatrixTile? = nil

    /// Blocks and threads per block of the phase's launch: one thread per value of the thread loops in blocks of
    /// 256, or one block per value with a block plan; at most 2^20 blocks (the kernels stride over the rest).
    public var launch: (blocks: Int, threadsPerBlock: Int) {
      guard let block else { return (max(1, min((threads + 255) / 256, 1 << 20)), 256) }
      return (max(1, min(threads, 1 << 20)), block.threads)
    }
  }

  /// Thread loops with at least this many values fill the GPU with one thread each (an H100 runs 132 x 2,048
  /// threads at once): their phase keeps one thread per value; fewer get a block plan where one applies.
  public static let fillingThreads = 1 << 18

  public var phases: [Phase]
  /// Temporaries that no statement allocates: global scratch the caller provides (one per call).
  public var workspace: [Buffer]

  /// The plan of `program`, lowered from a kernel whose `dot` definitions have the plans `contractions`
  /// (`LowerToLoops.contractions`, by definition name): a planned contraction's nest may become a matrix tile.
  public init(_ program: LoopProgram, contractions: [String: NestPlan.ContractionPlan]) {
    var planned: [String: NestPlan.Contraction] = [:]
    for (name, plan) in contractions {
      switch plan {
      case .planned(let c): planned[LowerToLoops.accumulatorName(of: name)] = c
      case .refused: continue
      }
    }
    let allocated = Set(Self.allocations(program.body))
    workspace = program.temporaries.filter { !allocated.contains($0.name) }
    var shapes: [String: [Int]] = [:]
    var dtypes: [String: DType] = [:]
    for b in program.params + program.results + program.temporaries {
      shapes[b.name] = b.shape
      dtypes[b.name] = b.dtype
    }
    phases = program.body.map { stmt in
      let loops = Self.threadLoops(stmt, dims: program.dims, shapes: shapes)
      if let tile = Self.matrixTile(loops, contractions: planned, dtypes: dtypes) {
        let chain = Array(loops.dropLast(2))
        return Phase(
          threadLoops: chain, body: chain.last?.loop.body ?? [stmt], threads: chain.reduce(1) { $0 * $1.span },
          block: BlockPlan(
            threads: tile.portableThreads, loops: [:], shared: [], firstThreadStores: []),
          matrixTile: tile)
      }
      let body = loops.last?.loop.body ?? [stmt]
      let threads = loops.reduce(1) { $0 * $1.span }
      return Phase(
        threadLoops: loops, body: body, threads: threads,
        block: threads >= Self.fillingThreads
          ? nil : Self.blockPlan(body, chain: loops, dims: program.dims, shapes: shapes, dtypes: dtypes))
    }
  }

  /// Variables of the loops anywhere in `stmts`.
  static func loopVariables(_ stmts: [Stmt]) -> Set<String> {
    var out: Set<String> = []
    for s in stmts {
      switch s {
      case .loop(let l):
        out.insert(l.variable)
        out.formUnion(loopVariables(l.body))
      case .store: break
      case .ifThen(_, let t, let e): out.formUnion(loopVariables(t).union(loopVariables(e)))
      case .allocate(_, let body): out.formUnion(loopVariables(body))
      }
    }
    return out
  }

  /// Buffers declared by `allocate` statements anywhere in `stmts`.
  public static func allocations(_ stmts: [Stmt]) -> [String] { allocatedBuffers(stmts).map(\.name) }

  /// The outer loops of `stmt` mapped to threads: the longest chain of perfectly nested, parallel loops with
  /// bounded extents (at most 2^40 threads in all) whose threads store to disjoint elements.
  static func threadLoops(_ stmt: Stmt, dims: [String: Int], shapes: [String: [Int]]) -> [ThreadLoop] {
    var chain: [ThreadLoop] = []
    var arithmetic = IndexArithmetic(dims: dims)
    var current = stmt
    var total = 1
    scan: while case .loop(let l) = current {
      switch l.kind {
      case .parallel, .gpu: break
      case .serial, .vectorized, .unrolled: break scan
      }
      guard let lo = arithmetic.interval(l.lowerBound), let hi = arithmetic.interval(l.upperBound),
        lo.dtype == .i64, hi.dtype == .i64, hi.hi > lo.lo, hi.hi - lo.lo < (1 << 31)
      else { break }
      let span = Int(hi.hi - lo.lo)
      let (product, overflow) = total.multipliedReportingOverflow(by: span)
      guard !overflow, product < (1 << 40) else { break }
      total = product
      chain.append(ThreadLoop(loop: l, lower: Int(lo.lo), span: span, guarded: !(lo.lo == lo.hi && hi.lo == hi.hi)))
      arithmetic.bound(l.variable, Int(lo.lo)...Int(hi.hi - 1))
      guard l.body.count == 1, let only = l.body.first else { break }
      current = only
    }
    while let last = chain.last, !writesDisjointly(last.loop.body, threads: chain, dims: dims, shapes: shapes) {
      chain.removeLast()
    }
    return chain
  }

  /// Whether distinct threads (values of the thread loops) store to distinct elements of every buffer that lives
  /// outside `body`. For each store, the row-major offset of its indices as an affine form must be injective over
  /// the box of the thread loops and the loops inside them (a mixed-radix check: sorted by coefficient, each
  /// exceeds the largest offset the smaller ones reach; a thread loop absent from the offset fails it); where an
  /// index is not affine in loops of known range, the offset of the indices that depend on thread loops only must
  /// be injective over the threads' box. Failing both, the indices are checked one by one: every store the
  /// lowering emits lies inside its buffer (a split's tail bounds or guards the point), so distinct index tuples
  /// are distinct elements, and a tuple is injective when each index is a mixed-radix form in variables no other
  /// index reads and every thread loop appears in one. That is what a split with a tail needs: the column
  /// `n.o * 32 + n.i` with `n.i < min(32, 61 - n.o * 32)` reaches 63 in the box, past the row's 61 elements, so
  /// the row-major offset overlaps the next row's, yet no executed store leaves the row.
  static func writesDisjointly(_ body: [Stmt], threads: [ThreadLoop], dims: [String: Int], shapes: [String: [Int]]) -> Bool {
    let local = Set(allocations(body))
    let threadNames = Set(threads.map(\.loop.variable))
    let innerLoops = loopVariables(body)
    var start = IndexArithmetic(dims: dims)
    for t in threads { start.bound(t.loop.variable, t.lower...(t.lower + t.span - 1)) }
    func mixedRadix(_ offset: IndexArithmetic.Affine, _ spans: [String: Int]) -> Bool {
      var reach = 0
      for (c, span) in spans.map({ v, span in (abs(offset.terms[v] ?? 0), span) }).sorted(by: { $0.0 < $1.0 }) where span > 1 {
        guard c > reach else { return false }
        let (r, o) = c.multipliedReportingOverflow(by: span - 1)
        guard !o else { return false }
        reach = reach &+ r
      }
      return true
    }
    func injective(_ indices: [Expr], _ shape: [Int], _ arithmetic: IndexArithmetic) -> Bool {
      var full: IndexArithmetic.Affine? = IndexArithmetic.Affine(constant: 0, terms: [:])
      var threadOnly = IndexArithmetic.Affine(constant: 0, terms: [:])
      var stride = 1
      for (index, extent) in zip(indices, shape).reversed() {
        defer { stride = stride &* max(1, extent) }
        guard let a = arithmetic.affine(index) else {
          full = nil
          continue
        }
        full = full.map { $0 + a.scaled(stride) }
        if a.terms.keys.allSatisfy(threadNames.contains) { threadOnly = threadOnly + a.scaled(stride) }
      }
      if let full {
        var spans: [String: Int] = [:]
        var known = true
        for v in threadNames.union(full.terms.keys) {
          guard let r = arithmetic.range(of: v) else {
            known = false
            break
          }
          spans[v] = r.upperBound - r.lowerBound + 1
        }
        if known && mixedRadix(full, spans) { return true }
      }
      let threadSpans = Dictionary(threads.map { ($0.loop.variable, $0.span) }, uniquingKeysWith: { a, _ in a })
      return mixedRadix(threadOnly, threadSpans) || indexByIndex(indices, arithmetic, threadSpans)
    }
    func indexByIndex(_ indices: [Expr], _ arithmetic: IndexArithmetic, _ threadSpans: [String: Int]) -> Bool {
      var seen: Set<String> = []
      for index in indices {
        guard let a = arithmetic.affine(index) else { continue }
        // A variable bound outside `body` that is no thread loop holds one value for all the threads compared.
        var spans: [String: Int] = [:]
        var known = true
        for v in a.terms.keys where threadSpans[v] != nil || innerLoops.contains(v) {
          guard let r = arithmetic.range(of: v) else {
            known = false
            break
          }
          spans[v] = r.upperBound - r.lowerBound + 1
        }
        // An index that shares a variable with one already counted, or is not injective, proves nothing (skipped).
        guard known, !spans.isEmpty, seen.isDisjoint(with: spans.keys), mixedRadix(a, spans) else { continue }
        seen.formUnion(spans.keys)
      }
      return threadSpans.allSatisfy { $0.value <= 1 || seen.contains($0.key) }
    }
    func check(_ stmts: [Stmt], _ arithmetic: IndexArithmetic) -> Bool {
      stmts.allSatisfy { s in
        switch s {
        case .loop(let inner):
          var a = arithmetic
          if let lo = arithmetic.range(inner.lowerBound), let hi = arithmetic.range(inner.upperBound), hi.upperBound > lo.lowerBound {
            a.bound(inner.variable, lo.lowerBound...(hi.upperBound - 1))
          } else {
            a.bound(inner.variable, nil)
          }
          return check(inner.body, a)
        case .ifThen(_, let t, let e): return check(t, arithmetic) && check(e, arithmetic)
        case .allocate(_, let body): return check(body, arithmetic)
        case .store(let buffer, let indices, _):
          return local.contains(buffer) || injective(indices, shapes[buffer] ?? [], arithmetic)
        }
      }
    }
    return check(body, start)
  }

  /// The plan as text (stage `plan`): phases, thread loops, workspace, and each phase's per-thread statements.
  public func text(_ program: LoopProgram) -> String {
    var s = "plan @\(program.name): \(phases.count) phase(s)\n"
    for w in workspace { s += "  workspace %\(w.name): \(w.dtype.rawValue)[\(w.shape.map(String.init).joined(separator: ", "))]\n" }
    for (i, p) in phases.enumerated() {
      let unit = p.block == nil ? "thread" : "block"
      s += "  phase \(i): \(p.threads) \(unit)(s)\(p.block.map { " of \($0.threads) threads" } ?? "")\n"
      for t in p.threadLoops {
        s += "    \(unit) \(t.loop.variable) in \(t.lower) ..< \(t.lower + t.span)\(t.guarded ? " guarded by its bounds" : "")\n"
      }
      let serial = LoopPrinter.print(
        LoopProgram(name: program.name, dims: program.dims, params: [], results: [], temporaries: [], body: p.body))
      let lines = serial.split(separator: "\n").dropFirst().dropLast()
      if let b = p.block {
        for (v, c) in b.loops.sorted(by: { $0.key < $1.key }) {
          switch c {
          case .strided: s += "    cooperative \(v): strided over the block's threads\n"
          case .reduction(let acc, let indices, let op, let t):
            let at = indices.map { IRPrinter.print($0) }.joined(separator: ", ")
            s += "    cooperative \(v): block reduction into %\(acc)[\(at)] (\(op.rawValue), \(t.rawValue))\n"
          }
        }
        if let t = p.matrixTile {
          s += "    matrix tile \(t.row.loop.variable) x \(t.column.loop.variable) (\(t.row.span) x \(t.column.span))"
          s += " over \(t.reduction.map(\.variable).joined(separator: ", ")) into %\(t.accumulator.name):"
          s += " \(t.m)x\(t.m)x\(t.k) \(t.operand.rawValue) instructions, \(t.tilesM) x \(t.tilesN) per wave,"
          s += " \(t.wavesM) x \(t.wavesN) wave(s) of \(MatrixTile.lanes) lanes"
          s += " (portable: its elements strided over \(t.portableThreads) threads)\n"
        }
        for n in b.shared.sorted() { s += "    shared %\(n) (one per block)\n" }
        for n in b.firstThreadStores.sorted() { s += "    first thread stores %\(n)\n" }
      }
      s += "    per \(unit)\(p.block == nil ? "" : " (every thread, but the cooperative loops)"):\n" + lines.map { "    " + $0 + "\n" }.joined()
    }
    return s
  }

  /// The harness module's `KEVC = {...}` for a loop-level GPU target (`hip`, `cute`): the common head, the
  /// workspace the module allocates, the threads of each launch and the tolerance of a reduced-precision dot's
  /// results (`HarnessModule.tolerance`, as Triton's).
  public func metadata(_ program: LoopProgram, kernel: Kernel, target: String) -> String {
    let q = HarnessModule.pyString
    var s = "KEVC = {\n" + HarnessModule.metadataHead(kernel, shapes: program.shapes)
    s += "    \"target\": \(q(target)),\n    \"workspace\": [\n"
    for w in workspace {
      s += "        {\"name\": \(q(w.name)), \"dtype\": \(q(w.dtype.rawValue)), \"elements\": \(w.elementCount), \"scope\": \"root\"},\n"
    }
    s += "    ],\n    \"kernels\": [],\n    \"launches\": [\(phases.map { String($0.threads) }.joined(separator: ", "))],\n"
    s += HarnessModule.tolerance(kernel) + "}\n"
    return s
  }
}

extension LoopProgram {
  /// Shapes of the params and results, by name.
  public var shapes: [String: [Int]] {
    var out: [String: [Int]] = [:]
    for b in params + results { out[b.name] = b.shape }
    return out
  }
}
