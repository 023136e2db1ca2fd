import KevcBasic
import KevcIR

/// The block level of the thread plan: how the threads of one block share a phase whose per-thread body still
/// holds loops the schedule made parallel (bound to a GPU dimension, or `parallel`) after the outer chain of thread
/// loops stopped (a reduction, or a nest that is not perfectly nested). Each value of the outer chain then gets one
/// block instead of one thread; the block's threads run the body redundantly (every thread computes the same
/// values into its own registers) except in the cooperative loops, which they share:
/// - a **strided** loop, whose stores outside it are injective in its variable: thread `t` runs iterations
///   `lo + t, lo + t + B, ...`; the buffers it writes that the body allocates become one copy per block (shared
///   memory: this is how `store_in(shared)` and `stage` buffers are staged); a barrier goes before and after it.
/// - a **reduction**, whose only stores outside it are `acc[c] = acc[c] op e` (op add, mul, max or min; `c`
///   invariant in the loop; `acc` read nowhere else in it, and private to each thread): each thread folds its
///   strided iterations into a partial from the identity, the partials are combined across the block (warp
///   shuffles, then one shared slot per warp, read back by every thread in the same order), and every thread folds
///   the total into its own `acc[c]`.
/// The redundant code stores to each thread's private buffers; a store it makes to memory other threads see (a
/// reduction's result in global memory) is made by the block's first thread only, which is race-free when the phase
/// never reads that buffer. The plan is refused (nil: the phase keeps one thread per chain value, each running the
/// nest serially) where the redundant code would store to a buffer the phase also reads, or one a strided loop
/// shares, a buffer would be both shared and private, a loop variable is bound twice, or the shared buffers exceed
/// `sharedBytes`.
///
/// Before (per thread of thread m):
///   local %ss.acc: f32[] { %ss.acc[] = 0.0; for ss.n in 0 .. 96 bind(block.x) { %ss.acc[] = %ss.acc[] + f(ss.n) } ... }
///   for n in 0 .. 96 bind(block.x) { %y[m, n] = g(n) }
/// After (block plan, 128 threads):
///   cooperative ss.n: reduction of %ss.acc[] (add, f32)
///   cooperative n: strided
extension ThreadPlan {
  /// How one cooperative loop is shared by a block's threads.
  public enum Cooperation: Hashable, Sendable {
    case strided
    case reduction(accumulator: String, indices: [Expr], op: BinaryOp, dtype: DType)
  }

  /// The block-level placement of one phase.
  public struct BlockPlan: Sendable {
    /// Threads per block (a power of two, 64 to 256: whole waves on AMD, whole warps on NVIDIA).
    public var threads: Int
    /// Cooperative loops by variable.
    public var loops: [String: Cooperation]
    /// Buffers the body allocates that live once per block (shared memory).
    public var shared: Set<String>
    /// Buffers outside the body that the redundant code stores to: only the block's first thread stores them.
    public var firstThreadStores: Set<String>
  }

  /// Bytes of shared memory a block plan may use (buffers and the reductions' per-warp slots).
  public static let sharedBytes = 48 * 1024

  /// The block plan of a phase's per-thread `body` under the thread loops `chain`, or nil (see the type's summary).
  static func blockPlan(
    _ body: [Stmt], chain: [ThreadLoop], dims: [String: Int], shapes: [String: [Int]], dtypes: [String: DType]
  ) -> BlockPlan? {
    var shapes = shapes
    var dtypes = dtypes
    for b in allocatedBuffers(body) {
      shapes[b.name] = b.shape
      dtypes[b.name] = b.dtype
    }
    var start = IndexArithmetic(dims: dims)
    for t in chain { start.bound(t.loop.variable, t.lower...(t.lower + t.span - 1)) }
    var loops: [String: Cooperation] = [:]
    var variables = Set(chain.map(\.loop.variable))
    var duplicate = false
    var privateBuffers: Set<String> = []
    var redundantStores: Set<String> = []
    var stridedStores: Set<String> = []
    var accumulators: Set<String> = []
    var widest = 1

    func bind(_ l: Loop, _ a: IndexArithmetic) -> (IndexArithmetic, ClosedRange<Int>?) {
      var inner = a
      guard let lo = a.range(l.lowerBound), let hi = a.range(l.upperBound), hi.upperBound > lo.lowerBound else {
        inner.bound(l.variable, nil)
        return (inner, nil)
      }
      let range = lo.lowerBound...(hi.upperBound - 1)
      inner.bound(l.variable, range)
      return (inner, range)
    }
    func walk(_ stmts: [Stmt], _ a: IndexArithmetic, outer: Set<String>) {
      for s in stmts {
        switch s {
        case .loop(let l):
          if !variables.insert(l.variable).inserted { duplicate = true }
          let (inner, range) = bind(l, a)
          if Self.isParallel(l.kind), let range, range.count < (1 << 31) {
            if let r = reduction(l, outer: outer, dtypes: dtypes) {
              loops[l.variable] = r.cooperation
              accumulators.insert(r.accumulator)
              widest = max(widest, range.count)
              continue
            }
            let thread = ThreadLoop(loop: l, lower: range.lowerBound, span: range.count, guarded: true)
            if writesDisjointly(l.body, threads: [thread], dims: dims, shapes: shapes) {
              loops[l.variable] = .strided
              stridedStores.formUnion(Self.stores(l.body).subtracting(allocations(l.body)))
              widest = max(widest, range.count)
              continue
            }
          }
          walk(l.body, inner, outer: outer.union([l.variable]))
        case .store(let buffer, _, _): redundantStores.insert(buffer)
        case .ifThen(_, let t, let e):
          walk(t, a, outer: outer)
          walk(e, a, outer: outer)
        case .allocate(let b, let inner):
          privateBuffers.insert(b.name)
          walk(inner, a, outer: outer)
        }
      }
    }
    walk(body, start, outer: variables)
    let shared = stridedStores.intersection(privateBuffers)
    let firstThread = redundantStores.subtracting(privateBuffers)
    let read = Set(expressions(body).flatMap { $0.loads.map(\.tensor) })
    guard !loops.isEmpty, !duplicate, firstThread.isDisjoint(with: read),
      accumulators.isSubset(of: privateBuffers), shared.isDisjoint(with: redundantStores),
      shared.isDisjoint(with: accumulators)
    else { return nil }
    var bytes = loops.values.filter { if case .reduction = $0 { true } else { false } }.count * 32 * 8
    for name in shared {
      let count = (shapes[name] ?? []).reduce(1) { $0.multipliedReportingOverflow(by: max(1, $1)).partialValue }
      bytes += count * (dtypes[name]?.byteSize ?? 8)
      if count > sharedBytes || bytes > sharedBytes { return nil }
    }
    var threads = 64
    while threads < min(widest, 256) { threads *= 2 }
    return BlockPlan(threads: threads, loops: loops, shared: shared, firstThreadStores: firstThread)
  }

  static func isParallel(_ kind: LoopKind) -> Bool {
    switch kind {
    case .parallel, .gpu: return true
    case .serial, .vectorized, .unrolled: return false
    }
  }

  /// Buffers declared by `allocate` statements anywhere in `stmts`.
  static func allocatedBuffers(_ stmts: [Stmt]) -> [Buffer] {
    stmts.flatMap { s -> [Buffer] in
      switch s {
      case .loop(let l): return allocatedBuffers(l.body)
      case .store: return []
      case .ifThen(_, let t, let e): return allocatedBuffers(t) + allocatedBuffers(e)
      case .allocate(let b, let body): return [b] + allocatedBuffers(body)
      }
    }
  }

  /// Buffers stored anywhere in `stmts` (those they allocate included).
  public static func stores(_ stmts: [Stmt]) -> Set<String> {
    var out: Set<String> = []
    for s in stmts {
      switch s {
      case .loop(let l): out.formUnion(stores(l.body))
      case .store(let b, _, _): out.insert(b)
      case .ifThen(_, let t, let e): out.formUnion(stores(t).union(stores(e)))
      case .allocate(_, let body): out.formUnion(stores(body))
      }
    }
    return out
  }

  /// Every expression `stmts` evaluates (bounds, conditions, indices, values).
  static func expressions(_ stmts: [Stmt]) -> [Expr] {
    stmts.flatMap { s -> [Expr] in
      switch s {
      case .loop(let l): return [l.lowerBound, l.upperBound] + expressions(l.body)
      case .store(_, let indices, let value): return indices + [value]
      case .ifThen(let c, let t, let e): return [c] + expressions(t) + expressions(e)
      case .allocate(_, let body): return expressions(body)
      }
    }
  }

  /// `l` as a block reduction: every store outside it is `acc[c] = acc[c] op e` for one accumulator, indices and op,
  /// with `c` over the `outer` variables only and `acc` read nowhere but in those updates.
  static func reduction(_ l: Loop, outer: Set<String>, dtypes: [String: DType])
    -> (cooperation: Cooperation, accumulator: String)?
  {
    let inside = Set(allocations(l.body))
    var found: (acc: String, indices: [Expr], op: BinaryOp)?
    var updates = 0
    func visit(_ stmts: [Stmt]) -> Bool {
      stmts.allSatisfy { s in
        switch s {
        case .loop(let inner): return visit(inner.body)
        case .ifThen(_, let t, let e): return visit(t) && visit(e)
        case .allocate(_, let body): return visit(body)
        case .store(let buffer, let indices, let value):
          if inside.contains(buffer) { return true }
          guard let (op, _) = update(buffer, indices, value), [.add, .mul, .max, .min].contains(op),
            indices.allSatisfy({ $0.indexNames.isSubset(of: outer) })
          else { return false }
          if let f = found, f.acc != buffer || f.indices != indices || f.op != op { return false }
          found = (buffer, indices, op)
          updates += 1
          return true
        }
      }
    }
    guard visit(l.body), let f = found, let dtype = dtypes[f.acc] else { return nil }
    let reads = expressions(l.body).reduce(0) { n, e in n + e.loads.filter { $0.tensor == f.acc }.count }
    guard reads == updates else { return nil }
    return (.reduction(accumulator: f.acc, indices: f.indices, op: f.op, dtype: dtype), f.acc)
  }

  /// `buffer[indices] = buffer[indices] op e` (either operand order): op and e.
  public static func update(_ buffer: String, _ indices: [Expr], _ value: Expr) -> (BinaryOp, Expr)? {
    guard case .binary(let op, let a, let b) = value else { return nil }
    func isAccumulator(_ x: Expr) -> Bool {
      if case .load(let l) = x { return l.tensor == buffer && l.indices == indices }
      return false
    }
    if isAccumulator(a) && !b.reads(buffer) { return (op, b) }
    if isAccumulator(b) && !a.reads(buffer) { return (op, a) }
    return nil
  }

  /// The identity of a block reduction's `op` in `t` (the partial of a thread with no iterations).
  public static func identity(_ op: BinaryOp, _ t: DType) -> Constant {
    switch op {
    case .mul: return t.isFloat ? .float(1, t) : .int(1, t)
    case .max, .min:
      if t.isFloat { return .float(op == .max ? -.infinity : .infinity, t) }
      let (lo, hi): (Int64, Int64)
      switch t {
      case .i8: (lo, hi) = (Int64(Int8.min), Int64(Int8.max))
      case .i32: (lo, hi) = (Int64(Int32.min), Int64(Int32.max))
      case .bool: return .bool(op == .min)
      case .i64, .f16, .bf16, .f32, .f64: (lo, hi) = (Int64.min, Int64.max)
      }
      return .int(op == .max ? lo : hi, t)
    case .add, .sub, .div, .mod, .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return .zero(t)
    }
  }
}
