import KevcBasic
import KevcIR

/// The audit of a default GPU schedule (`kevc audit`): per kernel of the scheduled IR (a definition computed at the
/// root with the producers computed inside it), what the schedule asks of the machine against what the target
/// allows, and the classes of defect the default scheduler must not produce, read from the IR alone:
/// - `idle`: fewer programs than the smallest member target's multiprocessors (132 SMs) while each program handles at least 2^16 elements
///   (a reduction left as one program per output row, a full reduction to one program);
/// - `tensor`: a block (one Triton tensor: the product of a program's block loops; for a `dot`, each operand and
///   accumulator tile) larger than Triton's limit;
/// - `shared`: a `dot`'s pipelined operand tiles beyond the shared memory of a member target;
/// - `registers`: more than 255 32-bit registers per thread by the estimate below;
/// - `pointwise-conv`: a windowed contraction (a convolution, `windowedContractionAxes`) that is not a `dot`;
/// - `quadratic`: a triangular reduction (`sum(j < i + 1)`) that `to_scan` would make a scan, left quadratic;
///   `triangular`: another reduction whose range depends on the definition's axes (an exclusive or reversed
///   prefix, `sum(j < i)`, `sum(j in i .. N)`), O(N^2) because no rewrite of the IR makes it a scan yet;
/// - `recompute`: a reduction computed inside a kernel's programs that they evaluate, all together, more than
///   twice the work of a kernel of its own (`recomputes`: a statistic read per (n, c) recomputed in every program
///   of a row h, an instance norm at 0.008x torch.compile on an H100).
///
/// Estimates: shared memory of a `dot` is `GPUCapability.dotSharedMemory` (fitted to Triton's own numbers); of a
/// block reduction, one accumulator per block element (Triton's cross-warp reduction scratch, an upper bound);
/// registers per thread are the block's elements over the program's threads times the tensors live at once (the
/// body's distinct loads plus the accumulator), a rough upper bound that does not count Triton's other reuse. `floor` is the
/// cost analysis's workload floor over its estimate of the schedule (`ScheduleCost.estimate`, H100-class machine),
/// the fraction of the roofline the schedule is predicted to reach.
public struct ScheduleAudit: Sendable, Hashable {
  public struct KernelRow: Sendable, Hashable {
    /// The definition computed at the root.
    public var kernel: String
    public var programs: Int
    /// Points a program evaluates (its block elements times its serial iterations, producers inside included).
    public var elementsPerProgram: Int
    /// The largest Triton tensor of the program, in elements.
    public var largestTensor: Int
    /// Shared memory per program, estimated, in bytes (the largest member target's).
    public var sharedBytes: Int
    /// 32-bit registers per thread, estimated.
    public var registers: Int
    public var isDot: Bool
    public var flags: [String]
  }
  public var rows: [KernelRow]
  /// Workload floor over the estimated time of the whole schedule (1: at the roofline).
  public var floorFraction: Double
  /// The cost model's estimate of the schedule (`ScheduleCost.estimate`, the machine of `floorFraction`), seconds.
  public var estimateSeconds: Double
  /// Kernel-level flags (`quadratic`), besides each row's.
  public var flags: [String]

  public var allFlags: [String] { flags + rows.flatMap(\.flags) }

  /// `scheduled` is `unscheduled` under the schedule audited (the default GPU schedule, or any trace).
  public init(unscheduled: Kernel, scheduled k: Kernel, capability: GPUCapability = .portable) {
    func ext(_ loop: String, _ d: Definition) -> Int { max(1, (try? k.maxExtent(loop, in: d)) ?? 1) }
    func isGrid(_ kind: LoopKind) -> Bool { kind.isProgramLoop }
    func isBlock(_ kind: LoopKind) -> Bool { kind.isLaneLoop }
    func pow2(_ n: Int) -> Int { DefaultSchedule.nextPow2(n) }
    var rows: [KernelRow] = []
    // Idle: fewer programs than the smallest member target has multiprocessors (132 on an H100).
    let fewestMultiprocessors = capability.members.map(\.multiprocessors).min() ?? capability.multiprocessors
    // A tensor its phases store in place (`store_phases`) has no kernel.
    let assembled = k.assembledInPlace
    for d in k.definitions where d.effectiveSchedule.placement == .root && !assembled.contains(d.name) {
      var inside: [Definition] = []
      var frontier = [d.name]
      while let c = frontier.popLast() {
        for p in k.definitions {
          guard case .computeAt(let at, _) = p.effectiveSchedule.placement, at == c,
            !inside.contains(where: { $0.name == p.name })
          else { continue }
          inside.append(p)
          frontier.append(p.name)
        }
      }
      let s = d.effectiveSchedule
      let programs = s.loops.filter { isGrid($0.kind) }.reduce(1) { $0 &* ext($1.name, d) }
      var elements = 0
      var largest = 0
      var shared = 0
      var registers = 0
      let warps = s.launch?.warps ?? 4
      let threads = warps * capability.warpSize
      var rowFlags: [String] = []
      // The kernel's own points per program (for `recompute`).
      var own = 0
      for q in [d] + inside {
        let qs = q.effectiveSchedule
        // A producer computed inside runs its axes over the region its consumer's loop reads, not their extents.
        var region: [String: Int] = [:]
        if case .computeAt(let c, let at) = qs.placement, let cd = k.definitions.first(where: { $0.name == c }),
          let dims = try? RegionAnalysis(k).region(of: q, readBy: cd, at: at)
        {
          for (a, r) in zip(q.axes, dims) { region[a.name] = r.extent }
        }
        func ext(_ loop: String, _ q: Definition) -> Int {
          let e = max(1, (try? k.maxExtent(loop, in: q)) ?? 1)
          return region[Kernel.rootVariable(of: loop, in: q.effectiveSchedule)].map { min(e, max(1, $0)) } ?? e
        }
        // Loops of a producer inside run per iteration of the consumer's loops; count its own loops only (the
        // consumer's serial loops multiply both alike, and the comparison is per program).
        let loops = q.name == d.name ? qs.loops.filter { !isGrid($0.kind) } : qs.loops
        let blocks = loops.filter { isBlock($0.kind) }.map { pow2(ext($0.name, q)) }
        let block = blocks.reduce(1, &*)
        let serial = loops.filter { !isBlock($0.kind) }.reduce(1) { $0 &* ext($1.name, q) }
        elements = elements &+ block &* serial
        if q.name == d.name { own = block &* serial }
        var tensor = block
        let accumulator = q.reduction?.accumulator.byteSize ?? q.dtype.byteSize
        if qs.isDot, blocks.count == 3, blocks.min() ?? 0 >= 16 {
          // block.x = n, block.y = m, block.z = k (DefaultGPUSchedule.scheduleContraction).
          let byDim = Dictionary(
            qs.loops.compactMap { l -> (GPUDimension, Int)? in
              if case .gpu(let g) = l.kind { return (g, pow2(ext(l.name, q))) }
              return nil
            }, uniquingKeysWith: { a, _ in a })
          let m = byDim[.blockY] ?? 1
          let n = byDim[.blockX] ?? 1
          let kk = byDim[.blockZ] ?? 1
          tensor = max(m * n, m * kk, kk * n)
          let bytes = q.body.loads.compactMap { k.tensorType($0.tensor)?.dtype.byteSize }.max() ?? 4
          let stages = qs.launch?.stages ?? 3
          shared = max(
            shared,
            capability.members.map { $0.dotSharedMemory(m: m, n: n, k: kk, stages: stages, operandBytes: bytes) }.max() ?? 0)
          if !capability.fitsDot(m: m, n: n, k: kk, stages: stages, operandBytes: bytes) { rowFlags.append("shared") }
          registers = max(registers, (m * n + 2 * (m * kk + kk * n) / max(1, stages)) / max(1, threads))
        } else if let fold = MaxRescaledCombiner.blockFold(
          q, in: k,
          lanes: loops.filter { isBlock($0.kind) }.map { (Kernel.rootVariable(of: $0.name, in: qs), Double(pow2(ext($0.name, q)))) }),
          fold.contractions > 0
        {
          // A block fold with contractions (`sum_j p[i, j] * v[j, e]`): per block the weights [m, k] and one
          // `tl.dot` of them with a [k, n] operand into each [m, n] state component (TritonBlockFold), so its
          // tensors, shared memory and registers are a dot's of those tiles, not one tensor over every lane.
          let kk = Int(fold.reduction)
          let m = Int(fold.weights) / max(1, kk)
          let n = Int(fold.extra)
          tensor = max(m * n, m * kk, kk * n)
          let stages = qs.launch?.stages ?? 3
          shared = max(
            shared,
            capability.members.map { $0.dotSharedMemory(m: m, n: n, k: kk, stages: stages, operandBytes: fold.operandBytes) }.max() ?? 0)
          registers = max(registers, (m * n * fold.contractions + 2 * (m * kk + kk * n) / max(1, stages)) / max(1, threads))
        } else {
          // One register set per distinct load (a value read three times, `where(h >= 0, h, 0.1 * h)`, is loaded
          // once), plus the result.
          let live = Set(q.body.loads).count + 1
          registers = max(registers, (block / max(1, threads)) * live)
          if q.reduction != nil, blocks.count > 0 { shared = max(shared, block * accumulator) }
        }
        largest = max(largest, tensor)
        if DefaultSchedule.windowedContractionAxes(q, k) != nil, !qs.isDot, Set(q.body.loads.map(\.tensor)).count == 2,
          !rowFlags.contains("pointwise-conv")
        {
          rowFlags.append("pointwise-conv")
        }
      }
      if programs < fewestMultiprocessors, elements >= 1 << 16 { rowFlags.insert("idle", at: 0) }
      if largest > capability.maxTensorElements { rowFlags.append("tensor") }
      // A reduction computed inside that the programs recompute: `factor` programs per value it has (the program
      // loops whose variable its reader does not read it at), each reducing all of its range (`recomputes`).
      for q in inside where q.reduction != nil {
        guard case .computeAt(let at, _) = q.effectiveSchedule.placement,
          let c = k.definitions.first(where: { $0.name == at })
        else { continue }
        let readAt = Set(c.expressions.flatMap(\.loads).filter { $0.tensor == q.name }.flatMap { $0.indices.flatMap(\.indexNames) })
        let factor = s.loops.filter { isGrid($0.kind) && !readAt.contains(Kernel.rootVariable(of: $0.name, in: s)) }
          .reduce(1.0) { $0 * Double(ext($1.name, d)) }
        let reduced = (q.reduction?.axes ?? []).reduce(1.0) { $0 * Double(ext($1.name, q)) }
        if Self.recomputes(factor: factor, reduced: reduced, lane: Double(own)) {
          rowFlags.append("recompute")
          break
        }
      }
      if shared > capability.sharedMemoryPerBlock, !rowFlags.contains("shared") { rowFlags.append("shared") }
      if registers > 255 { rowFlags.append("registers") }
      rows.append(
        KernelRow(
          kernel: d.name, programs: programs, elementsPerProgram: elements, largestTensor: largest, sharedBytes: shared,
          registers: registers, isDot: s.isDot, flags: rowFlags))
    }
    self.rows = rows
    var flags: [String] = []
    for d in k.definitions {
      guard let r = d.reduction, r.scanAxis == nil else { continue }
      let axes = Set(d.axes.map(\.name))
      // A range read from data (offsets[b] .. offsets[b + 1]) is not a triangle.
      let triangular = r.axes.contains { a in
        a.lowerBound.loads.isEmpty && a.upperBound.loads.isEmpty
          && (!a.lowerBound.indexNames.isDisjoint(with: axes) || !a.upperBound.indexNames.isDisjoint(with: axes))
      }
      // `quadratic` when to_scan would have made it a scan; `triangular` for the other triangular ranges (an
      // exclusive or reversed prefix), which no rewrite of the IR makes linear yet.
      if triangular {
        flags.append((try? Transform.toScan(tensor: d.name).apply(to: unscheduled)) != nil ? "quadratic(\(d.name))" : "triangular(\(d.name))")
      }
    }
    self.flags = flags
    let machine = capability.costMachine
    let floor = WorkloadCost(k).floorSeconds(machine.floorPeaks)
    let estimate = ScheduleCost.estimate(k, machine: machine).seconds
    floorFraction = estimate > 0 ? min(1, floor / estimate) : 0
    estimateSeconds = estimate
  }

  /// Whether `factor` programs per value of a reduction of `reduced` elements, each handling `lane` points of
  /// their own, do more than twice the work of a kernel of its own (`reduced` plus the `factor * lane` points):
  /// the default scheduler's rule 3 guard (`DefaultSchedule.recomputesStatistic`) and the audit's `recompute`.
  public static func recomputes(factor: Double, reduced: Double, lane: Double) -> Bool {
    factor > 1 && factor * reduced > 2 * (reduced + factor * lane)
  }

  /// One line per kernel: `NAME: programs P (vs M SMs), E elements/program, tensor T (limit L), shared S B (limit),
  /// regs R, floor F`, then the flags.
  public func text(capability: GPUCapability = .portable) -> String {
    var out = ""
    for r in rows {
      let flagText = r.flags.isEmpty ? "ok" : r.flags.joined(separator: ",")
      let sms = capability.members.map(\.multiprocessors).min() ?? capability.multiprocessors
      out += "  \(r.kernel)\(r.isDot ? " (dot)" : ""): programs \(r.programs)/\(sms) SMs, "
      out += "\(r.elementsPerProgram) elements/program, tensor \(r.largestTensor)/\(capability.maxTensorElements), "
      out += "shared \(r.sharedBytes)/\(capability.sharedMemoryPerBlock) B, regs ~\(r.registers): \(flagText)\n"
    }
    let pct = (floorFraction * 1000).rounded() / 10
    let ms = (estimateSeconds * 1e6).rounded() / 1e3
    out += "  floor fraction \(pct)% (estimate \(ms) ms)\(flags.isEmpty ? "" : ": " + flags.joined(separator: ","))\n"
    return out
  }
}
