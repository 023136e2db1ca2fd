/// Translates a loop program into an LLVM module that implements it exactly (the IR's semantics, see Expr.swift).
///
/// ABI of the emitted kernel (also in lowering/llvm/README.md):
///
///     void @<program.name>(ptr %args)
///
/// `args` points to an array of pointers: first one per `params` entry in order (a scalar parameter is a pointer to
/// its one value, stored in its dtype), then one per `results` entry, then one pointer to a workspace of
/// `workspaceSize` bytes (64-byte aligned; may be null when the size is 0). Elements are stored densely in
/// row-major order: f16 as IEEE half, bf16 as its 16 bits, bool as one byte 0 or 1. The pointed-to buffers must not
/// overlap (results are written, and the code assumes no other argument aliases them). Dims are folded into the
/// code as constants.
///
/// A `parallel` loop's body is outlined into an internal `void @<name>.par<k>(ptr ctx, i64 begin, i64 end)` that
/// runs iterations [begin, end) of the loop (shifted by its lower bound); the kernel calls the runtime's
/// `kevc_parallel_for(count, @<name>.par<k>, ctx)` (Sources/KevcRuntime), where `ctx` is an array of 8-byte slots
/// on the caller's stack holding every value the body uses from outside: buffer pointers (arguments, workspace
/// buffers, locals declared outside the loop), enclosing loop variables and the lower bound. Buffers allocated
/// inside the loop are allocas of the outlined function, so they are private to each thread; buffers allocated
/// outside and used inside are shared (the lowering only does that for buffers whose elements the iterations
/// access disjointly).
///
/// Inside the module, `@<name>` only unpacks `args` and calls the internal, always-inlined `@<name>.body`, whose
/// pointer parameters are `noalias`: after inlining LLVM knows the buffers are disjoint and vectorizes without
/// run-time alias checks.
///
/// Registers: f16/bf16/f32 values are `float` (f16/bf16 values are rounded when stored or cast, never between
/// operations), f64 is `double`, integers are `i8`/`i32`/`i64`, bool is `i1` (`i8` in memory). Index variables
/// and dims are `i64`.
import CLLVM
import KevcBasic
import KevcIR
import KevcLowering

/// A value in a register together with the IR type it has.
private struct TypedValue {
  var ref: LLVMValueRef
  var dtype: DType
}

/// A buffer visible to the code: its pointer and its declaration.
private struct BoundBuffer {
  var pointer: LLVMValueRef
  var buffer: Buffer
  var elementCount: Int
}

final class LoopEmitter {
  /// The largest local (stack) buffer the emitter accepts.
  static let maxLocalBytes = 1 << 20

  /// C library functions the emitted code may call (directly or through intrinsics); a kernel must not take
  /// one of these names, or the call would resolve to the kernel itself.
  static let reservedNames: Set<String> = [
    "exp", "expf", "log", "logf", "sqrt", "sqrtf", "tanh", "tanhf", "erf", "erff", "pow", "powf", "floor", "floorf",
    "ceil", "ceilf", "fabs", "fabsf", "fmod", "fmodf", "exp2", "exp2f", "memcpy", "memmove", "memset",
    parallelForName, "kevc_thread_count",
  ]

  /// The runtime function that runs a parallel loop (Sources/KevcRuntime/include/kevc_runtime.h).
  static let parallelForName = "kevc_parallel_for"

  private let program: LoopProgram
  private let context: IRContext
  private let module: IRModule
  private let b: IRBuilder
  /// Always positioned at the end of the current function's entry block, where every alloca goes.
  private var entryBuilder: IRBuilder
  /// The function being emitted: the kernel's body, or an outlined parallel loop body.
  private var function: LLVMValueRef
  private var entryBlock: LLVMBasicBlockRef
  /// How many vectorized loops enclose the code being emitted (reductions there may be reassociated).
  private var vectorizedDepth = 0
  /// Loops being emitted with `llvm.loop.unroll.full` around the current point. A loop inside one is not unrolled
  /// by LLVM's own heuristics unless the schedule unrolls it too: the schedule's unroll already replicates it, and
  /// LLVM unrolling each copy again multiplied the code past what -O3 compiles in minutes (difftest s6-p2050:
  /// `unroll(t0, c, 32)` around a 16-row loop with a staged 3x9x3 copy).
  private var fullyUnrolledDepth = 0
  /// The vectorized loops that accumulate into a scalar local allocated outside a loop enclosing them: the rows of
  /// a sum over several axes (`markShortRows`).
  private var multiAxisRows: Set<Loop> = []
  private var parallelCount = 0
  /// Vectorizable implementations of exp, log, tanh and erf, created on first use.
  private lazy var math = VectorMath(module: module)
  private let layout: WorkspaceLayout

  private var buffers: [String: BoundBuffer] = [:]
  /// Local temporaries used outside any `allocate`, allocated once at the entry on first use.
  private var lazyLocals: [String: Buffer] = [:]
  private var indices: [String: LLVMValueRef] = [:]
  /// Ranges of the enclosing loops' variables (where known), for the trip counts `ConditionalRecurrences` needs.
  private var variableRanges: [String: ClosedRange<Int64>] = [:]
  private var loopCount = 0

  /// Emits `program` into a new module of `context`; the module is verified but not optimised.
  static func emit(_ program: LoopProgram, into context: IRContext) throws(DiagnosticError) -> IRModule {
    let emitter = try LoopEmitter(program, context: context)
    try emitter.emitBody()
    try emitter.module.verify()
    return emitter.module
  }

  private init(_ program: LoopProgram, context: IRContext) throws(DiagnosticError) {
    guard !program.name.isEmpty, !program.name.utf8.contains(0) else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.invalidProgram, "a kernel needs a non-empty name")
    }
    guard !LoopEmitter.reservedNames.contains(program.name) else {
      throw LLVMDiagnostic.error(
        LLVMDiagnostic.invalidProgram,
        "kernel name '\(program.name)' collides with the c library function of that name")
    }
    let module = IRModule(name: program.name, context: context)
    let builder = IRBuilder(module: module)

    // The body function: one noalias pointer per param, per result, and the workspace.
    let pointerCount = program.params.count + program.results.count + 1
    var paramTypes: [LLVMTypeRef?] = Array(repeating: context.ptr, count: pointerCount)
    let bodyType: LLVMTypeRef = paramTypes.withUnsafeMutableBufferPointer {
      LLVMFunctionType(context.void, $0.baseAddress, UInt32($0.count), 0)
    }
    let bodyFunction = (program.name + ".body").withCString { LLVMAddFunction(module.ref, $0, bodyType) }
    guard let bodyFunction else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.emissionFailed, "cannot declare the kernel function")
    }
    LLVMSetLinkage(bodyFunction, LLVMInternalLinkage)
    LoopEmitter.addFunctionAttribute(bodyFunction, "alwaysinline", context)
    LoopEmitter.addFunctionAttribute(bodyFunction, "nounwind", context)
    for i in 0..<pointerCount {
      LLVMAddAttributeAtIndex(bodyFunction, LLVMAttributeIndex(i + 1), context.enumAttribute("noalias"))
    }

    self.program = program
    self.context = context
    self.layout = try WorkspaceLayout(program)
    self.module = module
    self.function = bodyFunction
    b = builder
    entryBuilder = IRBuilder(module: module)
    entryBlock = builder.appendBlock("entry", to: bodyFunction)
    entryBuilder.position(atEndOf: entryBlock)

    // The exported entry point: unpack `args` and call the body.
    try emitEntryPoint(bodyType: bodyType, pointerCount: pointerCount)

    // Bind params, results and workspace buffers.
    var seen: Set<String> = []
    for (i, buffer) in (program.params + program.results).enumerated() {
      let pointer: LLVMValueRef = LLVMGetParam(function, UInt32(i))
      setName(pointer, buffer.name)
      try bind(buffer, pointer, seen: &seen)
    }
    let workspace: LLVMValueRef = LLVMGetParam(function, UInt32(pointerCount - 1))
    setName(workspace, "workspace")
    for buffer in program.temporaries {
      if WorkspaceLayout.livesInWorkspace(buffer.scope) {
        let offset = layout.offsets[buffer.name] ?? 0
        let pointer = entryBuilder.gep(context.i8, workspace, context.i64(Int64(offset)), inbounds: true)
        setName(pointer, buffer.name)
        try bind(buffer, pointer, seen: &seen)
      } else {
        guard seen.insert(buffer.name).inserted else { throw duplicate(buffer.name) }
        lazyLocals[buffer.name] = buffer
      }
    }
  }

  private func emitEntryPoint(bodyType: LLVMTypeRef, pointerCount: Int) throws(DiagnosticError) {
    var argTypes: [LLVMTypeRef?] = [context.ptr]
    let entryType: LLVMTypeRef = argTypes.withUnsafeMutableBufferPointer {
      LLVMFunctionType(context.void, $0.baseAddress, 1, 0)
    }
    guard let entry = program.name.withCString({ LLVMAddFunction(module.ref, $0, entryType) }) else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.emissionFailed, "cannot declare the kernel function")
    }
    LoopEmitter.addFunctionAttribute(entry, "nounwind", context)
    let builder = IRBuilder(module: module)
    builder.position(atEndOf: builder.appendBlock("entry", to: entry))
    let args: LLVMValueRef = LLVMGetParam(entry, 0)
    setName(args, "args")
    var pointers: [LLVMValueRef?] = []
    for i in 0..<pointerCount {
      let slot = builder.gep(context.ptr, args, context.i64(Int64(i)), inbounds: true)
      pointers.append(builder.load(context.ptr, slot))
    }
    _ = pointers.withUnsafeMutableBufferPointer {
      LLVMBuildCall2(builder.ref, bodyType, function, $0.baseAddress, UInt32($0.count), "")
    }
    builder.retVoid()
  }

  private func bind(_ buffer: Buffer, _ pointer: LLVMValueRef, seen: inout Set<String>) throws(DiagnosticError) {
    guard seen.insert(buffer.name).inserted else { throw duplicate(buffer.name) }
    buffers[buffer.name] = BoundBuffer(
      pointer: pointer, buffer: buffer, elementCount: try WorkspaceLayout.elementCount(of: buffer))
  }

  private func setName(_ value: LLVMValueRef, _ name: String) {
    name.withCString { LLVMSetValueName2(value, $0, name.utf8.count) }
  }

  private func duplicate(_ name: String) -> DiagnosticError {
    LLVMDiagnostic.error(LLVMDiagnostic.invalidProgram, "buffer '\(name)' is declared twice")
  }

  private static func addFunctionAttribute(_ fn: LLVMValueRef, _ name: String, _ context: IRContext) {
    LLVMAddAttributeAtIndex(fn, IRBuilder.functionIndex, context.enumAttribute(name))
  }

  private func emitBody() throws(DiagnosticError) {
    let start = b.appendBlock("body", to: function)
    b.start(start)
    try emit(program.body)
    b.retVoid()
    // All allocas are in place: the entry block can now fall through to the code.
    entryBuilder.br(start)
  }

  // MARK: - Statements

  private func emit(_ statements: [Stmt]) throws(DiagnosticError) {
    for s in statements { try emit(s) }
  }

  private func emit(_ statement: Stmt) throws(DiagnosticError) {
    switch statement {
    case .loop(let loop):
      try emitLoop(loop)
    case .store(let name, let indexExprs, let valueExpr):
      let target = try resolve(name)
      let value = try emit(valueExpr)
      if vectorizedDepth > 0 { allowReassociation(ofUpdate: valueExpr, to: name, at: indexExprs, value.ref) }
      let linear = try linearIndex(target, try indexValues(indexExprs, for: target))
      let address = b.gep(memoryType(target.buffer.dtype), target.pointer, linear, inbounds: true)
      b.store(try toMemory(value, target.buffer.dtype), address)
    case .ifThen(let condition, let thenBody, let elseBody):
      let c = try asCondition(emit(condition))
      let thenBlock = b.appendBlock("if.then", to: function)
      let elseBlock = b.appendBlock("if.else", to: function)
      let merge = b.appendBlock("if.end", to: function)
      b.condBr(c, thenBlock, elseBlock)
      b.start(thenBlock)
      try emit(thenBody)
      b.br(merge)
      b.start(elseBlock)
      try emit(elseBody)
      b.br(merge)
      b.start(merge)
    case .allocate(let buffer, let body):
      switch buffer.scope {
      case .local, .shared: break  // shared memory is just a local array on a CPU
      case .global, .workspace:
        throw LLVMDiagnostic.error(
          LLVMDiagnostic.invalidProgram,
          "buffer '\(buffer.name)' of scope \(buffer.scope.rawValue) cannot be allocated by a statement")
      }
      let saved = buffers[buffer.name]
      buffers[buffer.name] = try allocateLocal(buffer)
      if buffer.shape.isEmpty { markShortRows(accumulating: buffer.name, body, depth: 0) }
      try emit(body)
      buffers[buffer.name] = saved
    }
  }

  private func allocateLocal(_ buffer: Buffer) throws(DiagnosticError) -> BoundBuffer {
    let count = try WorkspaceLayout.elementCount(of: buffer)
    let bytes = try WorkspaceLayout.byteSize(of: buffer)
    guard bytes <= LoopEmitter.maxLocalBytes else {
      throw LLVMDiagnostic.error(
        LLVMDiagnostic.invalidProgram,
        "local buffer '\(buffer.name)' needs \(bytes) bytes; locals are limited to \(LoopEmitter.maxLocalBytes)")
    }
    let pointer = entryBuilder.alloca(memoryType(buffer.dtype), count: Int64(count), align: 64, buffer.name)
    return BoundBuffer(pointer: pointer, buffer: buffer, elementCount: count)
  }

  private func emitLoop(_ loop: Loop) throws(DiagnosticError) {
    var properties: [LLVMMetadataRef?] = []
    var vectorized = false
    // Fully unrolled, a loop carrying a conditional recurrence (an arg-reduction) hangs LLVM's vectorizer.
    let keepRolled = ConditionalRecurrences.keepRolled(loop, tripCountBound: tripCountBound(loop))
    switch loop.kind {
    case .serial:
      break
    case .parallel:
      try emitParallelLoop(loop)
      return
    case .vectorized(let width):
      vectorized = true
      properties.append(
        context.mdNode([context.mdString("llvm.loop.vectorize.enable"), context.mdConstant(context.bool(true))]))
      if width > 1, width <= 1024, width & (width - 1) == 0 {
        properties.append(
          context.mdNode([
            context.mdString("llvm.loop.vectorize.width"), context.mdConstant(context.i32(Int32(width))),
          ]))
      }
      // A register tile's row (a loop of exactly one vector storing into a local array along its variable) is left
      // to the vectorizer: fully unrolled first, its lanes came back as scalars that the SLP vectorizer regrouped
      // along another axis (the tile's rows, or the enclosing reduction loop), keeping the accumulators in memory.
      // So is one vector of a row stored along its variable in the last index (an elementwise row of 32 split by
      // 8: group_norm's output, frobenius_norm's): fully unrolled, LLVM vectorized the enclosing row loop instead,
      // gathering every load and storing lane by lane.
      // Other loops keep LLVM's own choice: disabling it measured 10x slower on max_pool1d's padded window reads
      // (a tail) and 1.5-2x slower on row sums (log_softmax, group_norm: one accumulator chain, not interleaved).
      if case .constant(let lo) = loop.lowerBound, case .int(let l) = lo.value,
        case .constant(let hi) = loop.upperBound, case .int(let h) = hi.value, h &- l == Int64(width),
        storesAlong(along: loop.variable, loop.body)
      {
        properties.append(context.mdNode([context.mdString("llvm.loop.unroll.disable")]))
      } else if case .constant(let lo) = loop.lowerBound, case .int(let l) = lo.value,
        case .constant(let hi) = loop.upperBound, case .int(let h) = hi.value, h &- l > Int64(width),
        h &- l <= 16 * Int64(width), multiAxisRows.contains(loop)
      {
        // A short row of a sum over several axes (`for j in 0 .. 64 vectorize(8)` accumulating into a scalar, inside
        // the loops over the other axes: layer_norm3d, group_norm, batch_norm2d) stays a loop for the vectorizer,
        // interleaved up to 4 vectors: left to LLVM, it was fully unrolled first and the enclosing loop vectorized
        // instead, each vector gathered from 8 rows with scalar loads and inserts (2056 `insertelement`s in
        // layer_norm3d's statistics; 12 after). Longer rows are not fully unrolled and keep LLVM's choice.
        properties.append(context.mdNode([context.mdString("llvm.loop.unroll.disable")]))
        properties.append(
          context.mdNode([
            context.mdString("llvm.loop.interleave.count"),
            context.mdConstant(context.i32(Int32(min(4, (h &- l) / Int64(width))))),
          ]))
      }
    case .unrolled:
      if !keepRolled {
        properties.append(context.mdNode([context.mdString("llvm.loop.unroll.full")]))
      }
    case .gpu(let dimension):
      throw LLVMDiagnostic.error(
        LLVMDiagnostic.unsupportedLoopKind, "loop bound to \(dimension.rawValue) cannot be lowered to the CPU target")
    }
    let unrollsFully = loop.kind == .unrolled && !keepRolled
    if keepRolled || (fullyUnrolledDepth > 0 && !unrollsFully) {
      properties.append(context.mdNode([context.mdString("llvm.loop.unroll.disable")]))
    }

    let lower = try index(emit(loop.lowerBound), what: "the lower bound of loop '\(loop.variable)'")
    let upper = try index(emit(loop.upperBound), what: "the upper bound of loop '\(loop.variable)'")
    guard let preheader = b.currentBlock else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.emissionFailed, "no insertion block for a loop")
    }
    let header = b.appendBlock("\(loop.variable).header", to: function)
    let body = b.appendBlock("\(loop.variable).body", to: function)
    let latch = b.appendBlock("\(loop.variable).latch", to: function)
    let exit = b.appendBlock("\(loop.variable).exit", to: function)
    b.br(header)

    b.start(header)
    let counter = b.phi(context.i64, loop.variable)
    b.addIncoming(counter, lower, preheader)
    b.condBr(b.icmp(LLVMIntSLT, counter, upper), body, exit)

    b.start(body)
    let saved = indices[loop.variable]
    indices[loop.variable] = counter
    let savedRange = enterRange(of: loop)
    if vectorized { vectorizedDepth += 1 }
    if unrollsFully { fullyUnrolledDepth += 1 }
    try emit(loop.body)
    if unrollsFully { fullyUnrolledDepth -= 1 }
    if vectorized { vectorizedDepth -= 1 }
    indices[loop.variable] = saved
    variableRanges[loop.variable] = savedRange
    b.br(latch)

    b.start(latch)
    // counter < upper <= Int64.max, so the increment cannot wrap.
    let next = b.add(counter, context.i64(1), nsw: true)
    let backEdge = b.br(header)
    b.addIncoming(counter, next, latch)
    if !properties.isEmpty { attachLoopMetadata(backEdge, properties) }

    b.start(exit)
  }

  /// The most iterations `loop` can run (from the ranges of the dims and enclosing loop variables); nil when unknown.
  private func tripCountBound(_ loop: Loop) -> Int64? {
    guard let lower = BoundsAnalysis.range(of: loop.lowerBound, variables: variableRanges, dims: program.dims),
      let upper = BoundsAnalysis.range(of: loop.upperBound, variables: variableRanges, dims: program.dims)
    else { return nil }
    let (trips, overflow) = upper.upperBound.subtractingReportingOverflow(lower.lowerBound)
    return overflow ? nil : max(0, trips)
  }

  /// Records the range of `loop`'s variable for the loops inside it; returns the range it replaces.
  private func enterRange(of loop: Loop) -> ClosedRange<Int64>? {
    let saved = variableRanges[loop.variable]
    variableRanges[loop.variable] = nil
    if let lower = BoundsAnalysis.range(of: loop.lowerBound, variables: variableRanges, dims: program.dims),
      let upper = BoundsAnalysis.range(of: loop.upperBound, variables: variableRanges, dims: program.dims),
      upper.upperBound > lower.lowerBound
    {
      variableRanges[loop.variable] = lower.lowerBound...(upper.upperBound - 1)
    }
    return saved
  }

  /// Attaches `!llvm.loop !{self, properties...}` to a loop's back edge. The loop ID must refer to itself: it is
  /// built with a unique placeholder first operand, which is then replaced by the node (making it distinct).
  private func attachLoopMetadata(_ branch: LLVMValueRef, _ properties: [LLVMMetadataRef?]) {
    loopCount += 1
    let node = context.mdNode([context.mdString("kevc.loop.\(loopCount)")] + properties)
    let nodeValue = LLVMMetadataAsValue(context.ref, node)
    LLVMReplaceMDNodeOperandWith(nodeValue, 0, node)
    LLVMSetMetadata(branch, context.metadataKind("llvm.loop"), nodeValue)
  }

  // MARK: - Parallel loops

  /// Emits a parallel loop as a call of the runtime's `kevc_parallel_for` on an outlined body (see the file's
  /// summary): `@<name>.par<k>(ctx, begin, end)` loads the captured values and calls the always-inlined
  /// `@<name>.par<k>.body(pointers..., indices..., lower, begin, end)`, whose pointer parameters are `noalias` like
  /// those of the kernel's body function.
  private func emitParallelLoop(_ loop: Loop) throws(DiagnosticError) {
    let lower = try index(emit(loop.lowerBound), what: "the lower bound of loop '\(loop.variable)'")
    let upper = try index(emit(loop.upperBound), what: "the upper bound of loop '\(loop.variable)'")
    // count = max(upper - lower, 0); `upper - lower` wraps only for absurd bounds, never with undefined behaviour.
    let count = b.select(b.icmp(LLVMIntSLT, lower, upper), b.sub(upper, lower), context.i64(0))

    // What the body uses from outside: buffers bound here (locals declared outside are shared) and loop variables.
    var bufferNames: Set<String> = []
    var indexNames: Set<String> = []
    LoopEmitter.collectNames(loop.body, buffers: &bufferNames, indices: &indexNames)
    var capturedBuffers: [(String, BoundBuffer)] = []
    for name in bufferNames.sorted() where buffers[name] != nil || lazyLocals[name] != nil {
      capturedBuffers.append((name, try resolve(name)))
    }
    indexNames.remove(loop.variable)
    let capturedIndices = indexNames.sorted().compactMap { name in indices[name].map { (name, $0) } }

    // The context: one 8-byte slot per captured value, then the lower bound.
    let slotCount = capturedBuffers.count + capturedIndices.count + 1
    let ctx = entryBuilder.alloca(context.i64, count: Int64(slotCount), align: 8, "\(loop.variable).ctx")
    var slotValues: [LLVMValueRef] = capturedBuffers.map(\.1.pointer) + capturedIndices.map(\.1)
    slotValues.append(lower)
    for (k, value) in slotValues.enumerated() {
      b.store(value, b.gep(context.i64, ctx, context.i64(Int64(k)), inbounds: true))
    }

    parallelCount += 1
    let outlinedName = "\(program.name).par\(parallelCount)"
    let (outlined, _) = try declareFunction(outlinedName, [context.ptr, context.i64, context.i64])
    let innerTypes: [LLVMTypeRef] =
      capturedBuffers.map { _ in context.ptr } + capturedIndices.map { _ in context.i64 }
      + [context.i64, context.i64, context.i64]
    let (inner, innerType) = try declareFunction(outlinedName + ".body", innerTypes)
    LoopEmitter.addFunctionAttribute(inner, "alwaysinline", context)
    for k in 0..<capturedBuffers.count {
      LLVMAddAttributeAtIndex(inner, LLVMAttributeIndex(k + 1), context.enumAttribute("noalias"))
    }

    // The outlined entry: unpack the context and call the inner function.
    let unpack = IRBuilder(module: module)
    unpack.position(atEndOf: unpack.appendBlock("entry", to: outlined))
    let ctxParam: LLVMValueRef = LLVMGetParam(outlined, 0)
    setName(ctxParam, "ctx")
    var arguments: [LLVMValueRef?] = []
    for k in 0..<slotCount {
      let type = k < capturedBuffers.count ? context.ptr : context.i64
      arguments.append(unpack.load(type, unpack.gep(context.i64, ctxParam, context.i64(Int64(k)), inbounds: true)))
    }
    for k in 1...2 {
      let param: LLVMValueRef = LLVMGetParam(outlined, UInt32(k))
      setName(param, k == 1 ? "begin" : "end")
      arguments.append(param)
    }
    _ = arguments.withUnsafeMutableBufferPointer {
      LLVMBuildCall2(unpack.ref, innerType, inner, $0.baseAddress, UInt32($0.count), "")
    }
    unpack.retVoid()

    // The inner function: the loop over [lower + begin, lower + end), emitted with the emitter's state switched
    // to it.
    guard let callerBlock = b.currentBlock else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.emissionFailed, "no insertion block for a parallel loop")
    }
    let saved = (function, entryBuilder, entryBlock, buffers, indices)
    function = inner
    entryBuilder = IRBuilder(module: module)
    entryBlock = entryBuilder.appendBlock("entry", to: inner)
    entryBuilder.position(atEndOf: entryBlock)
    buffers = [:]
    indices = [:]
    for (k, (name, bound)) in capturedBuffers.enumerated() {
      let pointer: LLVMValueRef = LLVMGetParam(inner, UInt32(k))
      setName(pointer, name)
      buffers[name] = BoundBuffer(pointer: pointer, buffer: bound.buffer, elementCount: bound.elementCount)
    }
    for (k, (name, _)) in capturedIndices.enumerated() {
      let value: LLVMValueRef = LLVMGetParam(inner, UInt32(capturedBuffers.count + k))
      setName(value, name)
      indices[name] = value
    }
    let base = capturedBuffers.count + capturedIndices.count
    let innerLower: LLVMValueRef = LLVMGetParam(inner, UInt32(base))
    let begin: LLVMValueRef = LLVMGetParam(inner, UInt32(base + 1))
    let end: LLVMValueRef = LLVMGetParam(inner, UInt32(base + 2))
    setName(innerLower, "\(loop.variable).lower")
    setName(begin, "begin")
    setName(end, "end")

    let start = b.appendBlock("body", to: inner)
    b.start(start)
    // 0 <= begin <= end <= count, so lower + begin and lower + end stay within [lower, upper].
    let first = b.add(innerLower, begin, nsw: true)
    let last = b.add(innerLower, end, nsw: true)
    let header = b.appendBlock("\(loop.variable).header", to: inner)
    let body = b.appendBlock("\(loop.variable).body", to: inner)
    let latch = b.appendBlock("\(loop.variable).latch", to: inner)
    let exit = b.appendBlock("\(loop.variable).exit", to: inner)
    b.br(header)
    b.start(header)
    let counter = b.phi(context.i64, loop.variable)
    b.addIncoming(counter, first, start)
    b.condBr(b.icmp(LLVMIntSLT, counter, last), body, exit)
    b.start(body)
    indices[loop.variable] = counter
    let savedRange = enterRange(of: loop)
    try emit(loop.body)
    variableRanges[loop.variable] = savedRange
    b.br(latch)
    b.start(latch)
    let next = b.add(counter, context.i64(1), nsw: true)
    let backEdge = b.br(header)
    b.addIncoming(counter, next, latch)
    attachLoopMetadata(backEdge, [context.mdNode([context.mdString("kevc.loop.parallel")])])
    b.start(exit)
    b.retVoid()
    entryBuilder.br(start)
    (function, entryBuilder, entryBlock, buffers, indices) = saved
    b.position(atEndOf: callerBlock)

    // The call: kevc_parallel_for(count, @outlined, ctx).
    var runtimeParams: [LLVMTypeRef?] = [context.i64, context.ptr, context.ptr]
    let runtimeType = runtimeParams.withUnsafeMutableBufferPointer {
      LLVMFunctionType(context.void, $0.baseAddress, 3, 0)
    }
    var runtime = LoopEmitter.parallelForName.withCString { LLVMGetNamedFunction(module.ref, $0) }
    if runtime == nil {
      runtime = LoopEmitter.parallelForName.withCString { LLVMAddFunction(module.ref, $0, runtimeType) }
      if let runtime { LoopEmitter.addFunctionAttribute(runtime, "nounwind", context) }
    }
    var callArguments: [LLVMValueRef?] = [count, outlined, ctx]
    _ = callArguments.withUnsafeMutableBufferPointer {
      LLVMBuildCall2(b.ref, runtimeType, runtime, $0.baseAddress, 3, "")
    }
  }

  /// Declares an internal `void name(types...)` function that does not unwind.
  private func declareFunction(
    _ name: String, _ types: [LLVMTypeRef]
  ) throws(DiagnosticError) -> (LLVMValueRef, LLVMTypeRef) {
    var params: [LLVMTypeRef?] = types
    let type: LLVMTypeRef = params.withUnsafeMutableBufferPointer {
      LLVMFunctionType(context.void, $0.baseAddress, UInt32($0.count), 0)
    }
    guard let fn = name.withCString({ LLVMAddFunction(module.ref, $0, type) }) else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.emissionFailed, "cannot declare '\(name)'")
    }
    LLVMSetLinkage(fn, LLVMInternalLinkage)
    LoopEmitter.addFunctionAttribute(fn, "nounwind", context)
    return (fn, type)
  }

  /// Every buffer and index variable name the statements mention (shadowing ignored: capturing too much is
  /// harmless).
  private static func collectNames(_ statements: [Stmt], buffers: inout Set<String>, indices: inout Set<String>) {
    func visit(_ e: Expr) {
      e.forEach { node in
        switch node {
        case .index(let name): indices.insert(name)
        case .scalar(let name): buffers.insert(name)
        case .load(let load): buffers.insert(load.tensor)
        case .constant, .dim, .unary, .binary, .select, .cast: break
        }
      }
    }
    for s in statements {
      switch s {
      case .loop(let loop):
        visit(loop.lowerBound)
        visit(loop.upperBound)
        collectNames(loop.body, buffers: &buffers, indices: &indices)
      case .store(let buffer, let idx, let value):
        buffers.insert(buffer)
        idx.forEach(visit)
        visit(value)
      case .ifThen(let condition, let thenBody, let elseBody):
        visit(condition)
        collectNames(thenBody, buffers: &buffers, indices: &indices)
        collectNames(elseBody, buffers: &buffers, indices: &indices)
      case .allocate(_, let body):
        collectNames(body, buffers: &buffers, indices: &indices)
      }
    }
  }

  // MARK: - Reductions in vectorized loops

  /// Marks the combine of an update `buffer[idx] = buffer[idx] <op> e` (a reduction step) inside a vectorized loop
  /// as reassociable (`reassoc contract`), so that the loop vectorizer may keep one partial result per lane; a
  /// product feeding a sum may be contracted into an fma. Only add, mul, max and min combines are marked; max and
  /// min stay `llvm.maximum`/`llvm.minimum` (NaN-propagating).
  private func allowReassociation(ofUpdate value: Expr, to buffer: String, at idx: [Expr], _ ref: LLVMValueRef) {
    guard case .binary(let op, let lhs, let rhs) = value else { return }
    switch op {
    case .add, .mul, .max, .min: break
    case .sub, .div, .mod, .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return
    }
    func isSelfLoad(_ e: Expr) -> Bool {
      if case .load(let l) = e, l.tensor == buffer, l.indices == idx { return true }
      return false
    }
    guard isSelfLoad(lhs) || isSelfLoad(rhs), LLVMIsAInstruction(ref) != nil, LLVMCanValueUseFastMathFlags(ref) != 0
    else { return }
    LLVMSetFastMathFlags(ref, LLVMFastMathFlags(LLVMFastMathAllowReassoc | LLVMFastMathAllowContract))
    guard op == .add else { return }
    for k in 0..<2 {
      guard let operand = LLVMGetOperand(ref, UInt32(k)), LLVMIsAInstruction(operand) != nil,
        LLVMGetInstructionOpcode(operand) == LLVMFMul
      else { continue }
      LLVMSetFastMathFlags(operand, LLVMFastMathFlags(LLVMFastMathAllowContract))
    }
  }

  // MARK: - Buffers and addressing

  /// Whether some statement stores into a local buffer at an index that reads `variable` (an accumulator array
  /// walked by the loop: a register tile), rather than into a scalar accumulator or memory outside.
  /// Marks the vectorized loops in `body` that store into the scalar local `accumulator` and sit inside another
  /// loop of `body` (`depth` counts the loops entered since the allocation).
  private func markShortRows(accumulating accumulator: String, _ body: [Stmt], depth: Int) {
    for s in body {
      switch s {
      case .loop(let l):
        if depth > 0, case .vectorized = l.kind,
          l.body.contains(where: { if case .store(accumulator, [], _) = $0 { return true } else { return false } })
        {
          multiAxisRows.insert(l)
        }
        markShortRows(accumulating: accumulator, l.body, depth: depth + 1)
      case .store: continue
      case .ifThen(_, let t, let e): markShortRows(accumulating: accumulator, t + e, depth: depth)
      case .allocate(_, let inner): markShortRows(accumulating: accumulator, inner, depth: depth)
      }
    }
  }

  /// Whether `body` stores along `variable`: into a local array at any index, or into any buffer at its last index
  /// (contiguously, one vector of a row).
  private func storesAlong(along variable: String, _ body: [Stmt]) -> Bool {
    body.contains { s in
      switch s {
      case .loop(let l): return storesAlong(along: variable, l.body)
      case .store(let name, let indices, _):
        let scope = buffers[name]?.buffer.scope ?? lazyLocals[name]?.scope
        return (scope == .local && indices.contains { $0.indexNames.contains(variable) })
          || (indices.last?.indexNames.contains(variable) ?? false)
      case .ifThen(_, let t, let e): return storesAlong(along: variable, t + e)
      case .allocate(_, let inner): return storesAlong(along: variable, inner)
      }
    }
  }

  private func resolve(_ name: String) throws(DiagnosticError) -> BoundBuffer {
    if let bound = buffers[name] { return bound }
    if let local = lazyLocals[name] {
      let bound = try allocateLocal(local)
      buffers[name] = bound
      return bound
    }
    throw LLVMDiagnostic.error(LLVMDiagnostic.unknownName, "no buffer named '\(name)'")
  }

  private func indexValues(_ exprs: [Expr], for target: BoundBuffer) throws(DiagnosticError) -> [LLVMValueRef] {
    guard exprs.count == target.buffer.shape.count else {
      throw LLVMDiagnostic.error(
        LLVMDiagnostic.invalidProgram,
        "buffer '\(target.buffer.name)' has rank \(target.buffer.shape.count) but is indexed with \(exprs.count) "
          + "indices")
    }
    var out: [LLVMValueRef] = []
    for e in exprs { out.append(try index(emit(e), what: "an index of '\(target.buffer.name)'")) }
    return out
  }

  /// Row-major element offset. Only used for in-bounds indices, so the arithmetic cannot wrap.
  private func linearIndex(_ target: BoundBuffer, _ idx: [LLVMValueRef]) throws(DiagnosticError) -> LLVMValueRef {
    var linear = context.i64(0)
    for (k, i) in idx.enumerated() {
      linear = k == 0 ? i : b.add(b.mul(linear, context.i64(Int64(target.buffer.shape[k])), nsw: true), i, nsw: true)
    }
    return linear
  }

  /// An index value as i64 (signed integers are sign-extended, bool is 0 or 1).
  private func index(_ v: TypedValue, what: String) throws(DiagnosticError) -> LLVMValueRef {
    switch v.dtype {
    case .i64: return v.ref
    case .i8, .i32: return b.cast(LLVMSExt, v.ref, context.i64)
    case .bool: return b.cast(LLVMZExt, v.ref, context.i64)
    case .f16, .bf16, .f32, .f64:
      throw LLVMDiagnostic.error(LLVMDiagnostic.typeMismatch, "\(what) has type \(v.dtype); indices are integers")
    }
  }

  private func asCondition(_ v: TypedValue) throws(DiagnosticError) -> LLVMValueRef {
    try convert(v, to: .bool).ref
  }

  // MARK: - Types and memory

  private func registerType(_ t: DType) -> LLVMTypeRef {
    switch t {
    case .f16, .bf16, .f32: return context.float
    case .f64: return context.double
    case .i8: return context.i8
    case .i32: return context.i32
    case .i64: return context.i64
    case .bool: return context.i1
    }
  }

  private func memoryType(_ t: DType) -> LLVMTypeRef {
    switch t {
    case .f16: return context.half
    case .bf16: return context.i16
    case .f32: return context.float
    case .f64: return context.double
    case .i8, .bool: return context.i8
    case .i32: return context.i32
    case .i64: return context.i64
    }
  }

  private func loadElement(_ target: BoundBuffer, at linear: LLVMValueRef) -> TypedValue {
    let t = target.buffer.dtype
    let address = b.gep(memoryType(t), target.pointer, linear, inbounds: true)
    let raw = b.load(memoryType(t), address)
    switch t {
    case .f16: return TypedValue(ref: b.cast(LLVMFPExt, raw, context.float), dtype: t)
    case .bf16: return TypedValue(ref: extendBF16(raw), dtype: t)
    case .bool: return TypedValue(ref: b.icmp(LLVMIntNE, raw, LLVMConstInt(context.i8, 0, 0)), dtype: t)
    case .f32, .f64, .i8, .i32, .i64: return TypedValue(ref: raw, dtype: t)
    }
  }

  /// A value converted to `dtype` (cast semantics) in its memory representation.
  private func toMemory(_ v: TypedValue, _ dtype: DType) throws(DiagnosticError) -> LLVMValueRef {
    switch dtype {
    case .f16: return b.cast(LLVMFPTrunc, try convert(v, to: .f32).ref, context.half)
    case .bf16: return truncateBF16(try convert(v, to: .f32).ref)
    case .bool: return b.cast(LLVMZExt, try convert(v, to: .bool).ref, context.i8)
    case .f32, .f64, .i8, .i32, .i64: return try convert(v, to: dtype).ref
    }
  }

  /// bf16 bits (i16) -> float: the bits are the high half of an f32.
  private func extendBF16(_ bits: LLVMValueRef) -> LLVMValueRef {
    let wide = b.shl(b.cast(LLVMZExt, bits, context.i32), context.i32(16))
    return b.cast(LLVMBitCast, wide, context.float)
  }

  /// float -> bf16 bits (i16), rounding to nearest-even; NaN stays NaN (quieted, sign kept).
  private func truncateBF16(_ value: LLVMValueRef) -> LLVMValueRef {
    let bits = b.cast(LLVMBitCast, value, context.i32)
    let lsb = b.and(b.lshr(bits, context.i32(16)), context.i32(1))
    let rounded = b.lshr(b.add(b.add(bits, context.i32(0x7FFF)), lsb), context.i32(16))
    let quietNaN = b.or(b.lshr(bits, context.i32(16)), context.i32(0x0040))
    let isNaN = b.fcmp(LLVMRealUNO, value, value)
    return b.cast(LLVMTrunc, b.select(isNaN, quietNaN, rounded), context.i16)
  }

  // MARK: - Expressions

  private func emit(_ expr: Expr) throws(DiagnosticError) -> TypedValue {
    switch expr {
    case .constant(let c):
      return constant(c)
    case .index(let name):
      guard let v = indices[name] else {
        throw LLVMDiagnostic.error(LLVMDiagnostic.unknownName, "no enclosing loop variable named '\(name)'")
      }
      return TypedValue(ref: v, dtype: .i64)
    case .dim(let name):
      guard let v = program.dims[name] else {
        throw LLVMDiagnostic.error(LLVMDiagnostic.unknownName, "dim '\(name)' has no value")
      }
      return TypedValue(ref: context.i64(Int64(v)), dtype: .i64)
    case .scalar(let name):
      let target = try resolve(name)
      guard target.buffer.shape.isEmpty else {
        throw LLVMDiagnostic.error(LLVMDiagnostic.typeMismatch, "'\(name)' is a tensor, not a scalar")
      }
      return loadElement(target, at: context.i64(0))
    case .load(let load):
      return try emitLoad(load)
    case .unary(let op, let operand):
      return try emitUnary(op, try emit(operand))
    case .binary(let op, let lhs, let rhs):
      let l = try emit(lhs)
      let r = try emit(rhs)
      guard l.dtype == r.dtype else {
        throw LLVMDiagnostic.error(
          LLVMDiagnostic.typeMismatch, "operands of '\(op.rawValue)' have types \(l.dtype) and \(r.dtype)")
      }
      // Index arithmetic that the interval analysis bounds (every variable's range known, no step able to wrap)
      // is emitted `nsw`, so that LLVM sees what kevc proved: a compute_at loop `for y.acc.n in n .. (n + 1)`
      // inside a parallel loop otherwise had a zero-trip path at `n == Int64.max`, along which the accumulator
      // tile of the previous iteration survived, kept live in registers across every enclosing loop (spills).
      if l.dtype == .i64, op == .add || op == .sub || op == .mul,
        BoundsAnalysis.range(of: expr, variables: variableRanges, dims: program.dims) != nil
      {
        let v =
          op == .add
          ? b.add(l.ref, r.ref, nsw: true) : op == .sub ? b.sub(l.ref, r.ref, nsw: true) : b.mul(l.ref, r.ref, nsw: true)
        return TypedValue(ref: v, dtype: .i64)
      }
      return try emitBinary(op, l, r)
    case .select(let c, let x, let y):
      let cond = try asCondition(emit(c))
      let a = try emit(x)
      let v = try emit(y)
      guard a.dtype == v.dtype else {
        throw LLVMDiagnostic.error(
          LLVMDiagnostic.typeMismatch, "branches of a select have types \(a.dtype) and \(v.dtype)")
      }
      return TypedValue(ref: b.select(cond, a.ref, v.ref), dtype: a.dtype)
    case .cast(let dtype, let operand):
      return try convert(emit(operand), to: dtype)
    }
  }

  private func constant(_ c: Constant) -> TypedValue {
    let t = c.dtype
    switch t {
    case .f16, .bf16:
      // Round the literal to its type; the builder folds the conversion back to f32 into a constant.
      let narrow: LLVMTypeRef = t == .f16 ? context.half : LLVMBFloatTypeInContext(context.ref)
      return TypedValue(ref: b.cast(LLVMFPExt, context.real(narrow, c.doubleValue), context.float), dtype: t)
    case .f32, .f64:
      return TypedValue(ref: context.real(registerType(t), c.doubleValue), dtype: t)
    case .i8, .i32, .i64:
      let v: Int64
      switch c.value {
      case .int(let x): v = x
      case .bool(let x): v = x ? 1 : 0
      case .float(let x): v = x.isNaN ? 0 : (x >= 0x1p63 ? .max : (x < -0x1p63 ? .min : Int64(x)))
      }
      return TypedValue(ref: context.int(registerType(t), v), dtype: t)  // truncated to the type's width
    case .bool:
      return TypedValue(ref: context.bool(c.doubleValue != 0), dtype: .bool)
    }
  }

  private func emitLoad(_ load: Load) throws(DiagnosticError) -> TypedValue {
    let target = try resolve(load.tensor)
    let idx = try indexValues(load.indices, for: target)
    switch load.bounds {
    case .inBounds:
      return loadElement(target, at: try linearIndex(target, idx))
    case .padded(let padConstant):
      let dtype = target.buffer.dtype
      let pad = try convert(constant(padConstant ?? .zero(dtype)), to: dtype)
      // An empty buffer has no element to read: every index is outside.
      guard target.elementCount > 0 else { return pad }
      // 0 <= i < n for every index, as one unsigned comparison each (a negative i is a huge unsigned value).
      var inside = context.bool(true)
      for (k, i) in idx.enumerated() {
        let inRange = b.icmp(LLVMIntULT, i, context.i64(Int64(target.buffer.shape[k])))
        inside = k == 0 ? inRange : b.and(inside, inRange)
      }
      // Branch around the load, so that an outside index never touches memory.
      guard let before = b.currentBlock else {
        throw LLVMDiagnostic.error(LLVMDiagnostic.emissionFailed, "no insertion block for a load")
      }
      let loadBlock = b.appendBlock("pad.load", to: function)
      let merge = b.appendBlock("pad.end", to: function)
      b.condBr(inside, loadBlock, merge)
      b.start(loadBlock)
      let loaded = loadElement(target, at: try linearIndex(target, idx))
      guard let loadEnd = b.currentBlock else {
        throw LLVMDiagnostic.error(LLVMDiagnostic.emissionFailed, "no insertion block for a load")
      }
      b.br(merge)
      b.start(merge)
      let result = b.phi(registerType(dtype))
      b.addIncoming(result, loaded.ref, loadEnd)
      b.addIncoming(result, pad.ref, before)
      return TypedValue(ref: result, dtype: dtype)
    }
  }

  private func unsupported(_ what: String, _ t: DType) -> DiagnosticError {
    LLVMDiagnostic.error(LLVMDiagnostic.unsupportedOperation, "'\(what)' is not defined on \(t)")
  }

  private func emitUnary(_ op: UnaryOp, _ x: TypedValue) throws(DiagnosticError) -> TypedValue {
    let t = x.dtype
    let type = registerType(t)
    func same(_ v: LLVMValueRef) -> TypedValue { TypedValue(ref: v, dtype: t) }
    func float(_ body: () -> LLVMValueRef) throws(DiagnosticError) -> TypedValue {
      guard t.isFloat else { throw unsupported(op.rawValue, t) }
      return same(body())
    }
    func intrinsic(_ name: String) -> LLVMValueRef { b.callIntrinsic(name, overloads: [type], [x.ref]) }
    let one = { self.context.real(type, 1) }
    // f16/bf16/f32 (float registers) use the vectorizable implementations of VectorMath.swift; f64 uses libm.
    let single = t != .f64
    switch op {
    case .neg:
      if t.isFloat { return same(b.fneg(x.ref)) }
      guard t.isInteger else { throw unsupported(op.rawValue, t) }
      return same(b.sub(context.int(type, 0), x.ref))
    case .not:
      guard t == .bool else { throw unsupported(op.rawValue, t) }
      return same(b.xor(x.ref, context.bool(true)))
    case .abs:
      if t.isFloat { return same(intrinsic("llvm.fabs")) }
      if t == .bool { return x }
      // abs(INT_MIN) wraps to INT_MIN (the `false` flag: not poison).
      return same(b.callIntrinsic("llvm.abs", overloads: [type], [x.ref, context.bool(false)]))
    case .exp: return try float { single ? math.call(.exp, x.ref, at: b) : intrinsic("llvm.exp") }
    case .log: return try float { single ? math.call(.log, x.ref, at: b) : intrinsic("llvm.log") }
    case .sqrt: return try float { intrinsic("llvm.sqrt") }
    case .floor: return try float { intrinsic("llvm.floor") }
    case .ceil: return try float { intrinsic("llvm.ceil") }
    case .tanh: return try float { single ? math.call(.tanh, x.ref, at: b) : intrinsic("llvm.tanh") }
    case .rsqrt: return try float { b.fdiv(one(), intrinsic("llvm.sqrt")) }
    case .sigmoid:
      return try float {
        let minus = b.fneg(x.ref)
        let e = single ? math.call(.exp, minus, at: b) : b.callIntrinsic("llvm.exp", overloads: [type], [minus])
        return b.fdiv(one(), b.fadd(one(), e))
      }
    case .erf:
      return try float { single ? math.call(.erf, x.ref, at: b) : b.callLibrary("erf", type, [x.ref]) }
    case .isnan:
      if t.isFloat { return TypedValue(ref: b.fcmp(LLVMRealUNO, x.ref, x.ref), dtype: .bool) }
      return TypedValue(ref: context.bool(false), dtype: .bool)
    }
  }

  private func emitBinary(_ op: BinaryOp, _ l: TypedValue, _ r: TypedValue) throws(DiagnosticError) -> TypedValue {
    let t = l.dtype
    let type = registerType(t)
    let x = l.ref
    let y = r.ref
    func same(_ v: LLVMValueRef) -> TypedValue { TypedValue(ref: v, dtype: t) }
    func boolean(_ v: LLVMValueRef) -> TypedValue { TypedValue(ref: v, dtype: .bool) }

    if t.isFloat {
      switch op {
      case .add: return same(b.fadd(x, y))
      case .sub: return same(b.fsub(x, y))
      case .mul: return same(b.fmul(x, y))
      case .div: return same(b.fdiv(x, y))
      case .mod:
        // Floored (torch.remainder): x - y * floor(x / y).
        let q = b.callIntrinsic("llvm.floor", overloads: [type], [b.fdiv(x, y)])
        return same(b.fsub(x, b.fmul(y, q)))
      case .max: return same(b.callIntrinsic("llvm.maximum", overloads: [type], [x, y]))
      case .min: return same(b.callIntrinsic("llvm.minimum", overloads: [type], [x, y]))
      case .pow:
        // f16/bf16/f32 (float registers): the vectorizable pow of VectorMath.swift; f64 uses libm.
        if t != .f64 { return same(math.call(.pow, x, y, at: b)) }
        return same(b.callIntrinsic("llvm.pow", overloads: [type], [x, y]))
      case .eq: return boolean(b.fcmp(LLVMRealOEQ, x, y))
      case .ne: return boolean(b.fcmp(LLVMRealUNE, x, y))
      case .lt: return boolean(b.fcmp(LLVMRealOLT, x, y))
      case .le: return boolean(b.fcmp(LLVMRealOLE, x, y))
      case .gt: return boolean(b.fcmp(LLVMRealOGT, x, y))
      case .ge: return boolean(b.fcmp(LLVMRealOGE, x, y))
      case .and, .or: throw unsupported(op.rawValue, t)
      }
    }

    if t == .bool {
      switch op {
      case .and, .min: return same(b.and(x, y))
      case .or, .max: return same(b.or(x, y))
      case .eq: return boolean(b.icmp(LLVMIntEQ, x, y))
      case .ne: return boolean(b.icmp(LLVMIntNE, x, y))
      case .lt: return boolean(b.icmp(LLVMIntULT, x, y))
      case .le: return boolean(b.icmp(LLVMIntULE, x, y))
      case .gt: return boolean(b.icmp(LLVMIntUGT, x, y))
      case .ge: return boolean(b.icmp(LLVMIntUGE, x, y))
      case .add, .sub, .mul, .div, .mod, .pow: throw unsupported(op.rawValue, t)
      }
    }

    // Integers: wrapping arithmetic, floored division.
    switch op {
    case .add: return same(b.add(x, y))
    case .sub: return same(b.sub(x, y))
    case .mul: return same(b.mul(x, y))
    case .div: return same(floorDivide(x, y, type, wantRemainder: false))
    case .mod: return same(floorDivide(x, y, type, wantRemainder: true))
    case .max: return same(b.callIntrinsic("llvm.smax", overloads: [type], [x, y]))
    case .min: return same(b.callIntrinsic("llvm.smin", overloads: [type], [x, y]))
    case .eq: return boolean(b.icmp(LLVMIntEQ, x, y))
    case .ne: return boolean(b.icmp(LLVMIntNE, x, y))
    case .lt: return boolean(b.icmp(LLVMIntSLT, x, y))
    case .le: return boolean(b.icmp(LLVMIntSLE, x, y))
    case .gt: return boolean(b.icmp(LLVMIntSGT, x, y))
    case .ge: return boolean(b.icmp(LLVMIntSGE, x, y))
    case .pow, .and, .or: throw unsupported(op.rawValue, t)
    }
  }

  /// Floored quotient or remainder (Python semantics) with no undefined behaviour: a zero divisor gives 0, and
  /// `MIN / -1` wraps to MIN (its remainder is 0).
  private func floorDivide(
    _ x: LLVMValueRef, _ y: LLVMValueRef, _ type: LLVMTypeRef, wantRemainder: Bool
  ) -> LLVMValueRef {
    let zero = context.int(type, 0)
    let one = context.int(type, 1)
    let divisorIsZero = b.icmp(LLVMIntEQ, y, zero)
    let divisorIsMinusOne = b.icmp(LLVMIntEQ, y, context.int(type, -1))
    // Divide by 1 instead of 0 or -1 (the only divisors that can fault); the results are fixed up below.
    let safe = b.select(b.or(divisorIsZero, divisorIsMinusOne), one, y)
    let q = b.sdiv(x, safe)
    let r = b.srem(x, safe)
    // Truncated -> floored: when the remainder is non-zero and its sign differs from the divisor's.
    let adjust = b.and(b.icmp(LLVMIntNE, r, zero), b.icmp(LLVMIntSLT, b.xor(r, safe), zero))
    if wantRemainder {
      let floored = b.select(adjust, b.add(r, safe), r)
      return b.select(divisorIsZero, zero, floored)  // x mod -1 == 0 == r here
    }
    let floored = b.select(adjust, b.sub(q, one), q)
    let negated = b.sub(zero, x)  // x / -1, wrapping
    return b.select(divisorIsZero, zero, b.select(divisorIsMinusOne, negated, floored))
  }

  // MARK: - Conversions

  /// `cast(dtype, v)`: floats round to nearest-even, float -> int saturates (NaN -> 0), number -> bool is `!= 0`,
  /// bool -> number is 0 or 1.
  private func convert(_ v: TypedValue, to dtype: DType) throws(DiagnosticError) -> TypedValue {
    let from = v.dtype
    if from == dtype { return v }
    let target = registerType(dtype)
    func result(_ r: LLVMValueRef) -> TypedValue { TypedValue(ref: r, dtype: dtype) }

    switch dtype {
    case .bool:
      if from.isFloat { return result(b.fcmp(LLVMRealUNE, v.ref, context.real(registerType(from), 0))) }
      return result(b.icmp(LLVMIntNE, v.ref, context.int(registerType(from), 0)))

    case .i8, .i32, .i64:
      if from.isFloat {
        return result(b.callIntrinsic("llvm.fptosi.sat", overloads: [target, registerType(from)], [v.ref]))
      }
      if from == .bool { return result(b.cast(LLVMZExt, v.ref, target)) }
      let fromBits = from.byteSize
      let toBits = dtype.byteSize
      if fromBits == toBits { return result(v.ref) }
      return result(b.cast(fromBits < toBits ? LLVMSExt : LLVMTrunc, v.ref, target))

    case .f64:
      if from.isFloat { return result(b.cast(LLVMFPExt, v.ref, target)) }  // f16/bf16/f32 widen exactly
      return result(b.cast(from == .bool ? LLVMUIToFP : LLVMSIToFP, v.ref, target))

    case .f32, .f16, .bf16:
      // First to f32 (f64 -> f16/bf16 rounds twice, through f32)...
      let single: LLVMValueRef
      if from == .f64 {
        single = b.cast(LLVMFPTrunc, v.ref, context.float)
      } else if from.isFloat {
        single = v.ref
      } else {
        single = b.cast(from == .bool ? LLVMUIToFP : LLVMSIToFP, v.ref, context.float)
      }
      // ...then round to the narrow type, keeping the rounded value in an f32 register.
      switch dtype {
      case .f16: return result(b.cast(LLVMFPExt, b.cast(LLVMFPTrunc, single, context.half), context.float))
      case .bf16: return result(extendBF16(truncateBF16(single)))
      case .f32, .f64, .i8, .i32, .i64, .bool: return result(single)
      }
    }
  }
}
