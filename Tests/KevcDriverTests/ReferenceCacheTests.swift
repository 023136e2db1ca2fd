/// The CPU search's reference cache (issue 17): a reference is interpreted once per (spec IR, shape, seed,
/// distribution), read back exactly (values and leeway) by later candidates, and a damaged file is computed again.
import Foundation
import KevcBasic
import KevcDriver
import KevcInterpreter
import Testing

@Suite struct ReferenceCacheTests {
  @Test func aReferenceIsInterpretedOnceAndReadBackExactly() throws {
    let spec = "kernel sm(x: f32[M, N]) -> (y: f32[M, N]) {\n  dims M = 3, N = 7\n  mx[i] = max(j) x[i, j]\n"
      + "  e[i, j] = exp(x[i, j] - mx[i])\n  s[i] = sum(j) e[i, j]\n  y[i, j] = e[i, j] / s[i]\n}\n"
    let front = try Compiler.compile(
      CompileRequest(source: SourceFile(path: "sm.kev", text: spec), kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding(["M": 5, "N": 9], location: .unknown)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-refs-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let cache = ReferenceCache(directory: dir)
    let inputs = RandomInputs.generate(for: bound, seed: 42, distribution: .uniform)
    let first = try cache.reference(spec: bound, key: "k", seed: 42, distribution: .uniform, inputs: inputs)
    let second = try cache.reference(spec: bound, key: "k", seed: 42, distribution: .uniform, inputs: inputs)
    #expect(first.source == "computed" && second.source == "cached")
    let direct = try Interpreter.runWithLeeway(bound, inputs: inputs)
    #expect(second.reference.values == direct.values && second.reference.values["y"]?.values.count == 45)
    #expect(second.reference.leeway == direct.leeway.filter { !$0.value.isEmpty })
    // Another seed is another file; a damaged one is interpreted again, never trusted.
    #expect(try cache.reference(spec: bound, key: "k", seed: 43, distribution: .uniform, inputs: inputs).source == "computed")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".ref") }
    #expect(files.count == 2)
    for f in files {
      let path = (dir as NSString).appendingPathComponent(f)
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      try data.prefix(data.count - 5).write(to: URL(fileURLWithPath: path))
    }
    let again = try cache.reference(spec: bound, key: "k", seed: 42, distribution: .uniform, inputs: inputs)
    #expect(again.source == "computed" && again.reference.values == direct.values)
  }
}
