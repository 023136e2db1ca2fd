/// The host CPU as an LLVM target: triple, CPU name and features, the O0-O3 pass pipelines, and code emission.
///
/// Optimisation and code generation use the same machine description, so the IR is tuned (vector widths, costs)
/// for the CPU that will run it.
import CLLVM
import Foundation
import KevcBasic

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
    let defaultTriple = takeLLVMMessage(LLVMGetDefaultTargetTriple())
    let triple = takeLLVMMessage(defaultTriple.withCString { LLVMNormalizeTargetTriple($0) })
    // `native` (or no name) is this machine's CPU and features. LLVM itself warns about a name it does not know.
    let cpuName = cpuName == "native" ? nil : cpuName
    let cpu = cpuName ?? takeLLVMMessage(LLVMGetHostCPUName())
    // AVX-512 is turned off: LLVM 22's x86 back end lowers a one-lane masked store of a truncated <4 x i16> to a
    // 4-byte vmovss when AVX-512BW/VL are on, writing past the end of the buffer (seen on bf16 tails; reproduced
    // with llc). AVX2 vectors (256 bits) are what the schedules target anyway.
    // A named CPU brings its own features (plus any given); only the host's are read from this machine.
    // A named CPU that has AVX-512 (znver4, sapphirerapids) gets it turned off below through `-avx512f`.
    let base = cpuName == nil ? takeLLVMMessage(LLVMGetHostCPUFeatures()) : (triple.hasPrefix("x86_64") ? "-avx512f" : "")
    let requested = [base, featureList ?? ""].filter { !$0.isEmpty }.joined(separator: ",")
    let features = requested.split(separator: ",").map { feature in
      feature.hasPrefix("+avx512") ? "-" + feature.dropFirst() : Substring(feature)
    }.joined(separator: ",")

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

  /// Sets the module's triple and data layout to this machine's.
  func configure(_ module: IRModule) {
    triple.withCString { LLVMSetTarget(module.ref, $0) }
    let layout = LLVMCreateTargetDataLayout(ref)
    LLVMSetModuleDataLayout(module.ref, layout)
    LLVMDisposeTargetData(layout)
  }

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
