import Foundation
import KevcBasic
import KevcDriver
import KevcTransforms
import Testing

/// The hand traces the benchmarks run (bench/gpu/<spec>[.<variant>].trace on Triton, bench/cpu/<kernel>.trace on
/// LLVM) must still apply to their specs: a change to a transform's naming (a copy that compute_at no longer makes)
/// turned two layernorm traces into compile errors that only the GPU benchmark saw.
@Suite struct BenchTraceTests {
  static let cpuSpecs = [
    "matmul": "specs/matmul.kev", "softmax": "specs/softmax.kev", "rmsnorm": "bench/cpu/specs/rmsnorm_f32.kev",
    "layernorm": "specs/layernorm.kev", "conv1d": "bench/cpu/specs/conv1d_f32.kev",
    "elementwise_chain": "specs/elementwise_chain.kev",
  ]

  static func gpuSpec(_ stem: String) -> String {
    let own = "bench/gpu/specs/\(stem).kev"
    return FileManager.default.fileExists(atPath: Paths.inRepository(own).path) ? own : "specs/\(stem).kev"
  }

  static var gpuTraces: [String] { Paths.files(in: "bench/gpu", withExtension: "trace").map(\.lastPathComponent) }
  static var cpuTraces: [String] { Paths.files(in: "bench/cpu", withExtension: "trace").map(\.lastPathComponent) }

  func compile(_ spec: String, trace: String, target: CompileTarget, stage: Stage) throws {
    let specURL = Paths.inRepository(spec)
    let traceURL = Paths.inRepository(trace)
    let schedule = try Trace.parse(
      SourceFile(path: traceURL.path, text: try String(contentsOf: traceURL, encoding: .utf8)))
    var request = CompileRequest(
      source: SourceFile(path: specURL.path, text: try String(contentsOf: specURL, encoding: .utf8)), kind: .spec,
      stages: [stage], schedule: schedule)
    request.target = target
    do {
      _ = try Compiler.compile(request)
    } catch {
      Issue.record("\(trace) on \(spec): \(error.diagnostics.map(\.message).joined(separator: "; "))")
    }
  }

  @Test(arguments: gpuTraces) func gpuHandTraceCompilesForTriton(_ name: String) throws {
    let stem = String(name.prefix { $0 != "." })
    try compile(Self.gpuSpec(stem), trace: "bench/gpu/\(name)", target: .triton, stage: .triton)
  }

  @Test(arguments: cpuTraces) func cpuHandTraceCompilesForLLVM(_ name: String) throws {
    let stem = String(name.prefix { $0 != "." })
    let spec = try #require(Self.cpuSpecs[stem], "bench/cpu/\(name) has no spec in this test's table")
    try compile(spec, trace: "bench/cpu/\(name)", target: .llvm, stage: .llvm)
  }
}
