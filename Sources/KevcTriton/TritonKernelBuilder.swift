import KevcBasic
import KevcIR
import KevcLowering

/// Builds the body of one `@triton.jit` kernel: the root definition it computes and every producer computed inside
/// it, following their schedules with block-level semantics.
///
/// Semantics (lowering/triton/README.md is the reference): loops bound to `grid.*` are program ids; loops bound to
/// `block.*` or vectorized are *lanes*: the program evaluates the whole loop at once as one dimension of every
/// value (`tl.arange`, padded to a power of two, masked past the loop's true bound, exactly the CPU lowering's
/// bounds for tails); all other loops are `for` loops, nested in schedule order. Lanes behave as if they were
/// innermost, so a producer computed at a loop covers what all lanes of one iteration read. Reductions reduce
/// their lane dimensions with `tl.sum`/`tl.reduce` and accumulate across serial loops in a register block.
struct KernelBuilder {
  let kernel: Kernel
  let dims: [String: Int]
  /// The root definition being emitted (the kernel's, then each one computed with it).
  var root: Definition
  var names = PythonNames()
  var lines: [String] = []
  var indent = 1
  var helpers: Set<String> = []
  /// Generated module-level functions (tuple reductions' combine functions), by name.
  var functions: [String: String] = [:]
  /// Scalars of a tuple combiner (`a.m`, `b.m`, or `m` in a yield) bound to Python values.
  var tupleLocals: [String: Code] = [:]
  /// Components of the tuple reduction being emitted that travel in int32 (`narrowedTupleComponents(_:_:)`).
  var narrowTuple: Set<String> = []
  /// Set while a scan's elementwise form is emitted (TritonScan.swift).
  var scanPlan: ScanPlan?
  var facts: IndexArithmetic
  /// The Triton type of index values in this kernel (`IndexWidth`'s decision): `tl.int32` or `tl.int64`.
  var indexType = "tl.int64"

  /// Python names of the pointers of every tensor (reserved up front), and of scalar parameters.
  var pointerNames: [String: String] = [:]
  var scalarNames: [String: String] = [:]
  var usedTensors: Set<String> = []
  var usedScalars: Set<String> = []
  /// Where each tensor lives for this kernel.
  var homes: [String: TensorHome]
  var bindings: [String: Binding] = [:]
  var masks: [MaskComponent] = []
  var constexprs: [(String, Int)] = []
  var grid = [1, 1, 1]
  /// Programs along each grid dimension of a kernel shared by definitions computed with each other (the most any
  /// of them needs); a definition with fewer masks the rest off.
  var sharedGrid = [1, 1, 1]
  /// Scratch buffers of producers computed inside this kernel: (pointer name, dtype, elements per program).
  var scratch: [(name: String, tensor: String, dtype: DType, elements: Int)] = []
  var pidLinear: String?
  /// Loads already emitted as variables at the current indentation (the same text reads the same values there).
  var loadCache: [String: String] = [:]
  var loadCacheIndent = -1
  /// Subexpressions that occur more than once in the statement being emitted (assigned to variables once).
  var repeated: Set<Expr> = []
  /// Where each root definition's serial loops were opened in `lines`, by definition and loop name: a definition
  /// computed with it at one of these loops (`compute_with(y, b, l)`) has its iteration body spliced in there.
  var loopMarks: [LoopKey: LoopMark] = [:]
  struct LoopKey: Hashable {
    let definition: String
    let loop: String
  }
  struct LoopMark {
    /// The `for` line, the first line of the body (after the loop variable's), the line after the body.
    var forLine: Int
    var bodyStart: Int
    var end: Int
    /// How often the loop was opened (an accumulation in place opens its nest twice).
    var opened: Int
  }
  /// The decisions made for this kernel, as lines of `--emit plan` (loops' roles and bounds, point values, guards,
  /// where each producer lives, contractions as `tl.dot`), in the emitted loop variables.
  var plan: [String] = []
  /// The placement decisions of this kernel (NestPlan at the block level), in the emitted variable names.
  var decisions: NestPlan

  enum TensorHome {
    /// Caller or workspace memory: element strides of each logical dimension.
    case memory(strides: [Int], shape: [Int])
    /// Per-program scratch holding a region: starts (in the consumer's loop variables), region strides.
    case scratch(pointer: String, base: String, starts: [Expr], strides: [Int], shape: [Int])
    /// A register value holding the single element of a region.
    case register(value: String, shape: [Int])
    /// A register block holding a producer's region that lines up with the consumer's blocks: dimension k of
    /// `value` is producer axis k, and the consumer reads axis k at `start + lanes[k]` (its lane, element i of
    /// the block is element i of the region).
    case tile(value: String, lanes: [String?], shape: [Int])
  }

  enum Binding {
    case scalar(String)
    case lane(Lane)
  }

  struct Lane {
    var variable: String
    var ok: String?
    var block: Int
    var constexpr: String
    /// The lane's first value (`variable = lower + tl.arange(0, block)`), in scalar variables.
    var lower: Expr = .constant(.int(0))
  }

  enum MaskComponent {
    case lane(String)
    case condition(Expr)
  }

  /// Lane dimensions of the values being computed: lane variable -> dimension.
  struct Frame {
    var dims: [String: Int]
    var rank: Int
    static let scalar = Frame(dims: [:], rank: 0)
  }

  struct Code {
    var text: String
    var lanes: Set<String>
    var type: DType
    var isConstant: Bool
  }

  enum Sink {
    case memory(pointer: String, offset: (inout KernelBuilder, [Expr], Frame) throws(DiagnosticError) -> Code)
    case register(String)
    /// A register block in producer-axis order (see `TensorHome.tile`).
    case tile(String)
  }

  init(kernel: Kernel, root: Definition, homes: [String: TensorHome]) {
    self.kernel = kernel
    self.dims = kernel.dimBindings
    self.root = root
    self.homes = homes
    self.facts = IndexArithmetic(dims: kernel.dimBindings)
    self.decisions = NestPlan(level: .blocks, kernelName: kernel.name, dims: kernel.dimBindings)
    for helper in TritonHelpers.names { _ = names.fresh(helper) }
    for p in kernel.params {
      if p.isScalar { scalarNames[p.name] = names.fresh(p.name) } else { pointerNames[p.name] = names.fresh(p.name + "_ptr") }
    }
    for r in kernel.results where pointerNames[r.name] == nil { pointerNames[r.name] = names.fresh(r.name + "_ptr") }
    for d in kernel.definitions where pointerNames[d.name] == nil { pointerNames[d.name] = names.fresh("ws_" + d.name) }
  }

  // MARK: - Output

  mutating func line(_ s: String) { lines.append(String(repeating: "    ", count: indent) + s) }

  func fail(_ message: String, at d: Definition? = nil, _ name: String = "unsupported-schedule") -> DiagnosticError {
    DiagnosticError(.error(DiagnosticID("triton", name), message, at: (d ?? root).location))
  }

  mutating func fresh(_ base: String) -> String { names.fresh(base) }

  /// A program id or `tl.arange` (int32 in Triton) as an index value of this kernel's index type.
  func indexValue(_ v: String) -> String { indexType == "tl.int32" ? v : "\(v).to(\(indexType))" }

  // MARK: - Definitions

  /// Emits `d` (the root definition, or a producer computed inside the current nest over `region`).
  mutating func emitDefinition(
    _ d: Definition, region: [RegionDimension]?, registerMode: Bool, sink: Sink, fixedAxes: Set<String> = []
  ) throws(DiagnosticError) {
    // Axes held at their region's start (a scalar, no loop): every axis in register mode, else `fixedAxes`
    // (the one-element axes of a register block).
    func isFixed(_ root: String) -> Bool {
      (registerMode && d.axes.contains { $0.name == root }) || fixedAxes.contains(root)
    }
    if d.reduction?.scanAxis != nil {
      let (plain, plan) = try scanAsElementwise(d, region: region)
      scanPlan = plan
      try emitDefinition(plain, region: region, registerMode: registerMode, sink: sink, fixedAxes: fixedAxes)
      return
    }
    let scan = scanPlan
    scanPlan = nil
    let s = d.effectiveSchedule
    let leaves = s.loops
    let shape = d.axes.compactMap { $0.extent.evaluate(dims) }
    guard shape.count == d.axes.count else { throw fail("the kernel's dims must be bound", at: d, "unbound-dims") }
    let isProducer = region != nil

    // Unique variable names for the loops.
    var uname: [String: String] = [:]
    for leaf in leaves { uname[leaf.name] = fresh(leaf.name) }
    func v(_ leaf: String) -> Expr { .index(uname[leaf] ?? leaf) }

    // Roots held at their region's start: a scalar each, named before the bounds are computed.
    let axisRoots = Set(d.axes.map(\.name))
    let roots = d.axes.map(\.name) + (d.reduction?.axes.map(\.name) ?? [])
    var fixedValues: [String: Expr] = [:]
    var fixedRoots: [String: Expr] = [:]
    for (k, axis) in d.axes.enumerated() where isFixed(axis.name) {
      guard let r = region?[k] else { continue }
      let name = fresh(d.name + "_" + axis.name)
      fixedRoots[name] = r.start
      fixedValues[axis.name] = .index(name)
    }
    func splitOf(_ name: String) -> Split? { s.splits.first { $0.variable == name } }

    // Classify the leaves.
    enum Role {
      case grid(Int), lane, serial(unrolled: Bool), fixed
      var isLane: Bool {
        switch self {
        case .lane: return true
        case .grid, .serial, .fixed: return false
        }
      }
    }
    var role: [String: Role] = [:]
    var seenOther = false
    for leaf in leaves {
      let rootName = Kernel.rootVariable(of: leaf.name, in: s)
      if isFixed(rootName) {
        role[leaf.name] = .fixed
        continue
      }
      switch leaf.kind {
      case .gpu(let g):
        switch g {
        case .gridX, .gridY, .gridZ:
          if isProducer {
            throw fail(
              "'\(d.name)' is computed inside '\(root.name)' but binds loop '\(leaf.name)' to \(g.rawValue); only the kernel's root definition has a grid",
              at: d)
          }
          if seenOther {
            throw fail("loop '\(leaf.name)' of '\(d.name)' is bound to \(g.rawValue) but is not outermost; grid loops must enclose every other loop", at: d)
          }
          role[leaf.name] = .grid(g == .gridX ? 0 : g == .gridY ? 1 : 2)
          continue
        case .blockX, .blockY, .blockZ:
          role[leaf.name] = .lane
        case .warp, .threadX, .threadY, .threadZ:
          throw fail("loop '\(leaf.name)' of '\(d.name)' is bound to \(g.rawValue); the Triton target programs blocks, not warps or threads (bind it to block.x/y/z)", at: d)
        }
      case .vectorized: role[leaf.name] = .lane
      case .serial, .parallel: role[leaf.name] = .serial(unrolled: false)
      case .unrolled: role[leaf.name] = .serial(unrolled: true)
      }
      seenOther = true
    }

    // Bounds of each leaf, point values and the roots that need a guard: the shared analysis
    // (KevcLowering/ScheduledBounds.swift); a lane is a vector, so no bound may depend on it.
    let laneLeafNames = Set(leaves.filter { role[$0.name]?.isLane == true }.map(\.name))
    let scheduled = ScheduledBounds(
      d, kernel: kernel, shape: shape, region: region, names: uname, fixed: fixedValues, vectorLeaves: laneLeafNames,
      simplify: { facts.simplify($0) }, simplifyBound: { facts.simplify($0) }, constant: { facts.constant($0) },
      startRange: { facts.range($0).map { Int64($0.lowerBound)...Int64($0.upperBound) } })
    func extentOf(_ name: String) -> Int? { scheduled.extent(of: name) }
    let lower = scheduled.lower
    let upper = scheduled.upper
    let axisValue = scheduled.value
    var bounds = scheduled.bounds
    let guarded = scheduled.guarded
    // Values of unguarded split roots with constant bounds stay inside them on unmasked lanes.
    for root in roots where splitOf(root) != nil && !guarded.contains(root) {
      guard let value = axisValue[root], let lo = lower[root].flatMap(facts.constant),
        let hi = upper[root].flatMap(facts.constant), hi > lo
      else { continue }
      facts.known[value] = span(lo, hi &- 1).map(IndexArithmetic.Interval.init)
    }
    notePlan(d, leaves: leaves, names: uname, scheduled: scheduled, roles: leaves.map { leaf -> String in
      switch role[leaf.name] {
      case .grid(let g)?: return "program id \(g)"
      case .lane?: return "a block of \(nextPowerOfTwo(extentOf(leaf.name) ?? 0)) lanes"
      case .serial(let unrolled)?: return unrolled ? "an unrolled loop" : "a loop"
      case .fixed?, nil: return "held at the region's start"
      }
    })

    func isReductionLeaf(_ leaf: String) -> Bool {
      let r = Kernel.rootVariable(of: leaf, in: s)
      return d.reduction?.axes.contains { $0.name == r } ?? false
    }

    // Lanes: block sizes (static extents) and frame dimensions in schedule order.
    var laneLeaves: [String] = []
    var laneBlocks: [String: Int] = [:]
    for leaf in leaves {
      guard case .lane? = role[leaf.name] else { continue }
      guard let e = extentOf(leaf.name) else {
        throw fail("loop '\(leaf.name)' of '\(d.name)' has data-dependent bounds and cannot be a block (keep it serial)", at: d)
      }
      guard e <= 1 << 20 else {
        throw fail("loop '\(leaf.name)' of '\(d.name)' is a block of \(e) elements; split it first (at most 1048576)", at: d)
      }
      laneLeaves.append(leaf.name)
      laneBlocks[leaf.name] = nextPowerOfTwo(e)
    }
    let laneCount = laneLeaves.count
    // A frame's lanes make one Triton tensor, and Triton's tensors hold at most 2^20 elements (block sizes rounded
    // up to powers of two). A dot plan's tiles are its operands, not the whole frame: Triton checks those itself.
    func frameFitsOneTensor() throws(DiagnosticError) {
      let elements = laneLeaves.reduce(1.0) { $0 * Double(laneBlocks[$1] ?? 1) }
      guard elements > Double(1 << 20) else { return }
      let sizes = laneLeaves.map { "\($0): \(laneBlocks[$0] ?? 1)" }.joined(separator: ", ")
      throw fail(
        "the block of '\(d.name)' has \(Int(elements)) elements (\(sizes)); a Triton tensor holds at most 1048576: bind fewer loops to block dimensions, or split them",
        at: d)
    }
    var frame = Frame(dims: [:], rank: laneCount)
    for (i, l) in laneLeaves.enumerated() { frame.dims[uname[l] ?? l] = i }

    // Grid.
    let savedMasks = masks.count
    let savedIndent = indent
    defer {
      masks.removeSubrange(savedMasks...)
      indent = savedIndent
    }
    // Program order (`group_programs`, `persistent`): one launch axis, its program id decomposed into the grid's.
    var programIDs = (0..<3).map { indexValue("tl.program_id(\($0))") }
    var launchedGrid: [Int]?
    if !isProducer, s.programGroup != nil || s.persistentPrograms != nil {
      var extents = [1, 1, 1]
      for leaf in leaves {
        if case .grid(let g)? = role[leaf.name] { extents[g] = Swift.max(1, extentOf(leaf.name) ?? 1) }
      }
      let total = extents.reduce(1) { $0 &* $1 }
      let pid = fresh("pid")
      if let p = s.persistentPrograms {
        // A constant trip count (the pipeliner's favourite, and what Triton's interpreter runs); the last round's
        // tiles past the grid are masked off.
        let programs = Swift.min(p, total)
        let rounds = (total + programs - 1) / programs
        let round = fresh("round")
        line("for \(round)_ in tl.range(0, \(rounds)):")
        indent += 1
        line("\(pid) = \(indexValue("tl.program_id(0)")) + \(programs) * tl.cast(\(round)_, \(indexType))")
        bindings[pid] = .scalar(pid)
        facts.bound(pid, 0...(rounds &* programs &- 1))
        if total % programs != 0 { masks.append(.condition(.binary(.lt, .index(pid), .constant(.int(Int64(total)))))) }
        launchedGrid = [programs, 1, 1]
      } else {
        line("\(pid) = \(indexValue("tl.program_id(0)"))")
        launchedGrid = [total, 1, 1]
      }
      let plane = extents[0] &* extents[1]
      let inPlane = fresh("pid_xy")
      line("\(inPlane) = \(pid) % \(plane)")
      programIDs[2] = "(\(pid) // \(plane))"
      if let g = s.programGroup {
        // Triton's grouped ordering: G rows (grid.y) per group, the group's tiles column by column.
        let inGroup = g &* extents[0]
        let first = fresh("first_y")
        let rows = fresh("group_rows")
        line("\(first) = (\(inPlane) // \(inGroup)) * \(g)")
        line("\(rows) = tl.minimum(\(extents[1]) - \(first), \(g))")
        programIDs[1] = "(\(first) + (\(inPlane) % \(inGroup)) % \(rows))"
        programIDs[0] = "((\(inPlane) % \(inGroup)) // \(rows))"
      } else {
        programIDs[1] = "(\(inPlane) // \(extents[0]))"
        programIDs[0] = "(\(inPlane) % \(extents[0]))"
      }
    }
    for leaf in leaves {
      guard case .grid(let g)? = role[leaf.name] else { continue }
      let e = extentOf(leaf.name) ?? 0
      if g > 0 && e > 65535 && launchedGrid == nil {
        throw fail("loop '\(leaf.name)' of '\(d.name)' has \(e) iterations, more than grid.y/grid.z allow (65535); bind it to grid.x", at: d)
      }
      // A kernel shared with definitions computed with this one (`compute_with`) launches the most programs any of
      // them needs along each dimension; the others are masked off.
      let launched = Swift.max(e, sharedGrid[g])
      grid[g] = launched
      let name = uname[leaf.name] ?? leaf.name
      let (lo, hi) = bounds[leaf.name] ?? (.constant(.int(0)), .constant(.int(Int64(e))))
      let loCode = try expr(lo, .scalar)
      line("\(name) = \(loCode.isConstant && loCode.text == "0" ? "" : "\(materialize(loCode)) + ")\(programIDs[g])")
      bindings[name] = .scalar(name)
      if let l = facts.range(lo) { facts.bound(name, span(l.lowerBound, l.upperBound &+ max(0, launched &- 1))) }
      if facts.constant(hi) != e || facts.constant(lo) != 0 || launched > e {
        masks.append(.condition(.binary(.lt, .index(name), hi)))
      }
    }
    if let launchedGrid { grid = launchedGrid }
    for (name, start) in fixedRoots.sorted(by: { $0.key < $1.key }) {
      let c = try expr(start, .scalar)
      line("\(name) = \(materialize(c))")
      bindings[name] = .scalar(name)
      if let r = facts.range(start) { facts.bound(name, r) }
    }

    // Producers computed at this definition's loops, by the emitted loop they attach to (nil: the top).
    var emittedPosition: [String: Int] = [:]
    for (i, leaf) in leaves.enumerated() {
      switch role[leaf.name] {
      case .grid?, .serial?: emittedPosition[leaf.name] = i
      case .lane?, .fixed?, nil: break
      }
    }
    // Each is opened at the last loop at or outside its loop that runs one value at a time (NestPlan.anchor).
    var attached: [String?: [Definition]] = [:]
    for p in NestPlan.producers(of: d.name, in: kernel) {
      guard case .computeAt(_, let at) = p.effectiveSchedule.placement else { continue }
      guard let anchor = NestPlan.anchor(of: at, in: leaves, opens: { emittedPosition[$0.name] != nil }) else {
        throw fail("'\(p.name)' is computed at loop '\(at)' of '\(d.name)', which has no such loop", at: p)
      }
      attached[anchor, default: []].append(p)
    }
    // The body and bounds in unique names (for regions and emission).
    let body = d.body.substituting(axisValue)
    // A tuple reduction's other elements and yield read the axes too (split axes by their parts' values).
    let combiner: Combiner? = d.reduction?.combiner.map { c in
      var c = c
      c.otherElements = c.otherElements.map { $0.substituting(axisValue) }
      c.yield = c.yield.substituting(axisValue)
      return c
    }
    let readExpressions = [body] + (combiner?.otherElements ?? []) + (d.reduction?.axes.flatMap { [lower[$0.name] ?? .constant(.int(0)), upper[$0.name] ?? .constant(.int(0))] } ?? [])

    // Lanes become defined as soon as the variables their bounds read are.
    var pendingLanes = laneLeaves
    var laneConstexprs: [String: String] = [:]
    var laneValues: [String: Lane] = [:]
    func defineReadyLanes(_ b: inout KernelBuilder) throws(DiagnosticError) {
      var remaining: [String] = []
      for leaf in pendingLanes {
        let (lo, hi) = bounds[leaf] ?? (.constant(.int(0)), .constant(.int(0)))
        let deps = lo.indexNames.union(hi.indexNames)
        guard deps.allSatisfy({ b.bindings[$0] != nil }) else {
          remaining.append(leaf)
          continue
        }
        let name = uname[leaf] ?? leaf
        let block = laneBlocks[leaf] ?? 1
        // A lane may be defined again in a second nest (in-place accumulation); its block size is one constexpr.
        let constexpr: String
        if let c = laneConstexprs[leaf] {
          constexpr = c
        } else {
          constexpr = b.fresh("BLOCK_" + name)
          b.constexprs.append((constexpr, block))
          laneConstexprs[leaf] = constexpr
        }
        let loCode = try b.expr(lo, .scalar)
        let base = b.indexValue("tl.arange(0, \(constexpr))")
        b.line("\(name) = \(loCode.isConstant && loCode.text == "0" ? base : "\(b.materialize(loCode)) + \(base)")")
        var ok: String?
        let loConst = b.facts.constant(lo)
        let hiConst = b.facts.constant(hi)
        // No mask where the lane's bounds are exactly one block apart: constants, or affine forms whose difference
        // is the block (a producer's region of the consumer's block: `64 i_o .. 64 i_o + 64`).
        let extent = loConst.flatMap { l in hiConst.map { $0 &- l } }
          ?? b.facts.affine(.binary(.sub, hi, lo)).flatMap { $0.terms.isEmpty ? $0.constant : nil }
        if extent != block {
          let okName = b.fresh(name + "_ok")
          let hiCode = try b.expr(hi, .scalar)
          b.line("\(okName) = \(name) < \(hiCode.text)")
          ok = okName
        }
        let lane = Lane(variable: name, ok: ok, block: block, constexpr: constexpr, lower: lo)
        laneValues[leaf] = lane
        b.bindings[name] = .lane(lane)
        if let l = b.facts.range(lo), let h = b.facts.range(hi), h.upperBound - 1 >= l.lowerBound {
          b.facts.bound(name, span(l.lowerBound, min(h.upperBound &- 1, l.upperBound &+ block &- 1)))
        }
        if ok != nil { b.masks.append(.lane(name)) }
      }
      pendingLanes = remaining
    }
    func emitProducers(_ b: inout KernelBuilder, at anchor: String?) throws(DiagnosticError) {
      guard let list = attached[anchor], !list.isEmpty else { return }
      // Ranges of the loops that are not yet scalars where the producers are emitted: lanes and inner loops.
      var ranging: [String: ClosedRange<Int>] = [:]
      for leaf in leaves {
        let name = uname[leaf.name] ?? leaf.name
        guard let (lo, hi) = bounds[leaf.name] else { continue }
        switch role[leaf.name] {
        case .lane?:
          if let l = b.facts.constant(lo), let e = extentOf(leaf.name) { ranging[name] = span(l, l &+ max(0, e &- 1)) }
        case .serial?:
          if let l = b.facts.range(lo), let h = b.facts.range(hi) {
            ranging[name] = span(l.lowerBound, max(l.lowerBound, h.upperBound &- 1))
          }
        case .grid?, .fixed?, nil:
          break
        }
      }
      for p in list {
        try b.emitProducer(
          p, in: d, anchor: anchor.map { uname[$0] ?? $0 }, readExpressions: readExpressions,
          opened: Set(b.bindings.keys), ranging: ranging)
      }
    }

    // Serial loops: open one (the caller closes it by restoring the indent and masks).
    func openLoop(_ b: inout KernelBuilder, _ leaf: ScheduledLoop, unrolled: Bool) throws(DiagnosticError) {
      let name = uname[leaf.name] ?? leaf.name
      var (lo, hi) = bounds[leaf.name] ?? (.constant(.int(0)), .constant(.int(0)))
      // Bounds that fold to a constant under the dims (a phase's `(K + 1) / 2`) are literals: a loop over constants.
      if let v = b.facts.constant(lo) { lo = .constant(.int(Int64(v))) }
      if let v = b.facts.constant(hi) { hi = .constant(.int(Int64(v))) }
      let boundLanes = lo.indexNames.union(hi.indexNames).filter { if case .lane? = b.bindings[$0] { return true } else { return false } }
      let laneDependent = !boundLanes.isEmpty
      let loCode = laneDependent ? Code(text: "", lanes: [], type: .i64, isConstant: false) : try b.expr(lo, .scalar)
      let hiCode = laneDependent ? Code(text: "", lanes: [], type: .i64, isConstant: false) : try b.expr(hi, .scalar)
      var loText = loCode.text
      var hiText = hiCode.text
      if laneDependent {
        // Bounds that differ across lanes: run the union of the ranges and mask each lane to its own.
        let f = Frame(dims: b.laneDims(Set(boundLanes)), rank: 0)
        let loFrame = try b.expr(lo, b.frameFor(f.dims))
        let hiFrame = try b.expr(hi, b.frameFor(f.dims))
        let valid = b.maskText(b.frameFor(f.dims), within: loFrame.lanes.union(hiFrame.lanes))
        let loName = b.fresh(name + "_lo")
        let hiName = b.fresh(name + "_hi")
        if loFrame.lanes.isEmpty {
          loText = b.materialize(loFrame)
        } else {
          b.line("\(loName) = tl.min(\(valid.map { "tl.where(\($0), (\(loFrame.text)).to(tl.int64), 9223372036854775807)" } ?? loFrame.text))")
          loText = loName
        }
        if hiFrame.lanes.isEmpty {
          hiText = b.materialize(hiFrame)
        } else {
          b.line("\(hiName) = tl.max(\(valid.map { "tl.where(\($0), (\(hiFrame.text)).to(tl.int64), -9223372036854775807)" } ?? hiFrame.text))")
          hiText = hiName
        }
      }
      b.loadCacheIndent = -1
      if unrolled, loCode.isConstant, hiCode.isConstant, !laneDependent {
        b.line("for \(name) in tl.static_range(\(loText), \(hiText)):")
        b.indent += 1
      } else {
        let iv = b.fresh(name + "_")
        b.line("for \(iv) in tl.range(\(loText), \(hiText)):")
        b.indent += 1
        b.line("\(name) = tl.cast(\(iv), \(b.indexType))")
      }
      b.bindings[name] = .scalar(name)
      if let l = b.facts.range(lo), let h = b.facts.range(hi), h.upperBound - 1 >= l.lowerBound {
        b.facts.bound(name, span(l.lowerBound, h.upperBound &- 1))
      }
      if laneDependent {
        b.masks.append(.condition(.binary(.and, .binary(.ge, .index(name), lo), .binary(.lt, .index(name), hi))))
      }
    }

    let serialLeaves = leaves.filter { if case .serial? = role[$0.name] { return true } else { return false } }
    func unrolled(_ leaf: ScheduledLoop) -> Bool {
      if case .serial(let u)? = role[leaf.name] { return u }
      return false
    }
    // Walks a list of serial loops, defining lanes and emitting producers at each level.
    func walk(
      _ b: inout KernelBuilder, _ list: ArraySlice<ScheduledLoop>, producers: Bool = true,
      _ innermost: (inout KernelBuilder) throws(DiagnosticError) -> Void
    ) throws(DiagnosticError) {
      guard let first = list.first else {
        try defineReadyLanes(&b)
        try innermost(&b)
        return
      }
      let savedIndent = b.indent
      let savedMasks = b.masks.count
      // Names bound inside the loop (its variable, lanes, producers' values) go out of scope with it.
      let savedBindings = b.bindings
      let savedHomes = b.homes
      let forLine = b.lines.count
      try openLoop(&b, first, unrolled: unrolled(first))
      let bodyStart = b.lines.count
      try defineReadyLanes(&b)
      if producers { try emitProducers(&b, at: first.name) }
      try walk(&b, list.dropFirst(), producers: producers, innermost)
      if !isProducer {
        let key = LoopKey(definition: d.name, loop: first.name)
        let opened = (b.loopMarks[key]?.opened ?? 0) + 1
        b.loopMarks[key] = LoopMark(forLine: forLine, bodyStart: bodyStart, end: b.lines.count, opened: opened)
      }
      b.indent = savedIndent
      b.loadCacheIndent = -1
      b.bindings = savedBindings
      b.homes = savedHomes
      b.masks.removeSubrange(savedMasks...)
    }

    // Top level: lanes that depend on nothing, producers attached above every loop or at grid loops.
    try defineReadyLanes(&self)
    try emitProducers(&self, at: nil)
    for leaf in leaves { if case .grid? = role[leaf.name] { try emitProducers(&self, at: leaf.name) } }

    let point = d.axes.map { axisValue[$0.name] ?? v($0.name) }
    let axisGuards = scheduled.guardConditions(guarded.filter { axisRoots.contains($0) })
    let reductionGuards = scheduled.guardConditions(guarded.filter { !axisRoots.contains($0) })

    guard let r = d.reduction else {
      try frameFitsOneTensor()
      // A scan split into a serial loop of blocks carries its prefix across that loop, which must be the last.
      var carried = serialLeaves.count
      if let blocks = scan?.blocks {
        guard serialLeaves.last?.name == blocks else {
          throw fail("the loop of blocks '\(blocks)' of the scan '\(d.name)' must be its innermost serial loop", at: d, "unsupported-scan")
        }
        carried -= 1
      }
      try walk(&self, serialLeaves[..<carried]) { (b: inout KernelBuilder) throws(DiagnosticError) in
        let lane = uname[scan?.axis ?? ""] ?? ""
        let sizes = Dictionary(laneLeaves.map { (uname[$0] ?? $0, laneBlocks[$0] ?? 1) }) { a, _ in a }
        let carry = scan.map { $0.blocks == nil ? [] : b.initialiseCarry($0, frame: frame, axisLane: lane, blocks: sizes) } ?? []
        try walk(&b, serialLeaves[carried...]) { (b: inout KernelBuilder) throws(DiagnosticError) in
          for g in axisGuards { b.masks.append(.condition(g)) }
          b.noteRepeats(body)
          let value: Code
          if let scan {
            let root = d.axes.first { a in a.name == scan.axis || s.splits.contains { $0.variable == a.name && $0.inner == scan.axis } }
            value = try b.scanned(
              scan, definition: d, body: body, axisLane: lane, block: laneBlocks[scan.axis] ?? 0, frame: frame,
              position: root.flatMap { axisValue[$0.name] } ?? .constant(.int(0)), carry: carry)
          } else {
            value = try b.expr(body, frame)
          }
          try b.store(d, value, point: point, frame: frame, sink: sink)
        }
      }
      return
    }

    // Local accumulator or in place, over the loops that run one value at a time (NestPlan.accumulation).
    let accumulation = NestPlan.accumulation(d, serialLoops: serialLeaves) ?? .inPlace
    decisions.accumulation[d.name] = accumulation
    decisions.serialLoops[d.name] = serialLeaves.map { uname[$0.name] ?? $0.name }
    let firstSerialReduction: Int
    let inPlace: Bool
    switch accumulation {
    case .local(let first):
      firstSerialReduction = first
      inPlace = false
    case .inPlace:
      firstSerialReduction = serialLeaves.count
      inPlace = true
    }
    let reductionLanes = laneLeaves.filter(isReductionLeaf).map { uname[$0] ?? $0 }
    let axisLanes = laneLeaves.filter { !isReductionLeaf($0) }.map { uname[$0] ?? $0 }

    if !inPlace {
      if let plan = dotPlan(d, body: body, axisLanes: axisLanes, reductionLanes: reductionLanes, guarded: !guarded.isEmpty,
        serialReductionBounds: serialLeaves[firstSerialReduction...].map { bounds[$0.name] ?? (.constant(.int(0)), .constant(.int(0))) },
        home: home(of: sink, registerMode: registerMode, isProducer: isProducer),
        blocks: Dictionary(uniqueKeysWithValues: laneLeaves.map { (uname[$0] ?? $0, laneBlocks[$0] ?? 1) }))
      {
        decisions.dots[d.name] = plan.decision
        try walk(&self, serialLeaves[..<firstSerialReduction]) { (b: inout KernelBuilder) throws(DiagnosticError) in
          let acc = b.fresh("acc")
          let bm = b.pendingBlock(plan.m)?.0 ?? "1"
          let bn = b.pendingBlock(plan.n)?.0 ?? "1"
          b.line("\(acc) = tl.zeros([\(bm), \(bn)], dtype=\(plan.accumulatorType))")
          try walk(&b, serialLeaves[firstSerialReduction...]) { (b: inout KernelBuilder) throws(DiagnosticError) in
            try b.emitDotStep(plan, accumulator: acc)
          }
          let value = Code(text: acc, lanes: [plan.m, plan.n], type: plan.resultType, isConstant: false)
          try b.store(d, value, point: point, frame: plan.outputFrame, sink: sink)
        }
        return
      }
      try frameFitsOneTensor()
      if r.op == .tuple {
        guard let c = combiner else { throw fail("internal error: the tuple reduction '\(d.name)' has no combiner", at: d, "internal") }
        // The elements in the loops' names (component 0's is the body; `combiner` has the others and the yield
        // substituted already).
        let elements = [body] + c.otherElements
        let domain = (d.reduction?.axes ?? []).flatMap { [lower[$0.name], upper[$0.name]].compactMap { $0 } } + reductionGuards
        let fold = blockFold(
          c, elements: elements, domain: domain, frame: frame, reductionLanes: reductionLanes, axisLanes: axisLanes)
        // The generated combine function (a block fold joins the running state in its own form).
        let function = fold == nil ? try combineFunction(d, c) : ""
        narrowTuple = fold == nil ? narrowedTupleComponents(d, c) : []
        defer { narrowTuple = [] }
        // The serial loop of blocks in passes: (bounds, elements). A block fold whose maximum's element is decided
        // by the loop of blocks alone runs the blocks where it is `x` without the select, then the others, and
        // stops after the last block that is not all -inf.
        var passes: [(outer: String, bounds: (Expr, Expr), elements: [Expr])] = []
        if let fold {
          line("# \(d.name): block fold of a max-rescaled tuple reduction (TritonBlockFold.swift)")
          let k = fold.form.maxComponent
          if firstSerialReduction < serialLeaves.count, serialLeaves.count - firstSerialReduction == 1 {
            let outer = serialLeaves[firstSerialReduction].name
            var laneRanges: [String: ClosedRange<Int>] = [:]
            for leaf in laneLeaves {
              guard let (lo, _) = bounds[leaf], let l = facts.constant(lo), let e = extentOf(leaf), e > 0 else { continue }
              laneRanges[uname[leaf] ?? leaf] = l...(l + e - 1)
            }
            if let (lo, hi) = bounds[outer],
              let decided = decidedBlocks(c, fold, element: elements[k], outer: uname[outer] ?? outer, lanes: laneRanges)
            {
              let end = facts.simplify(.binary(.min, hi, decided.end))
              let middle = facts.simplify(.binary(.max, lo, .binary(.min, end, decided.fullEnd)))
              var inside = elements
              inside[k] = decided.inside
              passes = [(outer, (lo, middle), inside), (outer, (middle, end), elements)]
              line("# \(d.name): blocks of '\(outer)' before \(IRPrinter.print(decided.fullEnd)) need no select, those from \(IRPrinter.print(decided.end)) hold only -inf: skipped")
            }
          }
        }
        try walk(&self, serialLeaves[..<firstSerialReduction]) { (b: inout KernelBuilder) throws(DiagnosticError) in
          for g in axisGuards { b.masks.append(.condition(g)) }
          let hasSerialReduction = firstSerialReduction < serialLeaves.count
          var state: [String] = []
          if hasSerialReduction {
            state = fold.map { b.initialiseBlockFold(c, $0) } ?? b.initialiseTuple(c, frame: frame, axisLanes: axisLanes, prefix: d.name)
          }
          let pending = pendingLanes
          for pass in passes.isEmpty ? [nil] : passes.map({ Optional($0) }) {
            if let pass {
              bounds[pass.outer] = pass.bounds
              pendingLanes = pending
            }
            let passElements = pass?.elements ?? elements
            try walk(&b, serialLeaves[firstSerialReduction...]) { (b: inout KernelBuilder) throws(DiagnosticError) in
              for g in reductionGuards { b.masks.append(.condition(g)) }
              let block: [String]
              if let fold {
                let next = try b.blockFoldContribution(
                  c, fold, elements: passElements, frame: frame, reductionLanes: reductionLanes,
                  running: hasSerialReduction ? state : nil)
                if hasSerialReduction {
                  b.line("\(state.joined(separator: ", ")) = \(next.joined(separator: ", "))")
                } else {
                  state = next
                }
                return
              } else {
                block = try b.tupleContribution(
                  c, function: function, elements: elements, frame: frame, reductionLanes: reductionLanes, axisLanes: axisLanes)
              }
              if hasSerialReduction {
                b.line("\(state.joined(separator: ", ")) = \(function)(\((state + block).joined(separator: ", ")))")
              } else {
                state = block
              }
            }
          }
          if let fold {
            // Each component's state (its own lanes) lifted into the state frame for the yield.
            let lifted = state.indices.map { b.lift(state[$0], from: fold.componentFrame($0), to: fold.stateFrame) }
            let value = try b.yieldTuple(c, state: lifted, frame: fold.stateFrame, lanes: fold.stateLanes)
            try b.store(d, value, point: point, frame: fold.stateFrame, sink: sink)
          } else {
            let value = try b.yieldTuple(c, state: state, frame: frame, lanes: c.components.map { _ in Set(axisLanes) })
            try b.store(d, value, point: point, frame: frame, sink: sink)
          }
        }
        return
      }
      try walk(&self, serialLeaves[..<firstSerialReduction]) { (b: inout KernelBuilder) throws(DiagnosticError) in
        for g in axisGuards { b.masks.append(.condition(g)) }
        let hasSerialReduction = firstSerialReduction < serialLeaves.count
        var acc = Accumulator(op: r.op, type: r.accumulator, frame: frame, axisLanes: axisLanes)
        if hasSerialReduction { try b.initialise(&acc, prefix: d.name) }
        var result: ReducedValue?
        try walk(&b, serialLeaves[firstSerialReduction...]) { (b: inout KernelBuilder) throws(DiagnosticError) in
          for g in reductionGuards { b.masks.append(.condition(g)) }
          let reduced = try b.contribution(
            r.op, type: r.accumulator, body: body, frame: frame, reductionLanes: reductionLanes,
            axisLanes: axisLanes)
          if hasSerialReduction { b.combine(&acc, reduced) } else { result = reduced }
        }
        let final = hasSerialReduction ? b.finish(acc) : (result ?? acc.asValue).value
        try b.store(d, final, point: point, frame: frame, sink: sink)
      }
      return
    }

    // A serial reduction loop encloses an axis loop: accumulate in the definition's own storage.
    try frameFitsOneTensor()
    guard r.op != .tuple, case .memory(let pointer, let offset) = sink else {
      throw fail("'\(d.name)' cannot accumulate in place: its reduction loops enclose axis loops", at: d)
    }
    let identity = TritonType.identity(r.op, r.accumulator)
    let axisSerial = serialLeaves.filter { !isReductionLeaf($0.name) }
    try walk(&self, axisSerial[...], producers: false) { (b: inout KernelBuilder) throws(DiagnosticError) in
      for g in axisGuards { b.masks.append(.condition(g)) }
      let value = Code(text: TritonType.literal(identity), lanes: [], type: r.accumulator, isConstant: true)
      try b.store(d, value, point: point, frame: frame, sink: sink)
    }
    line("tl.debug_barrier()")
    // The update nest defines its lanes again (the initialisation nest's are out of scope).
    pendingLanes = laneLeaves.filter { leaf in
      let (lo, hi) = bounds[leaf] ?? (.constant(.int(0)), .constant(.int(0)))
      return !lo.indexNames.union(hi.indexNames).isEmpty
    }
    try walk(&self, serialLeaves[...]) { (b: inout KernelBuilder) throws(DiagnosticError) in
      for g in axisGuards + reductionGuards { b.masks.append(.condition(g)) }
      let reduced = try b.contribution(
        r.op, type: r.accumulator, body: body, frame: frame, reductionLanes: reductionLanes,
        axisLanes: axisLanes)
      let off = try offset(&b, point, frame)
      let m = b.maskText(frame, within: off.lanes)
      let current = b.fresh("cur")
      b.line("\(current) = tl.load(\(pointer) + \(off.text)\(m.map { ", mask=\($0)" } ?? ""))\(TritonType.isHalf(d.dtype) ? ".to(tl.float32)" : "")")
      var acc = Accumulator(op: r.op, type: r.accumulator, frame: frame, axisLanes: axisLanes)
      acc.value = current
      b.combine(&acc, reduced)
      b.line("tl.store(\(pointer) + \(off.text), \(b.toStorage(acc.value, d.dtype))\(m.map { ", mask=\($0)" } ?? ""))")
      b.line("tl.debug_barrier()")
    }
  }

  /// Where the definition being emitted into `sink` lives (NestPlan's homes at the block level).
  func home(of sink: Sink, registerMode: Bool, isProducer: Bool) -> NestPlan.Home {
    if registerMode { return .register }
    switch sink {
    case .register: return .register
    case .tile: return .block
    case .memory: return isProducer ? .scratch : .memory
    }
  }

  /// Records the loops of `d` (role and bounds), its split roots' values and its guards in `plan`.
  mutating func notePlan(
    _ d: Definition, leaves: [ScheduledLoop], names: [String: String], scheduled: ScheduledBounds, roles: [String]
  ) {
    plan.append("    \(d.name):")
    for (leaf, role) in zip(leaves, roles) {
      let range = scheduled.bounds[leaf.name].map { "\(IRPrinter.print($0.0)) ..< \(IRPrinter.print($0.1))" } ?? "-"
      plan.append("      loop \(names[leaf.name] ?? leaf.name): \(role), \(range)")
    }
    for (root, value) in scheduled.value.sorted(by: { $0.key < $1.key }) where value != .index(names[root] ?? root) {
      plan.append("      \(root) = \(IRPrinter.print(value))")
    }
    for c in scheduled.guardConditions(scheduled.guarded) { plan.append("      guard \(IRPrinter.print(c))") }
  }

  // MARK: - Producers

  /// Emits a producer computed at the current point of `consumer`'s nest: into a register when the region is one
  /// element; into a register block when the region lines up with the consumer's blocks (see `tileLanes`: a
  /// contraction computed inside its epilogue's tile, a convolution inside the cast of its output); else into a
  /// per-program scratch buffer.
  mutating func emitProducer(
    _ p: Definition, in consumer: Definition, anchor: String?, readExpressions: [Expr], opened: Set<String>,
    ranging: [String: ClosedRange<Int>]
  ) throws(DiagnosticError) {
    let pShape = p.axes.compactMap { $0.extent.evaluate(dims) }
    guard pShape.count == p.axes.count else { throw fail("the kernel's dims must be bound", at: p, "unbound-dims") }
    // The region (NestPlan.blockRegion): symbolic in variables already bound to scalars, ranging over every other
    // loop (lanes included).
    let region: [RegionDimension]
    do throws(NestPlan.RegionProblem) {
      region = try NestPlan.blockRegion(of: p, reads: readExpressions, facts: facts) { name in
        switch bindings[name] {
        case .scalar? where opened.contains(name): return .fixed
        case .scalar?, .lane?, nil: break
        }
        if let range = ranging[name] { return .ranging(range) }
        // A lane that starts at a scalar position (a block of a producer computed over a region, e.g. the rows of a
        // multi-row program).
        if case .lane(let lane)? = bindings[name], let start = facts.affine(provenLower(lane.lower)),
          start.terms.keys.allSatisfy({ key in
            if case .scalar? = bindings[key] { return opened.contains(key) }
            return false
          })
        {
          return .lane(start: start, block: lane.block)
        }
        return .unknown
      }
    } catch {
      throw fail(error.message(producer: p.name, consumer: consumer.name), at: p)
    }
    let extents = region.map(\.extent)
    // Where it lives (NestPlan.blockHome): a register, a register block in the consumer's lanes, or scratch.
    let placement = NestPlan.blockHome(p, consumer: consumer.name, extents: extents, in: kernel)
    let registerMode = placement == .register
    var loop = ""
    if case .computeAt(_, let l) = p.effectiveSchedule.placement { loop = l }
    var placed = NestPlan.Producer(
      name: p.name, consumer: consumer.name, loop: loop, anchor: anchor,
      region: region, regionProblem: nil, home: placement)
    line("# \(p.name): computed at this point of \(consumer.name), region [\(extents.map(String.init).joined(separator: ", "))] in \(registerMode ? "a register" : "scratch")")
    if registerMode {
      decisions.producers.append(placed)
      let value = fresh(p.name + "_val")
      try emitDefinition(p, region: region, registerMode: true, sink: .register(value))
      homes[p.name] = .register(value: value, shape: pShape)
      return
    }
    if placement == .block, let lanes = tileLanes(p, in: consumer, readExpressions: readExpressions, region: region) {
      // Emitted into a block value; if the producer's value does not come out in a layout that can be
      // arranged in axis order, the builder is rolled back and the region goes to scratch.
      let saved = self
      do {
        let value = fresh(p.name + "_tile")
        lines.append(lines.removeLast().replacingOccurrences(of: " in scratch", with: " in a register block"))
        let fixed = Set(zip(p.axes, lanes).compactMap { $1 == nil ? $0.name : nil })
        decisions.producers.append(placed)
        try emitDefinition(p, region: region, registerMode: false, sink: .tile(value), fixedAxes: fixed)
        homes[p.name] = .tile(value: value, lanes: lanes, shape: pShape)
        return
      } catch {
        self = saved
      }
    }
    var strides = [Int](repeating: 1, count: extents.count)
    var size = 1
    for k in extents.indices.reversed() {
      strides[k] = size
      size = size &* extents[k]
    }
    guard size <= 1 << 24 else {
      throw fail("the region of '\(p.name)' that one program of '\(consumer.name)' reads has \(size) elements; compute it at an inner loop", at: p)
    }
    let pointer = pointerNames[p.name] ?? fresh("ws_" + p.name)
    placed.home = .scratch
    decisions.producers.append(placed)
    scratch.append((pointer, p.name, p.dtype, size))
    let base = fresh(p.name + "_base")
    if pidLinear == nil {
      let name = fresh("pid")
      line("\(name) = tl.program_id(0).to(tl.int64) + \(grid[0]) * (tl.program_id(1).to(tl.int64) + \(grid[1]) * tl.program_id(2).to(tl.int64))")
      pidLinear = name
    }
    line("\(base) = \(pidLinear ?? "0") * \(size)")
    line("tl.debug_barrier()")
    let home = TensorHome.scratch(pointer: pointer, base: base, starts: region.map(\.start), strides: strides, shape: pShape)
    try emitDefinition(
      p, region: region, registerMode: false,
      sink: .memory(pointer: pointer) { (b: inout KernelBuilder, point: [Expr], f: Frame) throws(DiagnosticError) -> Code in
        try b.offset(home, point, f)
      })
    line("tl.debug_barrier()")
    homes[p.name] = home
  }

  /// `e` simplified, with `max(a, b)` replaced by `a` where the known ranges prove a >= b (a region's clamped start
  /// `max(4 * m.o, 0)` is `4 * m.o` once m.o is known non-negative).
  func provenLower(_ e: Expr) -> Expr {
    let s = facts.simplify(e)
    if case .binary(.max, let a, let b) = s, let ra = facts.range(a), let rb = facts.range(b),
      ra.lowerBound >= rb.upperBound
    {
      return provenLower(a)
    }
    return s
  }

  /// The consumer lane that reads each axis of `p` (nil for an axis read at scalars only, whose region is one
  /// element), for a producer whose only reader is `consumer` (NestPlan's `.block` home: a producer also read by
  /// siblings stays in memory, where every reader can index it), when the region of `p` one iteration computes
  /// lines up with the consumer's blocks: every read of `p`
  /// indexes axis k as (scalars) + lane_k, one distinct lane per axis, whose first element reads the region's
  /// first element (the lane starts at 0, or at the start of a region it was itself computed over), and whose block
  /// equals the block `p` computes for that axis (an unsplit block loop of `p` over the region, which starts
  /// inside the tensor). Then element i of the producer's block is element i of the consumer's, and the
  /// producer's value is used as it is, never stored.
  func tileLanes(
    _ p: Definition, in consumer: Definition, readExpressions: [Expr], region: [RegionDimension]
  ) -> [String?]? {
    let ps = p.effectiveSchedule
    var laneOf = [String?](repeating: nil, count: p.axes.count)
    // Per axis, the read index without its lane: element i of the consumer's lane reads lane.lower + i + this.
    var offset = [IndexArithmetic.Affine?](repeating: nil, count: p.axes.count)
    for e in readExpressions {
      for read in e.loads where read.tensor == p.name {
        guard read.indices.count == p.axes.count else { return nil }
        for (k, index) in read.indices.enumerated() {
          guard let a = facts.affine(facts.simplify(index)) else { return nil }
          var lane: String?
          for (name, c) in a.terms {
            switch bindings[name] {
            case .lane?:
              guard c == 1, lane == nil else { return nil }
              lane = name
            case .scalar?: continue
            case nil: return nil
            }
          }
          let rest = IndexArithmetic.Affine(constant: a.constant, terms: a.terms.filter { $0.key != lane })
          guard offset[k] == nil || offset[k] == rest else { return nil }
          offset[k] = rest
          guard let l = lane ?? (region[k].extent == 1 ? "" : nil), laneOf[k] == nil || laneOf[k] == l else {
            return nil
          }
          laneOf[k] = l
        }
      }
    }
    let lanes: [String?] = laneOf.map { $0.flatMap { $0.isEmpty ? nil : $0 } }
    let named = lanes.compactMap { $0 }
    guard laneOf.allSatisfy({ $0 != nil }), !named.isEmpty, Set(named).count == named.count else { return nil }
    for (k, axis) in p.axes.enumerated() {
      guard let laneName = lanes[k] else { continue }
      // The consumer's lane starts where the region starts: lane.lower + offset == region start.
      guard case .lane(let lane)? = bindings[laneName], let lower = facts.affine(provenLower(lane.lower)),
        let regionStart = facts.affine(facts.simplify(region[k].start)), let rest = offset[k],
        lower + rest == regionStart,
        let extent = axis.extent.evaluate(dims),
        let start = facts.range(region[k].start), start.lowerBound >= 0,
        !ps.splits.contains(where: { $0.variable == axis.name }),
        let leaf = ps.loops.first(where: { $0.name == axis.name })
      else { return nil }
      switch leaf.kind {
      case .gpu(.blockX), .gpu(.blockY), .gpu(.blockZ), .vectorized: break
      case .gpu, .serial, .parallel, .unrolled: return nil
      }
      guard nextPowerOfTwo(min(region[k].extent, extent)) == lane.block else { return nil }
    }
    return lanes
  }

  /// Records the compound subexpressions of `e` that occur more than once.
  mutating func noteRepeats(_ e: Expr) {
    var counts: [Expr: Int] = [:]
    e.forEach { node in
      switch node {
      case .unary, .binary, .select, .cast: counts[node, default: 0] += 1
      case .constant, .index, .dim, .scalar, .load: break
      }
    }
    repeated = Set(counts.filter { $0.value > 1 && IRPrinter.print($0.key).count > 12 }.keys)
  }

  // MARK: - Stores

  mutating func store(_ d: Definition, _ value: Code, point: [Expr], frame: Frame, sink: Sink) throws(DiagnosticError) {
    switch sink {
    case .tile(let name):
      // The value's dimensions in producer-axis order: each axis is one lane of the value's frame.
      var positions: [Int] = []
      var blocks: [String] = []
      for index in point {
        let c = try expr(index, frame)
        if c.lanes.isEmpty { continue }  // a one-element axis, held at its start
        guard c.lanes.count == 1, let lane = c.lanes.first, let position = frame.dims[lane],
          case .lane(let l)? = bindings[lane]
        else {
          throw fail("internal: a register block needs one lane per axis", at: d, "internal")
        }
        positions.append(position)
        blocks.append(l.constexpr)
      }
      guard Set(positions).count == positions.count, value.lanes.count == positions.count,
        frame.rank >= positions.count
      else {
        throw fail("internal: the block value has other dimensions than its axes", at: d, "internal")
      }
      var v = materialize(value)
      if frame.rank > positions.count {
        // A reduction keeps its reduced lanes as dimensions of size 1: drop them (the axes keep frame order).
        let byPosition = zip(positions, blocks).sorted { $0.0 < $1.0 }
        v = "tl.reshape(\(v), (\(byPosition.map(\.1).joined(separator: ", ")),))"
        let ordered = byPosition.map(\.0)
        positions = positions.map { p in ordered.firstIndex(of: p) ?? 0 }
      }
      if positions != Array(0..<positions.count) {
        guard positions == [1, 0] else { throw fail("internal: cannot arrange the block", at: d, "internal") }
        v = "tl.trans(\(v))"
      }
      line("\(name) = \(TritonType.isHalf(d.dtype) ? "(\(v)).to(\(TritonType.storage(d.dtype))).to(tl.float32)" : v)")
    case .register(let name):
      let v = materialize(value)
      line("\(name) = \(TritonType.isHalf(d.dtype) ? "(\(v)).to(\(TritonType.storage(d.dtype))).to(tl.float32)" : v)")
      bindings[name] = .scalar(name)
    case .memory(let pointer, let offset):
      let off = try offset(&self, point, frame)
      let m = maskText(frame, within: off.lanes)
      let v = value.isConstant ? materialize(value) : value.text
      line("tl.store(\(pointer) + \(off.text), \(toStorage(v, d.dtype))\(m.map { ", mask=\($0)" } ?? ""))")
    }
  }

  func toStorage(_ v: String, _ t: DType) -> String {
    switch t {
    case .f16, .bf16, .f64, .f32, .i8, .i32, .i64: return "(\(v)).to(\(TritonType.storage(t)))"
    case .bool: return "(\(v)).to(tl.int1)"
    }
  }

  /// The element offset of a point of a tensor in memory (or scratch), with the lanes it depends on.
  mutating func offset(_ home: TensorHome, _ point: [Expr], _ f: Frame) throws(DiagnosticError) -> Code {
    var terms: [String] = []
    var lanes: Set<String> = []
    switch home {
    case .memory(let strides, _):
      for (index, stride) in mergedDivMod(point, strides) where stride != 0 {
        let c = try expr(index, f)
        lanes.formUnion(c.lanes)
        terms.append(stride == 1 ? c.text : "\(c.text) * \(stride)")
      }
    case .scratch(_, let base, let starts, let strides, _):
      terms.append(base)
      for ((index, start), stride) in zip(zip(point, starts), strides) {
        let c = try expr(facts.simplify(.binary(.sub, index, start)), f)
        lanes.formUnion(c.lanes)
        if c.isConstant && c.text == "0" { continue }
        terms.append(stride == 1 ? "(\(c.text))" : "(\(c.text)) * \(stride)")
      }
    case .register, .tile:
      break
    }
    return Code(text: terms.isEmpty ? "0" : "(" + terms.joined(separator: " + ") + ")", lanes: lanes, type: .i64, isConstant: false)
  }

  /// Index/stride pairs with the digits of a fused axis put back together: `[v / K, v % K]` at strides
  /// `[K * s, s]` is `v` at stride `s` (and `(v / K1) % K2` before `v % K1` is `v % (K1 * K2)`), floor division
  /// and modulo by positive constants, so a tile read through a fused reduction axis (`fuse_axes`) has the
  /// contiguous offsets that let its load be vectorized.
  func mergedDivMod(_ point: [Expr], _ strides: [Int]) -> [(Expr, Int)] {
    var out: [(Expr, Int)] = []
    for (index, stride) in zip(point, strides).reversed() {
      guard let (b, sb) = out.last, case .binary(.mod, let v, let k1) = b, let d1 = facts.range(k1),
        d1.lowerBound == d1.upperBound, d1.lowerBound > 0, stride == d1.lowerBound &* sb
      else {
        out.append((index, stride))
        continue
      }
      let k = d1.lowerBound
      func divides(_ e: Expr) -> Bool {
        guard case .binary(.div, let w, let q) = e, w == v, let r = facts.range(q) else { return false }
        return r.lowerBound == k && r.upperBound == k
      }
      if divides(index) {
        out[out.count - 1] = (v, sb)
      } else if case .binary(.mod, let inner, let k2) = index, divides(inner), let d2 = facts.range(k2),
        d2.lowerBound == d2.upperBound, d2.lowerBound > 0
      {
        out[out.count - 1] = (.binary(.mod, v, .constant(.int(Int64(k &* d2.lowerBound)))), sb)
      } else {
        out.append((index, stride))
      }
    }
    return out.reversed()
  }

  // MARK: - Masks

  func laneDims(_ lanes: Set<String>) -> [String: Int] {
    var out: [String: Int] = [:]
    for (i, l) in lanes.sorted().enumerated() { out[l] = i }
    return out
  }

  func frameFor(_ dims: [String: Int]) -> Frame { Frame(dims: dims, rank: dims.count) }

  /// The lanes a mask component depends on.
  func lanes(of m: MaskComponent) -> Set<String> {
    switch m {
    case .lane(let l): return [l]
    case .condition(let e):
      return Set(e.indexNames.filter { if case .lane? = bindings[$0] { return true } else { return false } })
    }
  }

  /// The conjunction of the active mask components that depend only on `within` (and the frame), or nil.
  mutating func maskText(_ f: Frame, within: Set<String>?) -> String? {
    var parts: [String] = []
    for m in masks {
      let ls = lanes(of: m)
      if let within, !ls.isSubset(of: within) { continue }
      if !ls.allSatisfy({ f.dims[$0] != nil }) { continue }
      switch m {
      case .lane(let l):
        if case .lane(let lane)? = bindings[l], let ok = lane.ok { parts.append(expand(ok, lane: l, f)) }
      case .condition(let e):
        if let c = try? expr(e, f) { parts.append(c.isConstant ? materialize(c) : c.text) }
      }
    }
    guard !parts.isEmpty else { return nil }
    return parts.count == 1 ? parts[0] : parts.map { "(\($0))" }.joined(separator: " & ")
  }

  /// A 1-D lane value placed on its frame dimension (`x[None, :]`).
  func expand(_ text: String, lane: String, _ f: Frame) -> String {
    guard f.rank > 1, let d = f.dims[lane] else { return text }
    let idx = (0..<f.rank).map { $0 == d ? ":" : "None" }.joined(separator: ", ")
    return "\(text)[\(idx)]"
  }

  /// A frame's shape with the given lanes at their blocks and the others 1.
  func shape(_ f: Frame, keeping: Set<String>) -> [String] {
    var out = [String](repeating: "1", count: f.rank)
    for (l, d) in f.dims where keeping.contains(l) {
      if case .lane(let lane)? = bindings[l] { out[d] = lane.constexpr }
    }
    return out
  }
}

/// `a...b`, or nil when the bounds are reversed (after wrapping arithmetic on absurd sizes).
func span(_ a: Int, _ b: Int) -> ClosedRange<Int>? { a <= b ? a...b : nil }
