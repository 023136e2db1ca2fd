import KevcBasic
import KevcIR

/// Loop nests that follow a definition's schedule.
///
/// Each loop of the schedule becomes a loop-IR loop of the same name (renamed `<def>.<loop>` only where a
/// producer computed inside a consumer would shadow one of the consumer's loops), with the schedule's kind.
/// A split axis is rebuilt from its parts (`n = n.o * 8 + n.i`); a tail is handled by bounding the inner loop
/// with what is left (`min(8, N - n.o * 8)`) when the outer part encloses it, and by guarding the point
/// otherwise. A reduction keeps a local accumulator while its loops are innermost, and accumulates in the
/// definition's own storage (initialised first by a nest over the axes) when a reduction loop encloses an axis
/// loop. A producer computed at a consumer's loop is emitted at the top of that loop's body, over the region
/// one iteration reads, into a buffer of that region's size allocated there (local or shared scope); the
/// consumer's reads are re-indexed into it, keeping the pad value outside the producer's domain.
///
/// Before (scheduled kernel IR):
/// ```
/// %y: f32[m < 4, n < 10] = (%x[m, n] * 2.0:f32)
///   schedule loops(m, n.o, n.i: vectorize(4)) splits(n = n.o * 4 + n.i)
/// ```
/// After:
/// ```
/// for m in 0 .. 4 {
///   for n.o in 0 .. 3 {
///     for n.i in 0 .. min(4, (10 - (n.o * 4))) vectorize(4) {
///       %y[m, ((n.o * 4) + n.i)] = (%x[m, ((n.o * 4) + n.i)] * 2.0:f32)
/// ```
struct TensorStorage: Hashable {
  var buffer: String
  /// The definition's extents, axis by axis.
  var logicalShape: [Int]
  /// Buffer dimension `i` holds axis `permutation[i]`; nil is the identity.
  var permutation: [Int]?
  /// Extra elements per buffer dimension.
  var padding: [Int]?
  /// For a region buffer: the region's start along each axis (in loop variables of the consumer) and its extent.
  var region: [RegionDimension]? = nil
  /// For a definition stored in place into another (`store_phases`): `buffer` is that tensor's, and the element at
  /// a point is the slice's `stride * index + offset` there.
  var interleave: StridedSlice? = nil

  /// Extents of the stored buffer: the region (or the whole domain), permuted, plus padding.
  var bufferShape: [Int] {
    let extents = region?.map(\.extent) ?? logicalShape
    let permuted = permutation.map { $0.map { extents[$0] } } ?? extents
    guard let padding else { return permuted }
    return zip(permuted, padding).map { $0 + $1 }
  }

  /// Whether a load must be re-indexed and checked against the logical domain explicitly.
  var needsRemapping: Bool { region != nil || padding != nil }

  /// Buffer indices of the element at `values` (one per axis).
  func indices(_ values: [Expr]) -> [Expr] {
    if let interleave { return interleave.indices(values) }
    var shifted = values
    if let region {
      shifted = zip(values, region).map { value, r in simplifiedSub(value, r.start) }
    }
    guard let permutation else { return shifted }
    return permutation.map { shifted[$0] }
  }
}

/// `a - b`, folding the common cases where `b` is a constant zero.
func simplifiedSub(_ a: Expr, _ b: Expr) -> Expr {
  if case .constant(let c) = b, case .int(0) = c.value { return a }
  return .binary(.sub, a, b)
}

extension Lowering {
  /// Storage of a definition that lives in the workspace (root placement, or computed at a loop but stored
  /// in workspace scope); nil when it lives in a region buffer allocated inside a consumer.
  func placedInWorkspace(_ def: Definition, shape: [Int]) -> TensorStorage? {
    let s = def.effectiveSchedule
    guard plan.producer(def.name)?.home ?? NestPlan.loopHome(def) == .memory else { return nil }
    return TensorStorage(
      buffer: def.name, logicalShape: shape, permutation: s.storage.permutation, padding: s.storage.padding)
  }

  /// The statements computing `def` under its schedule. `region` is given for a producer computed inside a
  /// consumer's loop; `scope` holds the loop variables already in scope, with their ranges.
  mutating func nest(
    _ def: Definition, region: [RegionDimension]?, scope: [String: ClosedRange<Int64>]
  ) -> [Stmt] {
    let s = def.effectiveSchedule
    let leaves = s.loops
    let shape = def.axes.compactMap { $0.extent.evaluate(dims) }
    guard shape.count == def.axes.count else { return [] }

    // Loop variable names: the schedule's, unless that would shadow a variable in scope.
    var variable: [String: String] = [:]
    var taken = Set(scope.keys)
    for leaf in leaves {
      var name = leaf.name
      if taken.contains(name) { name = "\(def.name).\(leaf.name)" }
      var n = 1
      while taken.contains(name) {
        name = "\(def.name).\(leaf.name)\(n)"
        n += 1
      }
      taken.insert(name)
      variable[leaf.name] = name
    }
    func v(_ leaf: String) -> Expr { .index(variable[leaf] ?? leaf) }

    // Bounds, point values and guards of the schedule's splits (ScheduledBounds.swift).
    let b = ScheduledBounds(
      def, kernel: kernel, shape: shape, region: region, names: variable, simplify: { simplify($0) },
      simplifyBound: { fold(simplify($0)) }, constant: { kernel.constantValue($0) },
      startRange: { BoundsAnalysis.range(of: $0, variables: scope, dims: dims) })
    func splitOf(_ name: String) -> Split? { s.splits.first { $0.variable == name } }
    let lower = b.lower
    let upper = b.upper
    let axisValue = b.value
    let bounds = b.bounds
    let guarded = b.guarded
    func guarding(_ rootsToGuard: [String], _ body: [Stmt]) -> [Stmt] {
      let conditions = b.guardConditions(rootsToGuard)
      guard let first = conditions.first else { return body }
      return [.ifThen(condition: conditions.dropFirst().reduce(first) { .binary(.and, $0, $1) }, then: body, else: [])]
    }

    // Producers computed at this definition's loops (NestPlan.swift): their regions, in this nest's loop variables.
    let producers = NestPlan.producers(of: def.name, in: kernel)
    var producerRegions: [String: [RegionDimension]] = [:]
    let renaming = variable.mapValues { Expr.index($0) }
    // RegionAnalysis counts a split axis of a definition computed over a region from the region's origin.
    var origins: [String: Expr] = [:]
    for axis in def.axes where splitOf(axis.name) != nil {
      origins[RegionAnalysis.origin(of: axis.name)] = lower[axis.name] ?? .constant(.int(0))
    }
    for p in producers {
      guard let placed = plan.producer(p.name) else { continue }
      guard let r = placed.region else {
        self.error(
          "bad-region", "cannot compute '\(p.name)' inside '\(def.name)': \(placed.regionProblem ?? "no region")",
          at: p.location)
        continue
      }
      let inLoops = r.map { dim in
        RegionDimension(start: simplify(dim.start.substituting(renaming).substituting(origins)), extent: dim.extent)
      }
      producerRegions[p.name] = inLoops
      let pShape = p.axes.compactMap { $0.extent.evaluate(dims) }
      let ps = p.effectiveSchedule
      switch placed.home {
      case .local, .shared:
        storage[p.name] = TensorStorage(
          buffer: p.name, logicalShape: pShape, permutation: ps.storage.permutation, padding: ps.storage.padding,
          region: inLoops)
      case .memory, .register, .block, .scratch:
        break
      }
    }

    // Ranges of this nest's variables, for proofs that reads stay inside a producer's domain.
    var ranges = scope
    for leaf in leaves {
      guard let (lo, hi) = bounds[leaf.name] else { continue }
      // Unknown ranges still reserve the name (no proof can use them).
      ranges[variable[leaf.name] ?? leaf.name] = (Int64.min / 4)...(Int64.max / 4)
      if let l = BoundsAnalysis.range(of: lo, variables: ranges, dims: dims),
        let h = BoundsAnalysis.range(of: hi, variables: ranges, dims: dims), h.upperBound - 1 >= l.lowerBound
      {
        ranges[variable[leaf.name] ?? leaf.name] = l.lowerBound...(h.upperBound - 1)
      }
    }

    // The body, in loop variables, with reads re-indexed into remapped storage.
    let bodyValue = remapLoads(def.body.substituting(axisValue), ranges: ranges)
    let point = def.axes.map { axisValue[$0.name] ?? v($0.name) }
    let mine = storage[def.name] ?? TensorStorage(buffer: def.name, logicalShape: shape, permutation: nil, padding: nil)
    let target = mine.indices(point)

    // Loops, with producers emitted at the top of the loops they are computed at.
    func loop(_ leaf: ScheduledLoop, _ inner: [Stmt]) -> Stmt {
      let (lo, hi) = bounds[leaf.name] ?? (.constant(.int(0)), .constant(.int(0)))
      return .loop(Loop(variable: variable[leaf.name] ?? leaf.name, lowerBound: lo, upperBound: hi, kind: leaf.kind, body: inner))
    }
    // Producers' nests, per loop they are computed at (in program order), and the buffers they need there.
    var producerStatements: [String: [Stmt]] = [:]
    var producerBuffers: [String: [Buffer]] = [:]
    for p in producers {
      // Opened at the loop it is computed at (at the loop level every loop runs one value at a time).
      guard let placed = plan.producer(p.name), let at = placed.anchor else { continue }
      if let st = storage[p.name], st.region != nil {
        producerBuffers[at, default: []].append(
          Buffer(name: st.buffer, dtype: p.dtype, shape: st.bufferShape, scope: p.effectiveSchedule.storage.scope))
      }
      producerStatements[at, default: []] += nest(p, region: producerRegions[p.name], scope: ranges)
    }
    func withProducers(at leaf: String, _ inner: [Stmt]) -> [Stmt] {
      var out = (producerStatements[leaf] ?? []) + inner
      for b in (producerBuffers[leaf] ?? []).reversed() { out = [.allocate(b, body: out)] }
      return out
    }
    func build(_ list: [ScheduledLoop], _ innermost: [Stmt]) -> [Stmt] {
      var inner = innermost
      for leaf in list.reversed() { inner = [loop(leaf, withProducers(at: leaf.name, inner))] }
      return inner
    }

    let isReductionLeaf = { (leaf: ScheduledLoop) -> Bool in
      let root = Kernel.rootVariable(of: leaf.name, in: s)
      return def.reduction?.axes.contains { $0.name == root } ?? false
    }
    let axisRoots = Set(def.axes.map(\.name) + (s.fusion.map { [$0.variable] } ?? []))
    let pureGuards = guarded.filter { axisRoots.contains($0) }
    let reductionGuards = guarded.filter { !axisRoots.contains($0) }

    guard let r = def.reduction else {
      return build(leaves, guarding(pureGuards, [.store(buffer: mine.buffer, indices: target, value: bodyValue)]))
    }
    if let scanAxis = r.scanAxis {
      // A scan: one accumulator per point of the outer axes, running along the scan loop (ScanLoops.swift).
      guard let position = leaves.firstIndex(where: { $0.name == scanAxis }), let j = r.axes.first,
        def.scanScheduleProblem == nil
      else {
        error("bad-schedule", "cannot lower the scan '\(def.name)': \(def.scanScheduleProblem ?? "no scan loop")", at: def.location)
        return []
      }
      let others = (r.combiner?.otherElements ?? []).map { remapLoads($0.substituting(axisValue), ranges: ranges) }
      let scanned = scanNest(
        def, r, body: bodyValue, others: others, scanLoop: variable[scanAxis] ?? scanAxis,
        scanLoopKind: leaves[position].kind,
        scanStart: lower[scanAxis] ?? .constant(.int(0)), scanEnd: upper[scanAxis] ?? .constant(.int(0)), reductionLoop: variable[j.name] ?? j.name,
        reductionStart: lower[j.name] ?? .constant(.int(0)),
        store: { [.store(buffer: mine.buffer, indices: target, value: $0)] })
      guard let scanned else { return [] }
      return build(Array(leaves[..<position]), guarding(pureGuards, scanned))
    }
    if case .local(let firstReduction)? = plan.accumulation[def.name] {
      // A local accumulator per point.
      let pureLeaves = Array(leaves[..<firstReduction])
      let reductionLeaves = Array(leaves[firstReduction...])
      let others = (r.combiner?.otherElements ?? []).map { remapLoads($0.substituting(axisValue), ranges: ranges) }
      guard
        let perPoint = lowerReduction(
          def, r, body: bodyValue, others: others,
          loops: { update in build(reductionLeaves, guarding(reductionGuards, update)) },
          store: { [.store(buffer: mine.buffer, indices: target, value: $0)] })
      else { return [] }
      return build(pureLeaves, guarding(pureGuards, perPoint))
    }
    // Accumulate in the definition's own storage.
    guard !r.op.carriesState, r.accumulator == def.dtype else {
      error(
        "bad-schedule", "'\(def.name)' cannot accumulate in place: its reduction loops enclose axis loops",
        at: def.location)
      return []
    }
    let identity = Constant.identity(r.op, r.accumulator)
    let initLeaves = leaves.filter { !isReductionLeaf($0) }
    let initNest = buildPlain(
      initLeaves, loop: loop,
      guarding(pureGuards, [.store(buffer: mine.buffer, indices: target, value: .constant(identity))]))
    let current = Expr.load(Load(tensor: mine.buffer, indices: target, bounds: .inBounds))
    let combine: BinaryOp
    switch r.op {
    case .sum: combine = .add
    case .prod: combine = .mul
    case .max: combine = .max
    case .min: combine = .min
    case .tuple: return []
    }
    let update = Stmt.store(
      buffer: mine.buffer, indices: target, value: .binary(combine, current, convert(bodyValue, to: r.accumulator)))
    return initNest + build(leaves, guarding(pureGuards + reductionGuards, [update]))
  }

  /// Loops without producers (the initialisation nest of an in-place reduction).
  private func buildPlain(_ list: [ScheduledLoop], loop: (ScheduledLoop, [Stmt]) -> Stmt, _ innermost: [Stmt]) -> [Stmt] {
    var inner = innermost
    for leaf in list.reversed() { inner = [loop(leaf, inner)] }
    return inner
  }

  /// Re-indexes reads of tensors stored in region buffers or padded buffers; outside the tensor's domain a read
  /// keeps its pad value (an explicit check, dropped where the indices are proven inside).
  ///
  /// The region covers every read *inside* the tensor, not every index evaluated: a region that is the producer's
  /// whole axis (reads moving differently, `t[B - 1 - b]` and `t[b + 1]`) or that is clipped to the producer's
  /// extent ends at the tensor's edge, so the buffer index of a read outside the tensor may lie outside the
  /// buffer. A `select` evaluates both arms, so the buffer read is still performed there; its index is clamped
  /// into the buffer on every axis that is not proven inside, so that it never touches memory outside the buffer
  /// (an out-of-bounds read of a local buffer is undefined behaviour that LLVM exploits). Where the read is
  /// inside the tensor, the region covers it and the clamp changes nothing.
  func remapLoads(_ e: Expr, ranges: [String: ClosedRange<Int64>]) -> Expr {
    e.rewritten { node in
      guard case .load(let load) = node, let st = storage[load.tensor] else { return nil }
      if st.interleave != nil {
        return .load(Load(tensor: st.buffer, indices: st.indices(load.indices), bounds: load.bounds))
      }
      if !st.needsRemapping {
        guard st.permutation != nil else { return nil }
        var l = load
        l.indices = st.indices(load.indices)
        return .load(l)
      }
      let pad: Constant
      switch load.bounds {
      case .inBounds: return .load(Load(tensor: st.buffer, indices: st.indices(load.indices), bounds: .inBounds))
      case .padded(let c): pad = c ?? .zero(types[load.tensor] ?? .f32)
      }
      func provablyBelow(_ index: Expr, _ extent: Int) -> Bool {
        guard let r = BoundsAnalysis.range(of: index, variables: ranges, dims: dims) else { return false }
        return r.lowerBound >= 0 && r.upperBound < Int64(extent)
      }
      var conditions: [Expr] = []
      for (index, extent) in zip(load.indices, st.logicalShape) where !provablyBelow(index, extent) {
        conditions.append(.binary(.ge, index, .constant(.int(0))))
        conditions.append(.binary(.lt, index, .constant(.int(Int64(extent)))))
      }
      let bufferShape = st.bufferShape
      // An empty buffer holds no element, so no read can be inside the tensor's stored part.
      guard bufferShape.allSatisfy({ $0 > 0 }) else { return .constant(pad) }
      let bufferIndices = zip(st.indices(load.indices), bufferShape).map { index, extent -> Expr in
        if conditions.isEmpty || provablyBelow(index, extent) { return index }
        let atLeastZero = Expr.binary(.max, index, .constant(.int(0)))
        return .binary(.min, atLeastZero, .constant(.int(Int64(extent - 1))))
      }
      let mapped = Expr.load(Load(tensor: st.buffer, indices: bufferIndices, bounds: .inBounds))
      guard let first = conditions.first else { return mapped }
      let inside = conditions.dropFirst().reduce(first) { .binary(.and, $0, $1) }
      return .select(inside, mapped, .constant(pad))
    }
  }

  /// The shared index simplifier (`IndexArithmetic.simplify`) after folding every i64 operation whose operands
  /// are constants and dims (`$N - 1` -> 95, floor division included).
  func simplify(_ e: Expr) -> Expr {
    let folded = e.rewritten { node in
      guard case .binary = node, type(node) == .i64, let v = constantValue(node) else { return nil }
      return .constant(.int(v))
    }
    return IndexArithmetic(dims: dims).simplify(folded)
  }
}

extension Constant {
  /// The value that leaves a reduction unchanged (for in-place accumulation).
  static func identity(_ op: ReduceOp, _ t: DType) -> Constant {
    switch op {
    case .sum: return .zero(t)
    case .prod: return .one(t)
    case .max: return .lowest(t)
    case .min: return .highest(t)
    // Never used: in-place accumulation refuses reductions that carry state (their identity is a tuple).
    case .tuple: return .zero(t)
    }
  }
}
