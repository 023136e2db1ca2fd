/// The CPU search's default root (`SearchEngine.defaultTrace`: `DefaultSchedule.cpu` on the bound kernel) is, by
/// canonical form (the identity the search deduplicates by), the program of every bench/cpu hand trace that no
/// single proposer move reaches from it: layernorm's centred row inlined into the variance's sum, and softmax's,
/// rmsnorm's and elementwise_chain's shared row statistics and fused chains (issue 15: a search from the roots
/// alone reaches the hand traces; bench/search/cpu-noseeds-2026-12-07c). matmul's and conv1d's hand tiles are
/// other programs, slower than the default on the development machine (bench/search/cpu-noseeds-2026-12-07).
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
@testable import KevcSearch
import KevcTransforms
import Testing

@Suite struct CPURootTests {
  static let cases: [(hand: String, spec: String, shape: [String: Int])] = [
    ("layernorm", "specs/layernorm.kev", ["M": 4096, "N": 4096]),
    ("softmax", "specs/softmax.kev", ["M": 2048, "N": 4096]),
    ("rmsnorm", "bench/cpu/specs/rmsnorm_f32.kev", ["M": 4096, "N": 4096]),
    ("elementwise_chain", "specs/elementwise_chain.kev", ["M": 1024, "N": 4096]),
  ]

  @Test(arguments: cases.indices)
  func theDefaultRootIsTheHandTracesProgram(_ i: Int) throws {
    let c = Self.cases[i]
    let source = SourceFile(path: c.spec, text: try Paths.text(c.spec))
    let kernel = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
      .binding(c.shape, location: .unknown)
    let trace = "bench/cpu/\(c.hand).trace"
    let hand = try Trace.parse(SourceFile(path: trace, text: try Paths.text(trace))).apply(to: kernel)
    let root = try DefaultSchedule.cpu(for: kernel).apply(to: kernel)
    #expect(
      CanonicalSchedule.hash(root, target: "llvm") == CanonicalSchedule.hash(hand, target: "llvm"),
      "\(c.hand): the default root is not the hand trace's program:\n\(IRPrinter.print(root))")
  }
}
