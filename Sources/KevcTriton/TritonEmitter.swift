import KevcBasic
import KevcIR
import KevcLowering

/// The Triton emitter: a bound, scheduled kernel to a Python module of `@triton.jit` kernels.
///
/// Each definition computed at the root becomes one kernel (producers computed inside it are emitted inside it),
/// launched in program order by the module's `launch(**tensors)`. The module also holds `KEVC`, a dict describing
/// the kernel (parameters and results with dtypes, shapes and value domains, workspace buffers, and per kernel its
/// signature, constexprs, grid and num_warps/num_stages) for ahead-of-time compilation (`python/kevc_gpu/aot.py`)
/// and for the GPU harness. The emitter makes no decisions: block sizes, grids and placements come from the
/// schedule; a schedule the target cannot express is rejected with a diagnostic at the definition.
public struct TritonModule: Hashable, Sendable {
  /// The Python source.
  public var source: String
  public var kernels: [TritonKernelInfo]
  /// The decisions per kernel (stage `plan`): each definition's loops as program ids, blocks of lanes or loops,
  /// with the bounds, point values and guards of the shared `ScheduledBounds`, and where each producer lives.
  public var plan: String = ""
}

/// One generated kernel.
public struct TritonKernelInfo: Hashable, Sendable {
  public var name: String
  /// The root definition it computes.
  public var definition: String
  /// Parameter names and Triton signature types (`*fp32`, `i64`, `constexpr`), in order.
  public var signature: [Pair]
  public var constexprs: [Pair]
  public var grid: [Int]
  public var warps: Int
  public var stages: Int
  /// The line of the module where its `def` is.
  public var line: Int
  /// What each non-constexpr parameter receives, in order: a param's or result's name, a workspace buffer's name
  /// (`KEVC["workspace"]`), or a scalar param's name (the C launcher and the torch op read this).
  public var arguments: [String] = []

  public struct Pair: Hashable, Sendable {
    public var name: String
    public var value: String
  }
}

public enum TritonEmitter {
  /// Default launch parameters when the schedule has no `launch`.
  public static let defaultWarps = 4
  public static let defaultStages = 2
  public static let defaultDotStages = 3

  /// Emits the module. `origin` names the source (spec path and schedule) in the module's header.
  public static func emit(_ kernel: Kernel, origin: String = "") throws(DiagnosticError) -> TritonModule {
    let dims = kernel.dimBindings
    func shape(_ s: [SizeExpr], _ what: String, at loc: SourceLocation) throws(DiagnosticError) -> [Int] {
      var out: [Int] = []
      for e in s {
        guard let v = e.evaluate(dims), v >= 0 else {
          throw DiagnosticError(
            .error(DiagnosticID("triton", "unbound-dims"), "the shape of '\(what)' is not bound (use --shape or a dims line)", at: loc))
        }
        out.append(v)
      }
      return out
    }
    func rowMajor(_ s: [Int]) -> [Int] {
      var strides = [Int](repeating: 1, count: s.count)
      var acc = 1
      for k in s.indices.reversed() {
        strides[k] = acc
        acc = acc &* max(1, s[k])
      }
      return strides
    }
    // Where every tensor lives.
    var homes: [String: KernelBuilder.TensorHome] = [:]
    var shapes: [String: [Int]] = [:]
    for p in kernel.params + kernel.results where !p.isScalar || kernel.results.contains(where: { $0.name == p.name }) {
      let s = try shape(p.shape, p.name, at: p.location)
      shapes[p.name] = s
      homes[p.name] = .memory(strides: rowMajor(s), shape: s)
    }
    var workspace: [(name: String, tensor: String, dtype: DType, elements: Int)] = []
    var wsNames = PythonNames()
    let results = Set(kernel.results.map(\.name))
    for d in kernel.definitions {
      // A fused loop (`fuse_axes` of output axes) is a CPU loop-nest shape; a Triton block tiles the axes instead.
      if let f = d.effectiveSchedule.fusion {
        throw DiagnosticError(
          .error(
            DiagnosticID("triton", "unsupported-fused-loop"),
            "the Triton emitter cannot lower the fused loop '\(f.variable)' of '\(d.name)' (tile its axes instead)",
            at: d.location))
      }
      let s = try shape(d.shape, d.name, at: d.location)
      shapes[d.name] = s
      guard !results.contains(d.name), d.effectiveSchedule.placement == .root else { continue }
      let storage = d.effectiveSchedule.storage
      // A phase stored in place into the tensor it is a phase of (`store_phases`): no buffer of its own.
      if storage.interleave != nil { continue }
      let perm = storage.permutation ?? Array(s.indices)
      guard perm.count == s.count, Set(perm) == Set(s.indices) else {
        throw DiagnosticError(.error(DiagnosticID("triton", "bad-layout"), "the layout of '\(d.name)' is not a permutation of its axes", at: d.location))
      }
      var bufferShape = perm.map { s[$0] }
      if let pad = storage.padding, pad.count == bufferShape.count {
        bufferShape = zip(bufferShape, pad).map { $0 &+ max(0, $1) }
      }
      let bufferStrides = rowMajor(bufferShape)
      var strides = [Int](repeating: 0, count: s.count)
      for (i, axis) in perm.enumerated() { strides[axis] = bufferStrides[i] }
      homes[d.name] = .memory(strides: strides, shape: s)
      let elements = bufferShape.reduce(1) { $0 &* $1 }
      workspace.append((wsNames.fresh("ws_" + d.name), d.name, d.dtype, elements))
    }

    for d in kernel.definitions {
      if let slice = d.effectiveSchedule.storage.interleave { homes[d.name] = homes[slice.tensor] }
    }
    // A tensor its phases store in place has no kernel.
    let assembled = kernel.assembledInPlace

    // Kernels.
    var moduleNames = PythonNames()
    for h in TritonHelpers.names { _ = moduleNames.fresh(h) }
    var helpers: Set<String> = []
    var functions: [String: String] = [:]
    var kernelTexts: [String] = []
    var infos: [TritonKernelInfo] = []
    var scratchBuffers: [(name: String, tensor: String, dtype: DType, elements: Int, kernel: String)] = []
    var launchLines: [String] = []
    // Index width per kernel: decided once by `IndexWidth` (shown by `--emit scheduled`), printed here.
    let widths = Dictionary(IndexWidth.decisions(kernel).map { ($0.kernel, $0.bits) }, uniquingKeysWith: { a, _ in a })
    var planLines: [String] = []
    var decisions = NestPlan(level: .blocks, kernelName: kernel.name, dims: kernel.dimBindings)
    decisions.contractions = NestPlan.contractions(kernel)
    for d in kernel.definitions
    where d.effectiveSchedule.placement == .root && d.effectiveSchedule.computeWith == nil && !assembled.contains(d.name) {
      var b = KernelBuilder(kernel: kernel, root: d, homes: homes)
      b.indexType = widths[d.name] == 32 ? "tl.int32" : "tl.int64"
      guard homes[d.name] != nil, b.pointerNames[d.name] != nil else { continue }
      // The definition, then those computed with it (`compute_with`), each program doing its tile of every one.
      let members = [d] + kernel.definitions.filter({ $0.effectiveSchedule.computeWith == d.name })
      if members.count > 1 {
        for m in members {
          for l in m.effectiveSchedule.loops {
            guard case .gpu(let g) = l.kind, let e = try? kernel.maxExtent(l.name, in: m) else { continue }
            let i: Int
            switch g {
            case .gridX: i = 0
            case .gridY: i = 1
            case .gridZ: i = 2
            case .blockX, .blockY, .blockZ, .warp, .threadX, .threadY, .threadZ: continue
            }
            b.sharedGrid[i] = max(b.sharedGrid[i], e)
          }
        }
      }
      for m in members {
        // A phase stored in place writes its strided slice of the tensor it is a phase of.
        let slice = m.effectiveSchedule.storage.interleave
        let target = slice?.tensor ?? m.name
        guard let home = homes[target], let pointer = b.pointerNames[target] else { continue }
        b.root = m
        b.usedTensors.insert(target)
        let fusedLoop = m.name == d.name ? nil : m.effectiveSchedule.computeWithLoop
        let before = b.lines
        if fusedLoop != nil { b.lines = [] }
        if m.name != d.name, fusedLoop == nil { b.line("# then \(m.name), computed with \(d.name) by the same program") }
        try b.emitDefinition(
          m, region: nil, registerMode: false,
          sink: .memory(pointer: pointer) { (b: inout KernelBuilder, point: [Expr], f: KernelBuilder.Frame) throws(DiagnosticError) -> KernelBuilder.Code in
            try b.offset(home, slice?.indices(point) ?? point, f)
          })
        if let l = fusedLoop {
          let own = b.lines
          b.lines = before
          try b.splice(own, of: m, into: d, at: l)
        }
      }
      b.root = d
      helpers.formUnion(b.helpers)
      functions.merge(b.functions) { a, _ in a }
      let name = moduleNames.fresh("kevc_\(kernel.name)_\(d.name)")
      // Arguments: tensors in parameter, result, workspace order; scratch; scalars; constexprs.
      var signature: [TritonKernelInfo.Pair] = []
      var callArgs: [String] = []
      var arguments: [String] = []
      for p in kernel.params where !p.isScalar && b.usedTensors.contains(p.name) {
        signature.append(.init(name: b.pointerNames[p.name] ?? p.name, value: TritonType.pointerSignature(p.dtype)))
        callArgs.append("_t_\(p.name)")
        arguments.append(p.name)
      }
      for r in kernel.results where b.usedTensors.contains(r.name) {
        signature.append(.init(name: b.pointerNames[r.name] ?? r.name, value: TritonType.pointerSignature(r.dtype)))
        callArgs.append("_t_\(r.name)")
        arguments.append(r.name)
      }
      for w in workspace where b.usedTensors.contains(w.tensor) {
        signature.append(.init(name: b.pointerNames[w.tensor] ?? w.name, value: TritonType.pointerSignature(w.dtype)))
        callArgs.append(w.name)
        arguments.append(w.name)
      }
      let programs = b.grid.reduce(1) { $0 &* $1 }
      for s in b.scratch {
        let buffer = wsNames.fresh("scratch_" + s.tensor)
        scratchBuffers.append((buffer, s.tensor, s.dtype, programs &* s.elements, name))
        signature.append(.init(name: s.name, value: TritonType.pointerSignature(s.dtype)))
        callArgs.append(buffer)
        arguments.append(buffer)
      }
      var preamble: [String] = []
      for p in kernel.params where p.isScalar && b.usedScalars.contains(p.name) {
        let n = b.scalarNames[p.name] ?? p.name
        signature.append(.init(name: n, value: TritonType.scalarSignature(p.dtype)))
        callArgs.append("_s_\(p.name)")
        arguments.append(p.name)
        if TritonType.isHalf(p.dtype) {
          preamble.append("    \(n) = \(n).to(\(TritonType.storage(p.dtype))).to(tl.float32)")
        }
      }
      var constexprs: [TritonKernelInfo.Pair] = []
      for (c, v) in b.constexprs {
        signature.append(.init(name: c, value: "constexpr"))
        constexprs.append(.init(name: c, value: "\(v)"))
      }
      let launch = d.effectiveSchedule.launch
      let warps = launch?.warps ?? defaultWarps
      let stages = launch?.stages ?? (d.effectiveSchedule.isDot ? defaultDotStages : defaultStages)
      let params = signature.map { $0.value == "constexpr" ? "\($0.name): tl.constexpr" : $0.name }
      var text = "@triton.jit\ndef \(name)(\(params.joined(separator: ", "))):\n"
      text += "    # computes \(d.name); grid \(b.grid)\n"
      for p in preamble { text += p + "\n" }
      for l in b.lines { text += l + "\n" }
      kernelTexts.append(text)
      planLines.append("  kernel \(name): grid \(b.grid), \(warps) warps, \(stages) stages")
      planLines += b.plan
      decisions.merge(b.decisions)
      infos.append(
        TritonKernelInfo(
          name: name, definition: d.name, signature: signature, constexprs: constexprs, grid: b.grid, warps: warps,
          stages: stages, line: 0, arguments: arguments))
      let constArgs = constexprs.map { "\($0.name)=\($0.value)" }
      let all = callArgs + constArgs + ["num_warps=\(warps)", "num_stages=\(stages)"]
      let g = "(\(b.grid[0]), \(b.grid[1]), \(b.grid[2]))"
      if programs > 0 {
        launchLines.append("    \(name)[\(g)](\(all.joined(separator: ", ")))")
      } else {
        launchLines.append("    # \(name): empty grid \(g), nothing to compute")
      }
    }

    // Module text.
    var out = "# Generated by kevc from \(origin.isEmpty ? "kernel IR" : origin): kernel '\(kernel.name)'. Do not edit.\n"
    out += "# Block-level lowering of the scheduled kernel IR; semantics in lowering/triton/README.md.\n"
    out += "import triton\nimport triton.language as tl\nfrom triton.language.extra import libdevice\n\n"
    out += "KEVC = " + metadata(kernel, shapes: shapes, workspace: workspace, scratch: scratchBuffers, infos: infos) + "\n"
    for h in helpers.sorted() {
      guard let src = TritonHelpers.sources[h] else { continue }
      out += "\n\n" + src + "\n"
    }
    for (_, src) in functions.sorted(by: { $0.key < $1.key }) { out += "\n\n" + src }
    for (i, text) in kernelTexts.enumerated() {
      out += "\n\n"
      infos[i].line = out.split(separator: "\n", omittingEmptySubsequences: false).count + 1
      out += text
    }
    out += "\n\n" + launchFunction(kernel, shapes: shapes, workspace: workspace, scratch: scratchBuffers, lines: launchLines)
    let plan = "plan @\(kernel.name) (triton): \(infos.count) kernel(s)\n" + planLines.map { $0 + "\n" }.joined() + decisions.text
    return TritonModule(source: out, kernels: infos, plan: plan)
  }

  // MARK: - Metadata and launch

  static func pyString(_ s: String) -> String { HarnessModule.pyString(s) }

  static func metadata(
    _ kernel: Kernel, shapes: [String: [Int]], workspace: [(name: String, tensor: String, dtype: DType, elements: Int)],
    scratch: [(name: String, tensor: String, dtype: DType, elements: Int, kernel: String)], infos: [TritonKernelInfo]
  ) -> String {
    var s = "{\n"
    s += HarnessModule.metadataHead(kernel, shapes: shapes)
    s += "    \"workspace\": [\n"
    for w in workspace {
      s += "        {\"name\": \(pyString(w.name)), \"holds\": \(pyString(w.tensor)), \"dtype\": \(pyString(w.dtype.rawValue)), \"elements\": \(w.elements), \"scope\": \"root\"},\n"
    }
    for w in scratch {
      s += "        {\"name\": \(pyString(w.name)), \"holds\": \(pyString(w.tensor)), \"dtype\": \(pyString(w.dtype.rawValue)), \"elements\": \(w.elements), \"scope\": \"scratch\", \"kernel\": \(pyString(w.kernel))},\n"
    }
    s += "    ],\n"
    s += "    \"kernels\": [\n"
    for k in infos {
      s += "        {\n"
      s += "            \"name\": \(pyString(k.name)),\n"
      s += "            \"defines\": \(pyString(k.definition)),\n"
      s += "            \"signature\": {\(k.signature.map { "\(pyString($0.name)): \(pyString($0.value))" }.joined(separator: ", "))},\n"
      s += "            \"constexprs\": {\(k.constexprs.map { "\(pyString($0.name)): \($0.value)" }.joined(separator: ", "))},\n"
      s += "            \"grid\": [\(k.grid.map(String.init).joined(separator: ", "))],\n"
      s += "            \"num_warps\": \(k.warps),\n"
      s += "            \"num_stages\": \(k.stages),\n"
      s += "            \"args\": [\(k.arguments.map(pyString).joined(separator: ", "))],\n"
      s += "        },\n"
    }
    s += "    ],\n"
    s += HarnessModule.tolerance(kernel) + "}"
    return s
  }

  static func launchFunction(
    _ kernel: Kernel, shapes: [String: [Int]], workspace: [(name: String, tensor: String, dtype: DType, elements: Int)],
    scratch: [(name: String, tensor: String, dtype: DType, elements: Int, kernel: String)], lines: [String]
  ) -> String {
    var s = HarnessModule.launchHead(kernel, shapes: shapes)
    for w in workspace {
      s += "    \(w.name) = torch.empty((\(w.elements),), dtype=\(TritonType.torch(w.dtype)), device=device)\n"
    }
    for w in scratch {
      s += "    \(w.name) = torch.empty((\(w.elements),), dtype=\(TritonType.torch(w.dtype)), device=device)\n"
    }
    for l in lines { s += l + "\n" }
    return s
  }
}
