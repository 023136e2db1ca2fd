import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms
import KevcTriton
import Testing

/// Every sketch (`GPUSketch.all`) of the 12 bench/gpu ops at their bench shapes is a module Triton compiles: the
/// portable sketches for cuda:90 and hip:gfx942, the ones sized to the H100 (what the search starts from on an
/// sm_90 device) for cuda:90. Skipped like `TritonAOTTests` when triton cannot be imported.
@Suite(.serialized) struct SketchAOTTests {
  static let ops = [
    "attention", "conv1d", "conv2d", "depthwise_conv1d", "fm_interaction", "jagged_truncate", "layernorm",
    "matmul_bias_gelu", "rmsnorm", "rmsnorm_backward", "softmax",
  ]

  static var specs: [URL] {
    ops.map { TritonTestSupport.inRepository("specs/\($0).kev") } + [TritonTestSupport.inRepository("bench/gpu/specs/matmul_bf16.kev")]
  }

  @Test func everySketchOfTheBenchOpsCompiles() throws {
    guard let version = TritonTestSupport.tritonVersion else {
      print("skipped: \(TritonAOT.python) cannot import triton (pip install triton==3.6.0, or set KEVC_PYTHON)")
      return
    }
    let dir = try TritonTestSupport.scratchDirectory("sketches")
    defer { try? FileManager.default.removeItem(at: dir) }
    var portable: [String] = []
    var h100: [String] = []
    var fusedKernels = 0
    for spec in Self.specs {
      let bench = try TritonTestSupport.benchShape(spec)
      let kernel = try TritonTestSupport.bound(spec, bench)
      let base = spec.deletingPathExtension().lastPathComponent
      for (capability, label) in [(GPUCapability.portable, "portable"), (GPUCapability.cudaSM90, "h100")] {
        for sketch in DefaultSchedule.gpuSketches(for: kernel, capability: capability) {
          if sketch.name.hasPrefix("fused"), sketch.trace.steps.contains(where: {
            if case .computeAt = $0 { return true }
            return false
          }) {
            fusedKernels += 1
          }
          let path = dir.appendingPathComponent("\(base).\(label).\(sketch.name).py").path
          try TritonTestSupport.module(spec, trace: sketch.trace, overrides: bench).write(toFile: path, atomically: true, encoding: .utf8)
          if label == "portable" { portable.append(path) } else { h100.append(path) }
        }
      }
    }
    let start = Date()
    let outcomes = try TritonAOT.compile(modules: portable, targets: TritonAOTTests.targets, jobs: 2)
      + TritonAOT.compile(modules: h100, targets: ["cuda:90"], jobs: 2)
    print("triton \(version): \(outcomes.count) sketch kernel compiles in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    for f in outcomes where !f.ok {
      Issue.record("\(URL(fileURLWithPath: f.module).lastPathComponent): \(f.kernel ?? "-") for \(f.target ?? "-"): \(f.error ?? "")")
    }
    #expect(Set(outcomes.map(\.module)) == Set(portable + h100))
    #expect(fusedKernels >= 6)  // the fused sketches apply to the contractions and convolutions with a cast epilogue
  }
}
