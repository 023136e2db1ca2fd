/// The host CPU as an LLVM target: triple, CPU name and features, the O0-O3 pass pipelines, and code emission.
///
/// Optimisation and code generation use the same machine description, so the IR is tuned (vector widths, costs)
/// for the CPU that will run it.
import CLLVM
import Foundation
import KevcBasic
import KevcIR
import KevcLowering

/// Registers the native target, its assembly printer and parser with LLVM, once per process (Swift runs the
/// initialiser of a global exactly once, under a lock).
private let nativeTargetReady: Bool = {
  LLVMInitializeNativeTarget() == 0 && LLVMInitializeNativeAsmPrinter() == 0 && LLVMInitializeNativeAsmParser() == 0
}()

final class HostTargetMachine {
  let ref: LLVMTargetMachineRef
  let triple: String
  let cpu: String
  let features: String
  let optimizationLevel: Int

  /// The host CPU, or the CPU `cpuName` with `featureList` (LLVM spellings) for a portable build.
  init(optimizationLevel: Int, cpu cpuName: String? = nil, features featureList: String? = nil) throws(DiagnosticError) {
    guard nativeTargetReady else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.targetUnavailable, "llvm has no native target for this machine")
    }
    let triple = LLVMTarget.triple
    // `native` (or no name) is this machine's CPU and features. LLVM itself warns about a name it does not know.
    let cpuName = cpuName == "native" ? nil : cpuName
    let cpu = cpuName ?? takeLLVMMessage(LLVMGetHostCPUName())
    let features = LLVMTarget.features(cpu: cpuName, features: featureList)

    var target: LLVMTargetRef?
    var message: UnsafeMutablePointer<CChar>?
    let failed = triple.withCString { LLVMGetTargetFromTriple($0, &target, &message) }
    let text = takeLLVMMessage(message)
    guard failed == 0, let target else {
      throw LLVMDiagnostic.error(
        LLVMDiagnostic.targetUnavailable, "no llvm target for '\(triple)': \(cleanLLVMText(text))")
    }
    let level: LLVMCodeGenOptLevel
    switch optimizationLevel {
    case ...0: level = LLVMCodeGenLevelNone
    case 1: level = LLVMCodeGenLevelLess
    case 2: level = LLVMCodeGenLevelDefault
    default: level = LLVMCodeGenLevelAggressive
    }
    let machine = triple.withCString { t in
      cpu.withCString { c in
        features.withCString { f in
          LLVMCreateTargetMachine(target, t, c, f, level, LLVMRelocPIC, LLVMCodeModelDefault)
        }
      }
    }
    guard let machine else {
      throw LLVMDiagnostic.error(
        LLVMDiagnostic.targetUnavailable, "cannot create a target machine for '\(triple)' (\(cpu))")
    }
    self.ref = machine
    self.triple = triple
    self.cpu = cpu
    self.features = features
    self.optimizationLevel = optimizationLevel
  }

  /// False once ORC owns the machine.
  private var owned = true

  deinit {
    if owned { LLVMDisposeTargetMachine(ref) }
  }

  /// Sets the module's triple and data layout to this machine's. With AVX-512 (`wideVectors`), each function the
  /// module defines gets `"prefer-vector-width"="256"`, so that LLVM's own vectorizer keeps choosing the AVX2 widths
  /// it chose before AVX-512 was turned on, and `"min-legal-vector-width"="512"`, so that the vectors a schedule asks
  /// for (`vectorize(y, j, 32)`: rule 3a's tile of two zmm vectors) are kept in 512-bit registers: with the first
  /// attribute alone LLVM splits them into 256-bit halves.
  func configure(_ module: IRModule) {
    triple.withCString { LLVMSetTarget(module.ref, $0) }
    let layout = LLVMCreateTargetDataLayout(ref)
    LLVMSetModuleDataLayout(module.ref, layout)
    LLVMDisposeTargetData(layout)
    guard wideVectors else { return }
    let context = LLVMGetModuleContext(module.ref)
    func attribute(_ key: String, _ value: String) -> LLVMAttributeRef? {
      key.withCString { k in
        value.withCString { v in
          LLVMCreateStringAttribute(context, k, UInt32(key.utf8.count), v, UInt32(value.utf8.count))
        }
      }
    }
    let functionIndex = LLVMAttributeIndex.max  // LLVMAttributeFunctionIndex, ~0U
    var function = LLVMGetFirstFunction(module.ref)
    while let f = function {
      if LLVMCountBasicBlocks(f) > 0 {
        LLVMAddAttributeAtIndex(f, functionIndex, attribute("prefer-vector-width", "256"))
        LLVMAddAttributeAtIndex(f, functionIndex, attribute("min-legal-vector-width", "512"))
      }
      function = LLVMGetNextFunction(f)
    }
  }

  /// Whether the machine has AVX-512F (its feature string enables `avx512f`): 32 vector registers of 64 bytes.
  var wideVectors: Bool { ScheduleCost.Machine().vectorUnit(llvmFeatures: features).vectorBytes == 64 }

  /// Runs LLVM's standard `default<On>` pipeline for this machine over the module, in place.
  func optimize(_ module: IRModule) throws(DiagnosticError) {
    let level = max(0, min(3, optimizationLevel))
    let options = LLVMCreatePassBuilderOptions()
    defer { LLVMDisposePassBuilderOptions(options) }
    let vectorize: LLVMBool = level >= 2 ? 1 : 0
    LLVMPassBuilderOptionsSetLoopVectorization(options, vectorize)
    LLVMPassBuilderOptionsSetSLPVectorization(options, vectorize)
    LLVMPassBuilderOptionsSetLoopInterleaving(options, vectorize)
    LLVMPassBuilderOptionsSetLoopUnrolling(options, level >= 1 ? 1 : 0)
    let error = "default<O\(level)>".withCString { LLVMRunPasses(module.ref, $0, ref, options) }
    try checkLLVMError(error, LLVMDiagnostic.optimizationFailed, "the llvm pass pipeline failed")
    MaskedStores.scalarizeOneLane(module)
  }

  /// Code for the module as assembly text or an object file. Works on a clone: codegen rewrites the IR it consumes.
  func emit(_ module: IRModule, as fileType: LLVMCodeGenFileType) throws(DiagnosticError) -> [UInt8] {
    let copy = module.clone()
    var message: UnsafeMutablePointer<CChar>?
    var buffer: LLVMMemoryBufferRef?
    let failed = LLVMTargetMachineEmitToMemoryBuffer(ref, copy.ref, fileType, &message, &buffer)
    let text = takeLLVMMessage(message)
    guard failed == 0, let buffer else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.emissionFailed, "llvm code generation failed: \(cleanLLVMText(text))")
    }
    defer { LLVMDisposeMemoryBuffer(buffer) }
    let size = LLVMGetBufferSize(buffer)
    guard let start = LLVMGetBufferStart(buffer), size > 0 else { return [] }
    return start.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
  }

  /// A second, independent machine with the same description, for ORC (which takes ownership of the one it gets).
  func makeTargetMachineForJIT() throws(DiagnosticError) -> LLVMTargetMachineRef {
    let copy = try HostTargetMachine(optimizationLevel: optimizationLevel, cpu: cpu, features: features)
    return copy.releaseOwnership()
  }

  private func releaseOwnership() -> LLVMTargetMachineRef {
    owned = false
    return ref
  }
}

/// The LLVM target kevc compiles CPU kernels for: this machine's triple, and the features of its CPU or of a named one.
public enum LLVMTarget {
  /// LLVM's normalised triple of this machine.
  public static var triple: String {
    let defaultTriple = takeLLVMMessage(LLVMGetDefaultTargetTriple())
    return takeLLVMMessage(defaultTriple.withCString { LLVMNormalizeTargetTriple($0) })
  }

  /// The feature string a target machine is created with: this machine's features (`cpu` nil or `native`), or the
  /// named CPU's own (`znver4`, `x86-64-v3`) less AVX-512 on x86 (`-avx512f`, as before AVX-512 was kept for the
  /// host: a portable build's schedule is sized for AVX2), then `features` (LLVM spellings, `+avx2,+avx512f`; a
  /// later mention wins). The host's AVX-512 is kept here; `LLVMCompiledModule.compile` turns it off for a program
  /// without 512-bit vectors (`asksForWideVectors`). With it, LLVM 22's x86 back end stores a one-lane masked store
  /// of a truncated vector (`trunc <4 x i32> to <4 x i16>`, a bf16 tail) as the wide lane (`vmovss`, 4 bytes for 2,
  /// past the end of the buffer), with any AVX-512 subset (F alone for i64 to i32; BW and VL together for i32 to
  /// i16 and to i8: lowering/llvm/avx512_one_lane_masked_store.ll, masked_store_exhaustive.py);
  /// `MaskedStores.scalarizeOneLane` rewrites every such store into a scalar store after the optimisation pipeline,
  /// before code generation.
  public static func features(cpu: String? = nil, features featureList: String? = nil) -> String {
    let cpuName = cpu == "native" ? nil : cpu
    let base = cpuName == nil ? takeLLVMMessage(LLVMGetHostCPUFeatures()) : (triple.hasPrefix("x86_64") ? "-avx512f" : "")
    return [base, featureList ?? ""].filter { !$0.isEmpty }.joined(separator: ",")
  }

  /// Whether `program` has a vectorized loop of 64 bytes of lanes or more (16 lanes of f32, or of a 16-bit float
  /// computed in f32; 8 of a 64-bit type): what 512-bit registers hold, and what rule 3a's register tile asks for
  /// where the target has AVX-512 (`ScheduleCost.Machine.vectorBytes`). A kernel without one is compiled with
  /// AVX-512 off (`LLVMCompiledModule.compile`), as every kernel was before.
  public static func asksForWideVectors(_ program: LoopProgram) -> Bool {
    let dtypes = Dictionary(
      (program.params + program.results + program.temporaries).map { ($0.name, $0.dtype) }, uniquingKeysWith: { a, _ in a })
    func laneBytes(_ body: [Stmt]) -> Int {
      body.map { s -> Int in
        switch s {
        case .store(let buffer, _, _): return max(4, dtypes[buffer]?.byteSize ?? 4)
        case .loop(let l): return laneBytes(l.body)
        case .ifThen(_, let a, let b): return max(laneBytes(a), laneBytes(b))
        case .allocate(_, let b): return laneBytes(b)
        }
      }.max() ?? 4
    }
    func wide(_ body: [Stmt]) -> Bool {
      body.contains { s in
        switch s {
        case .store: return false
        case .loop(let l):
          if case .vectorized(let width) = l.kind, width * laneBytes(l.body) >= 64 { return true }
          return wide(l.body)
        case .ifThen(_, let a, let b): return wide(a) || wide(b)
        case .allocate(_, let b): return wide(b)
        }
      }
    }
    return wide(program.body)
  }
}
