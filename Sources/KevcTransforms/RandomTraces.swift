import KevcBasic
import KevcIR

/// Seeded random schedule transforms and traces, drawn from a kernel's actual structure: its definitions, the
/// loops of their current schedules (each step is applied as it is drawn, so later steps see the loops that
/// earlier splits and tiles created), the tensors each definition reads. Proposals cover every transform kind,
/// legal and illegal alike (non-dividing factors, non-innermost vectorization, reduction loops made parallel,
/// unknown names), so a search or a property test sees both outcomes. The mutation and crossover helpers are the
/// evolutionary search's operators. Everything is deterministic for a seed (its own SplitMix64 generator) and
/// never traps.
public struct TraceGenerator: Sendable {
  /// Split, tile, unroll and rfactor factors (some will not divide an extent).
  public static let factors = [2, 3, 4, 5, 8, 16, 32]
  /// Vectorization widths.
  public static let vectorWidths = [4, 8, 16]
  /// How often a step of `randomTrace` is redrawn (a few times) until it applies; the rest are kept as drawn,
  /// legal or not.
  public var legalBias: Double = 0.85
  /// How often a name is replaced by one the kernel does not have.
  public var bogusNameRate: Double = 0.03
  /// The GPU dimensions `bind` steps are drawn from: all of them, or only the ones a block-level target
  /// programs (`GPUDimension.blockLevel`, for Triton: no threads, no warps).
  public var bindDimensions: [GPUDimension] = GPUDimension.allCases
  /// The kinds of steps drawn: all of them, or the ones the search's target expresses (a CPU search draws no
  /// `TransformKind.gpuOnly` step). A step of another kind already in a trace is kept as it is, but is never
  /// redrawn as one of its own kind.
  public var kinds: Set<TransformKind> = Set(TransformKind.allCases)

  private var random: SplitMix64

  public init(seed: UInt64) {
    random = SplitMix64(seed: seed)
  }

  // MARK: - Random numbers

  /// The next 64 random bits (SplitMix64).
  public mutating func next() -> UInt64 { random.next() }

  /// A number in `0 ..< n` (0 when `n <= 0`).
  public mutating func int(below n: Int) -> Int {
    n <= 0 ? 0 : Int(next() % UInt64(n))
  }

  /// A number in `range` (its lower bound when empty).
  public mutating func int(in range: ClosedRange<Int>) -> Int {
    let span = range.upperBound &- range.lowerBound
    guard span > 0, span < Int.max else { return range.lowerBound }
    return range.lowerBound + int(below: span + 1)
  }

  /// True with probability `p`.
  public mutating func chance(_ p: Double) -> Bool {
    Double(next() >> 11) / Double(UInt64(1) << 53) < p
  }

  mutating func pick<T>(_ xs: [T]) -> T? { xs.isEmpty ? nil : xs[int(below: xs.count)] }

  mutating func pick<T>(_ xs: [T], or fallback: T) -> T { pick(xs) ?? fallback }

  mutating func shuffled<T>(_ xs: [T]) -> [T] {
    var out = xs
    if out.count < 2 { return out }
    for i in stride(from: out.count - 1, to: 0, by: -1) { out.swapAt(i, int(below: i + 1)) }
    return out
  }

  // MARK: - Transforms

  /// How often each kind is drawn (relative weights).
  static let weights: [(TransformKind, Int)] = [
    (.split, 4), (.tile, 3), (.reorder, 4), (.inline, 2), (.computeAt, 4), (.computeRoot, 1), (.storeIn, 2),
    (.layout, 2), (.pad, 1), (.stage, 3), (.cache, 3), (.vectorize, 4), (.unroll, 3), (.parallel, 3), (.bind, 1),
    (.rfactor, 3), (.dot, 1), (.launch, 1), (.fuseAxes, 1), (.precision, 1), (.groupPrograms, 1), (.persistent, 1),
    (.computeWith, 1), (.fuseReductions, 1), (.toScan, 1), (.phaseSplit, 1),
  ]

  mutating func randomKind() -> TransformKind {
    let weights = Self.weights.filter { kinds.contains($0.0) }
    let total = weights.reduce(0) { $0 + $1.1 }
    var r = int(below: total)
    for (kind, w) in weights {
      if r < w { return kind }
      r -= w
    }
    return .split
  }

  /// `kind` when it may be drawn (`kinds`), else a random kind that may.
  mutating func drawable(_ kind: TransformKind) -> TransformKind {
    kinds.contains(kind) ? kind : randomKind()
  }

  /// One transform proposed for `kernel` as it is now (legal or not).
  public mutating func randomTransform(for kernel: Kernel) -> Transform {
    randomTransform(randomKind(), for: kernel)
  }

  /// One transform of the given kind proposed for `kernel` (legal or not).
  public mutating func randomTransform(_ kind: TransformKind, for kernel: Kernel) -> Transform {
    let defs = kernel.definitions
    let results = Set(kernel.results.map(\.name))
    let reductions = defs.filter { $0.reduction != nil }
    let intermediates = defs.filter { !results.contains($0.name) }
    let anyName = defs.first?.name ?? kernel.params.first?.name ?? "t"

    func tensorName(_ preferred: [Definition]) -> String {
      if chance(bogusNameRate) {
        return pick(kernel.params.map(\.name), or: "nope") + (chance(0.5) ? "" : ".x")
      }
      if let d = pick(preferred) { return d.name }
      return pick(defs.map(\.name), or: anyName)
    }
    func definition(_ name: String) -> Definition? { defs.first { $0.name == name } }
    func loops(of name: String) -> [ScheduledLoop] { definition(name)?.effectiveSchedule.loops ?? [] }
    func loopName(_ name: String, prefer: (ScheduledLoop) -> Bool = { _ in true }) -> String {
      let all = loops(of: name)
      if chance(bogusNameRate) || all.isEmpty {
        return pick(all.map(\.name), or: "i") + ".z"
      }
      let preferred = all.filter(prefer)
      return pick(chance(0.8) && !preferred.isEmpty ? preferred : all, or: all[0]).name
    }
    func isReduction(_ loop: String, of name: String) -> Bool {
      guard let d = definition(name) else { return false }
      let root = Kernel.rootVariable(of: loop, in: d.effectiveSchedule)
      return d.reduction?.axes.contains { $0.name == root } ?? false
    }
    func scope() -> MemoryScope {
      pick([.local, .local, .workspace, .shared, .global], or: .local)
    }

    switch kind {
    case .split:
      let t = tensorName(defs)
      return .split(tensor: t, loop: loopName(t), factor: pick(Self.factors, or: 4))
    case .tile:
      let t = tensorName(defs)
      let all = loops(of: t).map(\.name)
      var chosen: [String]
      if all.count >= 2, chance(0.7) {
        // Adjacent loops, the usual tiling.
        let n = Swift.min(all.count, int(in: 2...3))
        let start = int(below: all.count - n + 1)
        chosen = Array(all[start..<(start + n)])
      } else {
        chosen = Array(shuffled(all).prefix(int(in: 1...3)))
      }
      if chosen.isEmpty { chosen = [loopName(t)] }
      var sizes = chosen.map { _ in pick(Self.factors, or: 4) }
      if chance(0.03) { sizes.removeLast() }
      return .tile(tensor: t, loops: chosen, sizes: sizes)
    case .reorder:
      let t = tensorName(defs)
      let all = loops(of: t).map(\.name)
      var chosen = chance(0.5) ? all : Array(shuffled(all).prefix(int(in: 2...3)))
      if chance(0.03), let first = chosen.first { chosen.append(first) }
      return .reorder(tensor: t, loops: shuffled(chosen))
    case .inline:
      return .inline(tensor: tensorName(intermediates.filter { $0.reduction == nil }))
    case .toScan:
      // Reductions whose single reduction axis counts up to one of their axes (triangles).
      let triangles = reductions.filter { d in
        guard let r = d.reduction, r.axes.count == 1 else { return false }
        return d.axes.contains { r.axes[0].upperBound.indexNames.contains($0.name) }
      }
      return .toScan(tensor: tensorName(triangles))
    case .padInput:
      let t = tensorName(defs)
      let read = Set(definition(t)?.body.loads.map(\.tensor) ?? [])
      return .padInput(tensor: t, input: pick(read.sorted(), or: anyName))
    case .deinterleave:
      // Definitions that read a tensor with a stride along one of their axes.
      let strided = defs.filter { d in d.axes.contains { !d.stridedInputs(along: $0.name).isEmpty } }
      let t = tensorName(strided)
      let d = definition(t)
      let axis = d?.axes.map(\.name).first { !(d?.stridedInputs(along: $0).isEmpty ?? true) } ?? loopName(t)
      return .deinterleave(tensor: t, input: pick(d?.stridedInputs(along: axis) ?? [], or: anyName), axis: axis)
    case .phaseSplit:
      // Definitions with an output axis under a `%` by a constant (a strided transposed convolution's guard).
      let t = tensorName(defs.filter { !$0.phaseGuardedAxes.isEmpty })
      let axes = definition(t)?.phaseGuardedAxes ?? []
      return .phaseSplit(tensor: t, axes: axes.isEmpty || chance(0.05) ? [loopName(t)] : axes)
    case .storePhases:
      // Elementwise definitions that test an axis modulo a constant (an interleaving of phases).
      return .storePhases(tensor: tensorName(defs.filter { $0.reduction == nil && !$0.phaseGuardedAxes.isEmpty }))
    case .fuseReductions:
      // Sums, and the elementwise definitions that read sums.
      let sums = Set(defs.filter { $0.reduction?.op == .sum }.map(\.name))
      return .fuseReductions(
        tensor: tensorName(defs.filter { d in sums.contains(d.name) || (d.reduction == nil && sums.contains { d.reads($0) }) }))
    case .fuseSiblings:
      // Definitions that read two or more sums.
      let sums = Set(defs.filter { $0.reduction?.op == .sum }.map(\.name))
      return .fuseSiblings(tensor: tensorName(defs.filter { d in sums.filter { d.reads($0) }.count >= 2 }))
    case .welford:
      // Sums (the centred sums of squares among them).
      return .welford(tensor: tensorName(defs.filter { $0.reduction?.op == .sum }))
    case .computeAt:
      let producers = intermediates.filter { p in defs.contains { $0.name != p.name && $0.reads(p.name) } }
      let p = tensorName(producers)
      let readers = defs.filter { $0.name != p && $0.reads(p) }.map(\.name)
      let c = chance(bogusNameRate) ? pick(defs.map(\.name), or: anyName) : pick(readers, or: anyName)
      return .computeAt(tensor: p, consumer: c, loop: loopName(c, prefer: { !isReduction($0.name, of: c) }))
    case .computeRoot:
      let placed = defs.filter { $0.effectiveSchedule.placement != .root }
      return .computeRoot(tensor: tensorName(chance(0.9) ? placed : defs))
    case .storeIn:
      return .storeIn(tensor: tensorName(intermediates), scope: scope())
    case .layout:
      let t = tensorName(chance(0.9) ? intermediates : defs)
      let rank = definition(t)?.axes.count ?? 1
      var p = shuffled(Array(0..<rank))
      if chance(0.05) { p.append(rank) }
      return .layout(tensor: t, permutation: p)
    case .pad:
      let t = tensorName(chance(0.9) ? intermediates : defs)
      let rank = definition(t)?.axes.count ?? 1
      var amounts = (0..<rank).map { _ in pick([0, 0, 1, 3, 4, 8], or: 0) }
      if chance(0.05) { amounts.append(1) }
      return .pad(tensor: t, amounts: amounts)
    case .stage:
      let c = tensorName(defs)
      let read = Set(definition(c)?.expressions.flatMap(\.loads).map(\.tensor) ?? [])
      let tensors = read.sorted().filter { kernel.tensorType($0).map { !$0.shape.isEmpty } ?? false }
      let t = chance(bogusNameRate) ? pick(defs.map(\.name), or: anyName) : pick(tensors, or: anyName)
      return .stage(tensor: t, consumer: c, loop: loopName(c), scope: scope())
    case .cache:
      let t = tensorName(reductions)
      return .cache(tensor: t, loop: loopName(t, prefer: { !isReduction($0.name, of: t) }), scope: scope())
    case .vectorize:
      let t = tensorName(defs)
      let all = loops(of: t)
      let loop = all.last.map { chance(0.75) ? $0.name : loopName(t) } ?? loopName(t)
      return .vectorize(tensor: t, loop: loop, width: pick(Self.vectorWidths, or: 8))
    case .unroll:
      let t = tensorName(defs)
      return .unroll(tensor: t, loop: loopName(t), factor: pick(Self.factors, or: 4))
    case .parallel:
      let t = tensorName(defs.filter { $0.effectiveSchedule.placement == .root })
      let all = loops(of: t)
      let loop = all.first.map { chance(0.6) ? $0.name : loopName(t) } ?? loopName(t)
      return .parallel(tensor: t, loop: loop)
    case .bind:
      let t = tensorName(defs)
      return .bind(tensor: t, loop: loopName(t), dimension: pick(bindDimensions, or: .gridX))
    case .rfactor:
      let t = tensorName(reductions)
      let axes = definition(t)?.reduction?.axes.map(\.name) ?? []
      let loop = chance(0.9) ? pick(axes, or: loopName(t)) : loopName(t)
      return .rfactor(tensor: t, loop: loop, factor: pick(Self.factors, or: 4))
    case .dot:
      return .dot(tensor: tensorName(reductions))
    case .launch:
      return .launch(
        tensor: tensorName(defs), warps: pick([1, 2, 4, 8, 16, 32, 3], or: 4), stages: pick([1, 2, 3, 4, 8, 9], or: 2))
    case .fuseAxes:
      // The loop form: two adjacent output axes of an elementwise definition (`fuse_axes(y, [i, j])`).
      let elementwise = defs.filter { $0.reduction == nil && $0.axes.count >= 2 }
      if !elementwise.isEmpty, reductions.isEmpty || chance(0.5) {
        let t = tensorName(elementwise)
        let axes = definition(t)?.axes.map(\.name) ?? []
        let at = axes.count >= 2 ? int(in: 0...(axes.count - 2)) : 0
        let chosen = axes.count >= 2 && chance(0.9) ? [axes[at], axes[at + 1]] : [loopName(t), loopName(t)]
        return .fuseAxes(tensor: t, loops: chosen)
      }
      let t = tensorName(reductions)
      let axes = definition(t)?.reduction?.axes.map(\.name) ?? []
      let chosen = axes.count >= 2 && chance(0.9) ? Array(shuffled(axes).prefix(int(in: 2...axes.count))) : [loopName(t), loopName(t)]
      return .fuseAxes(tensor: t, loops: chosen)
    case .precision:
      // Only precisions the kernel's accuracy contract allows (the transform would reject the others).
      return .precision(
        tensor: tensorName(reductions), precision: pick(DotPrecision.allowed(under: kernel.matmulPrecision), or: .tf32x3))
    case .groupPrograms:
      return .groupPrograms(tensor: tensorName(defs), size: pick([1, 4, 8, 16, 0], or: 8))
    case .persistent:
      return .persistent(tensor: tensorName(defs), programs: pick([66, 132, 264, 304, 0], or: 132))
    case .computeWith:
      let t = tensorName(defs)
      let earlier = defs.prefix { $0.name != t }.map(\.name)
      return .computeWith(tensor: t, sibling: pick(earlier, or: anyName))
    }
  }

  /// A step that applies to `kernel`, when one of a few draws does (the first of them of `kind`); else the
  /// last draw.
  mutating func legalTransform(_ kind: TransformKind, for kernel: Kernel) -> (Transform, Kernel?) {
    let kind = drawable(kind)
    var t = randomTransform(kind, for: kernel)
    for attempt in 0..<10 {
      if let next = try? t.apply(to: kernel) { return (t, next) }
      t = attempt < 4 ? randomTransform(kind, for: kernel) : randomTransform(for: kernel)
    }
    return (t, try? t.apply(to: kernel))
  }

  // MARK: - Traces

  /// `length` steps drawn one after another, each against the kernel the earlier (applicable) steps produce.
  /// Most steps are legal (see `legalBias`); a trace is legal as a whole only when all are.
  public mutating func randomTrace(for kernel: Kernel, length: Int) -> Trace {
    var k = kernel
    var steps: [Transform] = []
    for _ in 0..<Swift.max(0, length) {
      let (t, next): (Transform, Kernel?)
      if chance(legalBias) {
        (t, next) = legalTransform(randomKind(), for: k)
      } else {
        let drawn = randomTransform(for: k)
        (t, next) = (drawn, try? drawn.apply(to: k))
      }
      steps.append(t)
      if let next { k = next }
    }
    return Trace(steps)
  }

  /// The kernel after the steps that apply (steps that do not are skipped).
  static func kernel(after steps: ArraySlice<Transform>, from kernel: Kernel) -> Kernel {
    var k = kernel
    for t in steps { if let next = try? t.apply(to: k) { k = next } }
    return k
  }

  /// One random edit: change a step's parameter (factor, width, sizes, scope, loop), insert, delete, swap or
  /// replace a step. Inserted and replaced steps are drawn against the kernel the steps before them produce.
  public mutating func mutate(_ trace: Trace, for kernel: Kernel) -> Trace {
    var steps = trace.steps
    if steps.isEmpty { return randomTrace(for: kernel, length: 1) }
    switch int(below: 6) {
    case 0, 1:
      let i = int(below: steps.count)
      steps = mutatedParameters(of: steps, at: i, for: kernel)
    case 2:
      let i = int(below: steps.count + 1)
      let before = Self.kernel(after: steps[..<i], from: kernel)
      steps.insert(legalTransform(randomKind(), for: before).0, at: i)
    case 3:
      if steps.count > 1 { steps.remove(at: int(below: steps.count)) } else {
        steps = [legalTransform(randomKind(), for: kernel).0]
      }
    case 4:
      if steps.count > 1 {
        let i = int(below: steps.count - 1)
        let j = chance(0.7) ? i + 1 : int(below: steps.count)
        steps.swapAt(i, j)
      }
    default:
      let i = int(below: steps.count)
      let before = Self.kernel(after: steps[..<i], from: kernel)
      steps[i] = legalTransform(steps[i].kind, for: before).0
    }
    return Trace(steps)
  }

  /// The same transform with new numeric or scope parameters; a transform without parameters (or one whose loop
  /// is a parameter), or of a kind not in `kinds`, is redrawn for `kernel`. A factor moves to a neighbour (half or double, the step between the
  /// tiles experts pick: 64 -> 128 -> 256, 1024 -> 2048) three times in four, else to one of `factors`.
  public mutating func mutatedParameters(_ t: Transform, for kernel: Kernel) -> Transform {
    func other(_ xs: [Int], than x: Int) -> Int { pick(xs.filter { $0 != x }, or: x) }
    func neighbour(_ f: Int) -> Int {
      guard chance(0.75) else { return other(Self.factors, than: f) }
      let doubled = f.multipliedReportingOverflow(by: 2)
      let candidates = [f / 2, doubled.overflow ? 0 : doubled.partialValue].filter { $0 >= 2 && $0 <= 1 << 16 }
      return pick(candidates, or: other(Self.factors, than: f))
    }
    func otherScope(_ s: MemoryScope) -> MemoryScope { pick([.local, .workspace, .shared].filter { $0 != s }, or: s) }
    // A step the target does not express (a GPU step in a CPU trace) becomes one it does.
    guard kinds.contains(t.kind) else { return randomTransform(randomKind(), for: kernel) }
    switch t {
    case .split(let x, let l, let f): return .split(tensor: x, loop: l, factor: neighbour(f))
    case .tile(let x, let ls, var ss):
      if !ss.isEmpty {
        let i = int(below: ss.count)
        ss[i] = neighbour(ss[i])
      }
      return .tile(tensor: x, loops: ls, sizes: ss)
    case .reorder(let x, let ls): return .reorder(tensor: x, loops: shuffled(ls))
    case .storeIn(let x, let s): return .storeIn(tensor: x, scope: otherScope(s))
    case .layout(let x, let p): return .layout(tensor: x, permutation: shuffled(p))
    case .pad(let x, let a): return .pad(tensor: x, amounts: a.map { _ in pick([0, 1, 2, 4], or: 0) })
    case .stage(let x, let c, let l, let s):
      if chance(0.5) { return .stage(tensor: x, consumer: c, loop: l, scope: otherScope(s)) }
      let loops = kernel.definitions.first { $0.name == c }?.effectiveSchedule.loops.map(\.name) ?? []
      return .stage(tensor: x, consumer: c, loop: pick(loops, or: l), scope: s)
    case .cache(let x, let l, let s):
      if chance(0.5) { return .cache(tensor: x, loop: l, scope: otherScope(s)) }
      let loops = kernel.definitions.first { $0.name == x }?.effectiveSchedule.loops.map(\.name) ?? []
      return .cache(tensor: x, loop: pick(loops, or: l), scope: s)
    case .computeAt(let x, let c, let l):
      let loops = kernel.definitions.first { $0.name == c }?.effectiveSchedule.loops.map(\.name) ?? []
      return .computeAt(tensor: x, consumer: c, loop: pick(loops.filter { $0 != l }, or: l))
    case .vectorize(let x, let l, let w):
      return .vectorize(tensor: x, loop: l, width: other(Self.vectorWidths, than: w))
    case .unroll(let x, let l, let f): return .unroll(tensor: x, loop: l, factor: neighbour(f))
    case .rfactor(let x, let l, let f): return .rfactor(tensor: x, loop: l, factor: neighbour(f))
    case .launch(let x, let w, let s):
      return chance(0.5)
        ? .launch(tensor: x, warps: other([1, 2, 4, 8, 16, 32], than: w), stages: s)
        : .launch(tensor: x, warps: w, stages: other([1, 2, 3, 4], than: s))
    case .bind(let x, let l, let d):
      return .bind(tensor: x, loop: l, dimension: pick(bindDimensions.filter { $0 != d }, or: d))
    case .precision(let x, let p):
      return .precision(tensor: x, precision: pick(DotPrecision.allowed(under: kernel.matmulPrecision).filter { $0 != p }, or: p))
    case .groupPrograms(let x, let g): return .groupPrograms(tensor: x, size: other([2, 4, 8, 16, 32], than: g))
    case .persistent(let x, let p): return .persistent(tensor: x, programs: other([66, 132, 264, 304, 528], than: p))
    case .fuseAxes(let x, let ls): return .fuseAxes(tensor: x, loops: shuffled(ls))
    case .parallel, .inline, .computeRoot, .dot, .computeWith, .fuseReductions, .fuseSiblings, .welford, .toScan, .phaseSplit, .storePhases, .deinterleave, .padInput:
      return randomTransform(drawable(t.kind), for: kernel)
    }
  }

  /// Step `i` of `steps` with new parameters (`mutatedParameters`, drawn for the kernel the steps before it
  /// produce); when that step is a `split` or `tile` whose factor for a loop changed from `f` to `g`, the later
  /// steps that work on the same tile (same tensor, or a copy of it such as its `cache`d accumulator `c.acc`;
  /// a loop derived from the same loop, `m`, `m.i`, `m.i.o`) and use `f` as their `unroll` factor or `vectorize`
  /// width get `g` too, three times in four: a register tile retuned as a whole (`tile(c, [m, n], [4, 16])` ->
  /// `[8, 16]` with `unroll(c.acc, m, 4)` -> `8`). Retuned alone, the tile's rows past the unroll factor ran as
  /// a loop around the unrolled block (the CPU matmul's 8 x 16 tile with a 4-row unroll: 0.64x of the default,
  /// bench/search/cpu-noseeds-2026-12-07).
  public mutating func mutatedParameters(of steps: [Transform], at i: Int, for kernel: Kernel) -> [Transform] {
    guard steps.indices.contains(i) else { return steps }
    var out = steps
    let before = Self.kernel(after: steps[..<i], from: kernel)
    out[i] = mutatedParameters(steps[i], for: before)
    guard chance(0.75) else { return out }
    for (tensor, loop, from, to) in Self.changedFactors(steps[i], out[i]) {
      for j in out.indices where j > i {
        out[j] = Self.retuned(out[j], tensor: tensor, loop: loop, from: from, to: to)
      }
    }
    return out
  }

  /// The loops whose split factor differs between two `split` or `tile` steps on the same loops: (tensor, loop,
  /// old factor, new factor).
  static func changedFactors(_ a: Transform, _ b: Transform) -> [(String, String, Int, Int)] {
    switch (a, b) {
    case (.split(let x, let l, let f), .split(let y, let m, let g)) where x == y && l == m && f != g:
      return [(x, l, f, g)]
    case (.tile(let x, let ls, let fs), .tile(let y, let ms, let gs)) where x == y && ls == ms && fs.count == gs.count:
      return zip(ls, zip(fs, gs)).filter { $0.1.0 != $0.1.1 }.map { (x, $0.0, $0.1.0, $0.1.1) }
    default:
      return []
    }
  }

  /// `t` with factor or width `to` where it unrolls or vectorizes by `from` a loop derived from `loop` (its first
  /// name component) of `tensor` or of a tensor derived from it (`tensor.acc`).
  static func retuned(_ t: Transform, tensor: String, loop: String, from: Int, to: Int) -> Transform {
    let root = loop.split(separator: ".").first.map(String.init) ?? loop
    func same(_ x: String, _ l: String) -> Bool {
      (x == tensor || x.hasPrefix(tensor + ".")) && l.split(separator: ".").first.map(String.init) == root
    }
    switch t {
    case .unroll(let x, let l, let f) where f == from && same(x, l): return .unroll(tensor: x, loop: l, factor: to)
    case .vectorize(let x, let l, let w) where w == from && same(x, l): return .vectorize(tensor: x, loop: l, width: to)
    default: return t
    }
  }

  /// One-point crossover: a prefix of `a` followed by a suffix of `b` (never empty when either is not).
  public mutating func crossover(_ a: Trace, _ b: Trace) -> Trace {
    let i = int(in: 0...a.steps.count)
    let j = int(in: 0...b.steps.count)
    let steps = Array(a.steps[..<i]) + Array(b.steps[j...])
    if steps.isEmpty { return a.steps.isEmpty ? b : a }
    return Trace(steps)
  }
}

/// The kinds of transforms, for statistics and for drawing transforms of one kind.
public enum TransformKind: String, Hashable, Codable, Sendable, CaseIterable {
  case split, tile, reorder, inline
  case computeAt = "compute_at"
  case computeRoot = "compute_root"
  case storeIn = "store_in"
  case layout, pad, stage, cache, vectorize, unroll, parallel, bind, rfactor, dot, launch
  case fuseAxes = "fuse_axes"
  case precision
  case groupPrograms = "group_programs"
  case persistent
  case computeWith = "compute_with"
  case fuseReductions = "fuse_reductions"
  case fuseSiblings = "fuse_siblings"
  case welford
  case toScan = "to_scan"
  case phaseSplit = "phase_split"
  case storePhases = "store_phases"
  case deinterleave
  case padInput = "pad_input"

  /// The kinds that only a GPU target expresses: `bind` (the CPU emitter refuses a bound loop), `compute_with`
  /// (it shares bound programs), and the steps that only set what a GPU lowering reads (`launch`, `dot`,
  /// `precision`, `group_programs`, `persistent`: on the CPU the program is the same with or without them, so a
  /// CPU search would spend an evaluation on an equivalent schedule).
  public static let gpuOnly: Set<TransformKind> = [.bind, .computeWith, .launch, .dot, .precision, .groupPrograms, .persistent]
}

extension Transform {
  public var kind: TransformKind {
    switch self {
    case .split: return .split
    case .tile: return .tile
    case .reorder: return .reorder
    case .inline: return .inline
    case .computeAt: return .computeAt
    case .computeRoot: return .computeRoot
    case .storeIn: return .storeIn
    case .layout: return .layout
    case .pad: return .pad
    case .stage: return .stage
    case .cache: return .cache
    case .vectorize: return .vectorize
    case .unroll: return .unroll
    case .parallel: return .parallel
    case .bind: return .bind
    case .rfactor: return .rfactor
    case .dot: return .dot
    case .launch: return .launch
    case .fuseAxes: return .fuseAxes
    case .precision: return .precision
    case .groupPrograms: return .groupPrograms
    case .persistent: return .persistent
    case .computeWith: return .computeWith
    case .fuseReductions: return .fuseReductions
    case .fuseSiblings: return .fuseSiblings
    case .welford: return .welford
    case .toScan: return .toScan
    case .phaseSplit: return .phaseSplit
    case .storePhases: return .storePhases
    case .deinterleave: return .deinterleave
    case .padInput: return .padInput
    }
  }
}
