// Loop kinds (same results, the right metadata, vector code at O3), artifacts (IR, assembly, objects), timing and
// diagnostics.
import Foundation
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@testable import KevcLLVM

@Suite struct LoopKindAndArtifactTests {
  static let n = 1000
  static let x: [Float] = (0..<n).map { Float($0) * 0.01 - 4 }

  static func axpb(_ kind: LoopKind) -> LoopProgram {
    elementwise("axpb", n: n, kind: kind, add(mul(ld("x", ix("i")), f32(2)), f32(1)))
  }

  @Test(arguments: [LoopKind.serial, .vectorized(width: 8), .vectorized(width: 3), .unrolled, .parallel])
  func everyCPUKindGivesTheSameResults(kind: LoopKind) throws {
    let out = values(try execute(Self.axpb(kind), [bytes(Self.x)])[0], as: Float.self)
    #expect(out == Self.x.map { $0 * 2 + 1 })
  }

  @Test func loopMetadataRecordsTheKind() throws {
    let vectorized = try LLVMCompiledModule.compile(Self.axpb(.vectorized(width: 8)), options: LLVMCompileOptions())
    #expect(vectorized.unoptimizedIR.contains("!\"llvm.loop.vectorize.width\", i32 8"))
    #expect(vectorized.unoptimizedIR.contains("!\"llvm.loop.vectorize.enable\", i1 true"))
    let unrolled = try LLVMCompiledModule.compile(
      elementwise("u", n: 4, kind: .unrolled, ld("x", ix("i"))), options: LLVMCompileOptions())
    #expect(unrolled.unoptimizedIR.contains("llvm.loop.unroll.full"))
    #expect(unrolled.unoptimizedIR.contains("i.header:"))
    #expect(!unrolled.llvmIR.contains("i.header"))  // fully unrolled: no loop left
    let parallel = try LLVMCompiledModule.compile(Self.axpb(.parallel), options: LLVMCompileOptions())
    #expect(parallel.unoptimizedIR.contains("kevc.loop.parallel"))
  }

  @Test func o3VectorizesASimpleF32Loop() throws {
    let module = try LLVMCompiledModule.compile(Self.axpb(.serial), options: LLVMCompileOptions(optimizationLevel: 3))
    #expect(module.llvmIR.contains(/<\d+ x float>/))
    #expect(!module.unoptimizedIR.contains(/<\d+ x float>/))
    #expect(module.llvmIR.contains("define void @axpb(ptr"))
    #expect(module.workspaceSize == 0)
  }

  @Test func assemblyAndObjectFile() throws {
    let module = try LLVMCompiledModule.compile(Self.axpb(.serial), options: LLVMCompileOptions())
    let assembly = try module.assembly()
    #expect(assembly.contains("axpb:"))
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-llvm-\(UUID().uuidString).o").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try module.writeObject(to: path)
    let object = try #require(FileManager.default.contents(atPath: path))
    #expect(object.count > 64)
    #expect(Array(object.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46])  // ELF
    // Emission works on clones: the module is intact and can be emitted again.
    #expect(try module.assembly() == assembly)
    #expect(diagnostic { try module.writeObject(to: "/nonexistent-dir/x.o") }?.id == DiagnosticID("llvm", "io"))
  }

  @Test func timingReturnsOneSamplePerRepeat() throws {
    let kernel = try LLVMCompiledModule.compile(Self.axpb(.serial), options: LLVMCompileOptions()).jit()
    var buffers = [bytes(Self.x), [UInt8](repeating: 0, count: Self.n * 4)]
    let samples = try kernel.time(&buffers, iterations: 20, repeats: 3)
    #expect(samples.count == 3)
    #expect(samples.allSatisfy { $0 > 0 && $0 < 0.01 })
    #expect(values(buffers[1], as: Float.self) == Self.x.map { $0 * 2 + 1 })
    #expect(diagnostic { _ = try kernel.time(&buffers, iterations: 0, repeats: 1) }?.id.name == "bad-arguments")
  }

  @Test func badArgumentsAreDiagnosed() throws {
    let kernel = try LLVMCompiledModule.compile(Self.axpb(.serial), options: LLVMCompileOptions()).jit()
    var tooFew = [bytes(Self.x)]
    #expect(diagnostic { try kernel.run(&tooFew) }?.id == DiagnosticID("llvm", "bad-arguments"))
    var tooSmall = [bytes(Self.x), [UInt8](repeating: 0, count: 8)]
    #expect(diagnostic { try kernel.run(&tooSmall) }?.id == DiagnosticID("llvm", "bad-arguments"))
  }

  @Test func gpuLoopsAreRejected() {
    let d = diagnostic { _ = try LLVMCompiledModule.compile(Self.axpb(.gpu(.gridX)), options: LLVMCompileOptions()) }
    #expect(d?.id == DiagnosticID("llvm", "unsupported-loop-kind"))
    #expect(d?.message == "loop bound to grid.x cannot be lowered to the CPU target")
  }

  @Test func malformedProgramsAreDiagnosed() {
    func compile(_ p: LoopProgram, level: Int = 3) -> Diagnostic? {
      diagnostic { _ = try LLVMCompiledModule.compile(p, options: LLVMCompileOptions(optimizationLevel: level)) }
    }
    #expect(compile(elementwise("k", n: 4, ld("nope", ix("i"))))?.id == DiagnosticID("llvm", "unknown-name"))
    #expect(compile(elementwise("k", n: 4, ld("x", ix("j"))))?.id == DiagnosticID("llvm", "unknown-name"))
    #expect(compile(elementwise("k", n: 4, .dim("Q")))?.id == DiagnosticID("llvm", "unknown-name"))
    #expect(compile(elementwise("k", n: 4, ld("x", ix("i"), ix("i"))))?.id == DiagnosticID("llvm", "invalid-program"))
    #expect(compile(elementwise("k", n: 4, add(ld("x", ix("i")), f64(1))))?.id == DiagnosticID("llvm", "type-mismatch"))
    #expect(compile(elementwise("k", n: 4, ld("x", f32(1))))?.id == DiagnosticID("llvm", "type-mismatch"))
    #expect(compile(elementwise("k", n: 4, .unary(.exp, int(1))))?.id == DiagnosticID("llvm", "unsupported-operation"))
    #expect(compile(elementwise("", n: 4, f32(1)))?.id == DiagnosticID("llvm", "invalid-program"))
    #expect(compile(elementwise("exp", n: 4, f32(1)))?.id == DiagnosticID("llvm", "invalid-program"))
    #expect(compile(elementwise("k", n: 4, f32(1)), level: 7)?.id == DiagnosticID("llvm", "invalid-options"))
    var duplicate = elementwise("k", n: 4, f32(1))
    duplicate.results.append(buf("x", .f32, [4]))
    #expect(compile(duplicate)?.id == DiagnosticID("llvm", "invalid-program"))
    var bigLocal = elementwise("k", n: 4, f32(1))
    bigLocal.body = [.allocate(buf("l", .f32, [1 << 20], .local), body: [])]
    #expect(compile(bigLocal)?.id == DiagnosticID("llvm", "invalid-program"))
  }

  @Test func independentCompilationsRunConcurrently() async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
      for k in 0..<4 {
        group.addTask {
          let program = elementwise("par\(k)", n: 64, add(ld("x", ix("i")), f32(Double(k))))
          let xs = (0..<64).map(Float.init)
          let out = values(try execute(program, [bytes(xs)])[0], as: Float.self)
          return out == xs.map { $0 + Float(k) }
        }
      }
      for try await ok in group { #expect(ok) }
    }
  }
}
