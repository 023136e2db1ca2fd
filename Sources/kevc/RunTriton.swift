import ArgumentParser
import Foundation
import KevcBasic
import KevcDriver
import KevcSearch

/// `kevc run --target triton|hip|cute`: emits the target's harness module ('triton', 'hip-py' or 'cute') and the
/// torch reference module
/// ('torch-ref', from the unscheduled IR), runs the GPU harness (`python3 -m kevc_gpu run`, PYTHONPATH=<repo>/python)
/// and prints its summary (with --with-default-shape the spec's own shape is a second case, checked in the same worker
/// as a search candidate's; --report-json keeps the raw summary). Exit status: 0 PASS, 3 FLAGGED (correct but suspiciously fast), 1 otherwise.
extension Run {
  func runTriton() throws {
    var source: SourceFile?
    var status = "error"
    do throws(DiagnosticError) {
      let here = SourceLocation(file: "kevc", line: 0, column: 0)
      let tritonStage: Stage
      switch CompileTarget(rawValue: options.target) {
      case .hip?: tritonStage = .hipModule
      case .cute?: tritonStage = .cute
      case .triton?, .llvm?, nil: tritonStage = .triton
      }
      var request = try options.request(stages: [.torchRef, tritonStage])
      try tuning.apply(to: &request)
      source = request.source
      let result = try Compiler.compile(request, observer: options.observer)
      guard let kernelData = result.artifacts[tritonStage], let refData = result.artifacts[.torchRef] else {
        throw DiagnosticError(
          .error(DiagnosticID("driver", "gpu-harness"), "the compile produced no \(tritonStage.rawValue) or torch-ref module", at: here))
      }
      let kernel = result.boundKernel ?? result.kernel
      let label = kernel.dims.compactMap { d in d.value.map { "\(d.name)=\($0)" } }.joined(separator: ",")
      let budget = deviceMemory.map { min(max(1, $0), 1 << 30) << 20 }
      var harnessOptions = GPUHarness.Options(
        trials: max(0, trials), timingCalls: max(0, iterations) * max(1, repeats), timeout: gpuTimeout,
        seed: seed, eagerCalls: max(0, eagerCalls), server: harnessServer)
      harnessOptions.targetLabel = options.target
      if let timingSeconds, timingSeconds.isFinite, timingSeconds > 0 { harnessOptions.timingSeconds = timingSeconds }
      harnessOptions.costLimitSeconds = costLimitSeconds
      var cases = [
        GPUHarness.Case(
          kernelModule: String(decoding: kernelData, as: UTF8.self),
          referenceModule: String(decoding: refData, as: UTF8.self), label: label,
          footprint: budget.map { EvaluationFootprint.of(kernel).planJSON(budget: $0) })
      ]
      if withDefaultShape, !request.shapeOverrides.isEmpty {
        // The search's two cases of a candidate (WorkerProtocol.runGPU): the spec's small, odd default shape
        // checked under every distribution in the same worker, after the timed case.
        var small = request
        small.shapeOverrides = [:]
        let compiled = try Compiler.compile(small, observer: options.observer)
        if let k = compiled.artifacts[tritonStage], let r = compiled.artifacts[.torchRef] {
          let smallKernel = compiled.boundKernel ?? compiled.kernel
          let smallLabel = smallKernel.dims.compactMap { d in d.value.map { "\(d.name)=\($0)" } }.joined(separator: ",")
          if smallLabel != label {
            cases.append(
              GPUHarness.Case(
                kernelModule: String(decoding: k, as: UTF8.self), referenceModule: String(decoding: r, as: UTF8.self),
                label: smallLabel, footprint: budget.map { EvaluationFootprint.of(smallKernel).planJSON(budget: $0) }))
            harnessOptions.oneWorker = true
          }
        }
      }
      let outcome = try GPUHarness.run(cases: cases, kernelName: kernel.name, options: harnessOptions)
      print(outcome.text)
      if let reportJson {
        guard FileManager.default.createFile(atPath: reportJson, contents: Data((outcome.json + "\n").utf8)) else {
          throw DiagnosticError(.error(DiagnosticID("driver", "io"), "cannot write '\(reportJson)'", at: here))
        }
      }
      status = outcome.status
    } catch {
      throw options.fail(error, source: source)
    }
    if status == "flagged" { throw ExitCode(3) }
    if status != "ok" { throw ExitCode(1) }
  }
}
