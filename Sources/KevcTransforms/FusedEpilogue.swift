import KevcIR

/// A default-schedule rule for block-level targets (rule 3b; the default takes stencils and contractions, sketch
/// `fused` every reduction): a reduction read pointwise by its only reader,
/// an elementwise definition over the same axes (a cast, a bias and activation: an epilogue), is computed inside the
/// reader's programs instead of as a kernel of its own. The reader takes the tiling the reduction would have had as
/// a kernel (its splits, program ids and blocks, on the reader's matching axes; for a reduction of at most 16
/// constant points, a stencil's taps, the reader keeps its own elementwise tiling), the reduction is computed at the
/// reader's innermost program id, over the same blocks (a contraction stays a `dot` with its reduction tile as
/// `block.z`; another reduction keeps its reduction block, or unrolls its short constant one), and the launch moves
/// to the reader. Saves the reduction's round trip through memory and a launch; what hand traces do for matmul + cast,
/// matmul + GELU, convolutions + cast and depthwise convolutions. Structural only: no names, no shapes.
///
/// Before (default: two kernels, `_r0` through an f32 workspace):
///   _r0[m, n] = sum [k] a[m, k] * b[k, n]   schedule dot, split(m 128) split(n 128) split(k 64), grid(n.o, m.o), blocks(m.i, n.i, k.i)
///   c[m, n] = cast<bf16>(_r0[m, n])          schedule split(n 1024), grid(m, n.o), block(n.i)
/// After (one kernel):
///   c:   split(c, m, 128) split(c, n, 128) reorder(c, [n.o, m.o, m.i, n.i]) bind(n.o grid.x, m.o grid.y,
///        m.i block.y, n.i block.x)
///   _r0: compute_at(_r0, c, m.o) split(_r0, k, 64) reorder(_r0, [m, n, k.o, k.i]) bind(m block.y, n block.x,
///        k.i block.z) dot(_r0); launch(c, 8, 3)
extension DefaultSchedule {
  /// Applies the rule to every reduction it fits, in definition order; returns the definitions it scheduled. Which
  /// reductions: every one (`sketch.fuseEpilogues`), else stencils (reductions of at most 16 constant points that
  /// are not contractions, `fuseStencilEpilogues`) and contractions (`fuseContractionEpilogues`).
  static func fuseEpilogues(
    _ capability: GPUCapability, _ sketch: GPUSketch, block: Int, _ k: inout Kernel, _ steps: inout [Transform]
  ) -> Set<String> {
    var done: Set<String> = []
    for d in k.definitions where d.reduction != nil && !done.contains(d.name) {
      guard let c = epilogue(of: d, in: k), !done.contains(c.name) else { continue }
      if !sketch.fuseEpilogues {
        let contraction = contractionTiling(d.name, capability, sketch, k) != nil
        let stencil = !contraction && stencilPoints(of: d, in: k) != nil
        guard (stencil && sketch.fuseStencilEpilogues) || (contraction && sketch.fuseContractionEpilogues) else { continue }
      }
      if fuse(d.name, into: c.name, capability, sketch, block: block, &k, &steps) {
        done.insert(d.name)
        done.insert(c.name)
        // Contractions read only by the fused one, computed in the same programs (one level).
        for p in k.definitions where p.reduction?.op == .sum && !done.contains(p.name) {
          if fuseInner(p.name, into: d.name, capability, sketch, &k, &steps) { done.insert(p.name) }
        }
      }
    }
    return done
  }

  /// The only reader of root reduction `d` when it is an elementwise root definition reading `d` at its own axes
  /// (one distinct axis per index, every axis), and not a result read elsewhere.
  static func epilogue(of d: Definition, in k: Kernel) -> Definition? {
    guard d.effectiveSchedule.placement == .root, !k.results.contains(where: { $0.name == d.name }) else { return nil }
    let readers = k.definitions.filter { $0.name != d.name && $0.reads(d.name) }
    guard readers.count == 1, let c = readers.first, c.reduction == nil, c.effectiveSchedule.placement == .root,
      c.axes.count == d.axes.count
    else { return nil }
    let axes = c.axes.map(\.name)
    for l in c.expressions.flatMap(\.loads) where l.tensor == d.name {
      var names: [String] = []
      for i in l.indices {
        guard case .index(let v) = i else { return nil }
        names.append(v)
      }
      guard Set(names).count == names.count, Set(names) == Set(axes) else { return nil }
    }
    return c
  }

  /// A contraction `p` whose only reader is contraction `d`, itself computed at an unsplit program id `b` of its
  /// epilogue, is computed at `d`'s loop `b` too: one region per program (the axes `d` reads it at through `b`
  /// are one point; the others are `p`'s whole output tile, at most 32768 elements), as a `dot` with the tiles'
  /// blocks and the reduction tile it would have as a kernel (bench/gpu/fm_interaction.trace's structure:
  /// X^T Y inside X (X^T Y) inside the cast).
  static func fuseInner(
    _ pName: String, into dName: String, _ capability: GPUCapability, _ sketch: GPUSketch, _ k: inout Kernel,
    _ steps: inout [Transform]
  ) -> Bool {
    guard let p = k.definitions.first(where: { $0.name == pName }), p.effectiveSchedule.placement == .root,
      !k.results.contains(where: { $0.name == pName }),
      let d = k.definitions.first(where: { $0.name == dName }), d.effectiveSchedule.isDot,
      case .computeAt(_, let at) = d.effectiveSchedule.placement, !at.contains("."),
      k.definitions.filter({ $0.name != pName && $0.reads(pName) }).map(\.name) == [dName],
      let cName = { () -> String? in
        if case .computeAt(let c, _) = d.effectiveSchedule.placement { return c }
        return nil
      }(),
      let c = k.definitions.first(where: { $0.name == cName }),
      let readOfD = c.expressions.flatMap(\.loads).first(where: { $0.tensor == dName }),
      let position = readOfD.indices.firstIndex(of: .index(at)), position < d.axes.count
    else { return false }
    // d's loop over the program id, and p's axes d reads through it.
    let dLoop = d.axes[position].name
    let reads = d.expressions.flatMap(\.loads).filter { $0.tensor == pName }
    guard let read = reads.first, reads.allSatisfy({ $0 == read }), read.indices.count == p.axes.count else { return false }
    var covered: Set<String> = []
    for (a, i) in zip(p.axes, read.indices) {
      guard case .index(let v) = i else { return false }
      if v == dLoop { covered.insert(a.name) }
    }
    guard !covered.isEmpty else { return false }
    var alone = k
    var aloneSteps: [Transform] = []
    guard DefaultSchedule.attempt(.dot(tensor: pName), &alone, &aloneSteps),
      let pd = alone.definitions.first(where: { $0.name == pName }), scheduleContraction(pd, capability, sketch.withTileScale(0), &alone, &aloneSteps),
      let ts = alone.definitions.first(where: { $0.name == pName })?.effectiveSchedule
    else { return false }
    let free = p.axes.map(\.name).filter { !covered.contains($0) }
    var region = 1
    for a in free {
      let (r, overflow) = region.multipliedReportingOverflow(by: max(1, (try? k.maxExtent(a, in: p)) ?? Int.max))
      guard !overflow, r <= 32768 else { return false }
      region = r
    }
    var trial = k
    var local: [Transform] = []
    func attempt(_ t: Transform) -> Bool { DefaultSchedule.attempt(t, &trial, &local) }
    guard attempt(.computeAt(tensor: pName, consumer: dName, loop: dLoop)) else { return false }
    var bound: Set<String> = []
    for l in ts.loops {
      guard case .gpu(let g) = l.kind else { continue }
      let root = Kernel.rootVariable(of: l.name, in: ts)
      switch g {
      case .blockX, .blockY:
        guard free.contains(root), !bound.contains(root), attempt(.bind(tensor: pName, loop: root, dimension: g)) else { return false }
        bound.insert(root)
      case .gridX, .gridY, .gridZ, .blockZ, .warp, .threadX, .threadY, .threadZ: continue
      }
    }
    guard Set(free) == bound else { return false }
    for sp in ts.splits where !p.axes.contains(where: { $0.name == sp.variable }) {
      guard attempt(.split(tensor: pName, loop: sp.variable, factor: sp.factor)) else { return false }
    }
    if let inside = trial.definitions.first(where: { $0.name == pName }) {
      let loops = inside.effectiveSchedule.loops.map(\.name)
      let order = loops.filter { !isReductionLoop($0, of: inside) } + loops.filter { isReductionLoop($0, of: inside) }
      if order != loops { guard attempt(.reorder(tensor: pName, loops: order)) else { return false } }
    }
    for l in ts.loops where ts.splits.contains(where: { $0.inner == l.name || $0.outer == l.name }) || !p.axes.contains(where: { $0.name == l.name }) {
      guard case .gpu(let g) = l.kind, !p.axes.contains(where: { $0.name == Kernel.rootVariable(of: l.name, in: ts) })
      else { continue }
      guard attempt(.bind(tensor: pName, loop: l.name, dimension: g)) else { return false }
    }
    guard attempt(.dot(tensor: pName)) else { return false }
    // The contraction's input precision as a kernel of its own (bf16x3 where the tensor cores pay).
    if let p = ts.dotPrecision { _ = attempt(.precision(tensor: pName, precision: p)) }
    k = trial
    steps += local
    return true
  }

  /// The points of a reduction over at most 16 constant points (a stencil's taps), or nil: each length in
  /// 1 ... 16 (so that their product cannot overflow), the product at most 16.
  static func stencilPoints(of d: Definition, in k: Kernel) -> Int? {
    guard let axes = d.reduction?.axes else { return nil }
    var points = 1
    for a in axes {
      guard let lo = k.constantValue(a.lowerBound), let hi = k.constantValue(a.upperBound) else { return nil }
      let (n, overflow) = hi.subtractingReportingOverflow(lo)
      guard !overflow, n >= 1, n <= 16 else { return nil }
      points *= n
      guard points <= 16 else { return nil }
    }
    return points
  }

  /// Rule 4's tiling of `name` as a contraction (a legal `dot` with tiles for the target), on a copy of `k`, or nil
  /// when `name` is no contraction.
  static func contractionTiling(
    _ name: String, _ capability: GPUCapability, _ sketch: GPUSketch, _ k: Kernel
  ) -> (kernel: Kernel, steps: [Transform])? {
    var alone = k
    var aloneSteps: [Transform] = []
    guard k.definitions.first(where: { $0.name == name })?.reduction?.op == .sum,
      DefaultSchedule.attempt(.dot(tensor: name), &alone, &aloneSteps),
      let dd = alone.definitions.first(where: { $0.name == name }),
      scheduleContraction(dd, capability, sketch, &alone, &aloneSteps)
    else { return nil }
    return (alone, aloneSteps)
  }

  static func fuse(
    _ dName: String, into cName: String, _ capability: GPUCapability, _ sketch: GPUSketch, block: Int, _ k: inout Kernel,
    _ steps: inout [Transform]
  ) -> Bool {
    guard let d = k.definitions.first(where: { $0.name == dName }), let c = k.definitions.first(where: { $0.name == cName }),
      let read = c.expressions.flatMap(\.loads).first(where: { $0.tensor == dName })
    else { return false }
    // d's axis -> c's variable at the same place, and back.
    var dToC: [String: String] = [:]
    for (a, i) in zip(d.axes, read.indices) {
      guard case .index(let v) = i else { return false }
      dToC[a.name] = v
    }
    let cToD = Dictionary(uniqueKeysWithValues: dToC.map { ($0.value, $0.key) })
    // The tiling to share, on a copy: a contraction's as a kernel of its own; for a reduction of at most 16
    // constant points per output (a stencil's taps, unrolled inside), the reader's own elementwise tiling; for
    // a longer one, the reduction's as a kernel.
    var alone = k
    var aloneSteps: [Transform] = []
    var isDot = false
    var owner = dName
    if let tiling = contractionTiling(dName, capability, sketch, k) {
      (alone, aloneSteps) = tiling
      isDot = true
    } else {
      if stencilPoints(of: d, in: k) != nil {
        owner = cName
        scheduleRoot(cName, &alone, &aloneSteps, block: block)
      } else {
        scheduleRoot(dName, &alone, &aloneSteps)
      }
    }
    guard let td = alone.definitions.first(where: { $0.name == owner }) else { return false }
    let ts = td.effectiveSchedule
    // The tiling's axis -> c's variable, and -> d's axis.
    let toC = owner == cName ? Dictionary(uniqueKeysWithValues: cToD.keys.map { ($0, $0) }) : dToC
    let toD = owner == cName ? cToD : Dictionary(uniqueKeysWithValues: dToC.keys.map { ($0, $0) })
    func isAxis(_ loop: String) -> Bool { toC[Kernel.rootVariable(of: loop, in: ts)] != nil }
    func renamed(_ loop: String) -> String? {
      let root = Kernel.rootVariable(of: loop, in: ts)
      guard let v = toC[root] else { return nil }
      return v + loop.dropFirst(root.count)
    }
    func dimension(_ l: ScheduledLoop) -> GPUDimension? {
      if case .gpu(let g) = l.kind { return g }
      return nil
    }
    func isGrid(_ g: GPUDimension) -> Bool {
      switch g {
      case .gridX, .gridY, .gridZ: return true
      case .blockX, .blockY, .blockZ, .warp, .threadX, .threadY, .threadZ: return false
      }
    }
    let grid = ts.loops.filter { dimension($0).map(isGrid) ?? false }
    let blocks = ts.loops.filter { dimension($0).map { !isGrid($0) } ?? false }
    // Only a tiling of output axes carries over: program ids over output axes, output splits of one level.
    guard !grid.isEmpty, grid.allSatisfy({ isAxis($0.name) }),
      ts.splits.filter({ toC[$0.variable] != nil }).allSatisfy({ $0.outer == $0.variable + ".o" && $0.inner == $0.variable + ".i" })
    else { return false }
    var trial = k
    var local: [Transform] = []
    func attempt(_ t: Transform) -> Bool { DefaultSchedule.attempt(t, &trial, &local) }
    for sp in ts.splits {
      guard let v = toC[sp.variable] else { continue }
      guard attempt(.split(tensor: cName, loop: v, factor: sp.factor)) else { return false }
    }
    guard let cNow = trial.definitions.first(where: { $0.name == cName }) else { return false }
    let gridC = grid.compactMap { renamed($0.name) }
    let blockAxes = blocks.filter { isAxis($0.name) }
    let blockC = blockAxes.compactMap { renamed($0.name) }
    let current = cNow.effectiveSchedule.loops.map(\.name)
    let order = gridC + current.filter { !gridC.contains($0) && !blockC.contains($0) } + blockC
    if order != current { guard attempt(.reorder(tensor: cName, loops: order)) else { return false } }
    for (l, name) in zip(grid, gridC) {
      guard let g = dimension(l), attempt(.bind(tensor: cName, loop: name, dimension: g)) else { return false }
    }
    for (l, name) in zip(blockAxes, blockC) {
      guard let g = dimension(l), attempt(.bind(tensor: cName, loop: name, dimension: g)) else { return false }
    }
    guard let at = gridC.last, attempt(.computeAt(tensor: dName, consumer: cName, loop: at)) else { return false }
    // The reduction inside, over the same blocks: its output axes whole (the region is one tile), its reduction
    // split and bound as it was.
    for l in blockAxes {
      guard let g = dimension(l), let v = toD[Kernel.rootVariable(of: l.name, in: ts)] else { continue }
      _ = attempt(.bind(tensor: dName, loop: v, dimension: g))
    }
    for sp in ts.splits where toC[sp.variable] == nil {
      guard attempt(.split(tensor: dName, loop: sp.variable, factor: sp.factor)) else { return false }
    }
    if let inside = trial.definitions.first(where: { $0.name == dName }) {
      let loops = inside.effectiveSchedule.loops.map(\.name)
      let axesFirst = loops.filter { !isReductionLoop($0, of: inside) } + ts.loops.map(\.name).filter { l in
        isReductionLoop(l, of: inside) && loops.contains(l)
      }
      if axesFirst != loops, axesFirst.count == loops.count { _ = attempt(.reorder(tensor: dName, loops: axesFirst)) }
    }
    for l in blocks where !isAxis(l.name) {
      guard let g = dimension(l) else { continue }
      _ = attempt(.bind(tensor: dName, loop: l.name, dimension: g))
    }
    if isDot {
      guard attempt(.dot(tensor: dName)) else { return false }
      if let p = ts.dotPrecision { _ = attempt(.precision(tensor: dName, precision: p)) }
    } else if let inside = trial.definitions.first(where: { $0.name == dName }) {
      // A short constant reduction left serial is unrolled (a stencil's taps).
      for l in inside.effectiveSchedule.loops where isReductionLoop(l.name, of: inside) {
        guard case .serial = l.kind, let e = try? trial.maxExtent(l.name, in: inside), e >= 2, e <= 16 else { continue }
        _ = attempt(.unroll(tensor: dName, loop: l.name, factor: e))
      }
    }
    if let launch = ts.launch { _ = attempt(.launch(tensor: cName, warps: launch.warps, stages: launch.stages)) }
    k = trial
    steps += local
    return true
  }
}
