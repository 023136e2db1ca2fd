import Foundation
import KevcBasic
import KevcDriver
import Testing

/// The Swift side of the GPU harness (here usually without a GPU): the modules reach the Python harness and its
/// JSON comes back; with `oneWorker` the cases of one candidate share one worker process.
@Suite struct GPUHarnessTests {
  func modules(_ shape: [String: Int]) throws -> (String, String) {
    let spec = Paths.inRepository("specs/softmax.kev")
    var request = CompileRequest(
      source: SourceFile(path: spec.path, text: try String(contentsOf: spec, encoding: .utf8)), kind: .spec,
      shapeOverrides: shape, stages: [.torchRef, .triton])
    request.target = .triton
    let compiled = try Compiler.compile(request)
    let kernel = try #require(compiled.artifacts[.triton])
    let reference = try #require(compiled.artifacts[.torchRef])
    return (String(decoding: kernel, as: UTF8.self), String(decoding: reference, as: UTF8.self))
  }

  @Test func casesOfOneCandidateShareOneWorker() throws {
    let (k1, r1) = try modules(["M": 64, "N": 128])
    let (k2, r2) = try modules([:])
    let cases = [
      GPUHarness.Case(kernelModule: k1, referenceModule: r1, label: "M=64,N=128"),
      GPUHarness.Case(kernelModule: k2, referenceModule: r2, label: "default"),
    ]
    for oneWorker in [true, false] {
      let outcome = try GPUHarness.run(
        cases: cases, kernelName: "softmax",
        options: GPUHarness.Options(trials: 1, timingCalls: 0, timeout: 60, seed: 1, oneWorker: oneWorker))
      let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.json.utf8)) as? [String: Any])
      let results = try #require(object["cases"] as? [[String: Any]])
      #expect(results.count == 2)
      let workers = results.compactMap { $0["worker"] as? [String: Any] }
      #expect(workers.count == 2)
      // Without a GPU every case fails ("no CUDA device", or no torch at all); the way they ran shows anyway.
      if oneWorker {
        #expect(workers.allSatisfy { ($0["shared_by_cases"] as? Int) == 2 })
      } else {
        #expect(workers.allSatisfy { $0["shared_by_cases"] == nil })
      }
    }
  }

  /// A pass whose bound the dtype's own error widened says so; a plain pass and a failure print as before, and a
  /// case's notes (a dtype error not measured) are shown.
  @Test func aWidenedPassIsSaidAndNotesAreShown() {
    func trial(_ result: [String: Any]) -> [String: Any] {
      ["trials": [["distribution": "normal", "seed": 7, "results": ["y": result]]],
       "notes": ["the dtype's own error was not measured (OutOfMemoryError: ...); the plain tolerance applies"]]
    }
    let widened: [String: Any] = ["cases": [trial(["passed": true, "max_abs": 3e-4, "max_rel": 1e-3, "widening": 9.5])],
                                  "status": "ok"]
    let text = GPUHarness.render(widened, kernelName: "k", shapeLabel: "bench")
    #expect(text.contains("y: max abs 0.0003 rel 0.001 (within 9.5x the tolerance: the dtype's own error on this input)"))
    #expect(text.contains("  note: the dtype's own error was not measured"))
    let plain: [String: Any] = ["cases": [trial(["passed": true, "max_abs": 3e-4, "max_rel": 1e-3, "widening": 1.0])],
                                "status": "ok"]
    #expect(!GPUHarness.render(plain, kernelName: "k", shapeLabel: "bench").contains("within"))
  }
}
