/// The search under the accuracy contract of f32 contractions (`matmul_precision`): the built-in proposers never
/// propose a dot precision beyond it (their draws are filtered up front, so no evaluation is wasted on a step the
/// transform refuses), and the tuning database's identity of a spec differs between contracts (a search under
/// `high` never reuses `highest`'s records).
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcSearch
import KevcTransforms
import Testing

@Suite struct MatmulPrecisionSearchTests {
  static func matmul(_ contract: MatmulPrecision?) throws -> Kernel {
    let source = SourceFile(path: "specs/matmul.kev", text: try Paths.text("specs/matmul.kev"))
    return try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir], matmulPrecision: contract)).kernel
  }

  @Test(arguments: MatmulPrecision.allCases)
  func proposalsStayWithinTheContract(_ contract: MatmulPrecision) throws {
    let k = try Self.matmul(contract).binding(["M": 1024, "N": 1024, "K": 1024], location: .unknown)
    let d = DefaultSchedule.gpu(for: k)
    let parent = CandidateView(id: 1, trace: d, kernel: k, scheduled: try d.apply(to: k))
    var history = SearchHistory(
      evaluated: 1, baselineTime: nil, best: parent, elite: [parent], cost: WorkloadCost(k), machine: nil,
      recentFailures: [])
    history.target = "triton"
    var drawn: Set<DotPrecision> = []
    for seed in UInt64(1)...40 {
      for (proposer, _) in defaultProposers(seed: seed) {
        var p = proposer
        for case .trace(let t) in p.propose(parent: parent, history: history, count: 8) {
          for case .precision(_, let q) in t.steps { drawn.insert(q) }
        }
      }
    }
    #expect(drawn.allSatisfy { $0.isAllowed(under: contract) }, "\(contract): \(drawn)")
  }

  @Test func theDatabaseIdentityIncludesTheContract() throws {
    let hashes = try MatmulPrecision.allCases.map { SearchEngine.specHash(try Self.matmul($0)) }
    #expect(Set(hashes).count == 3)
    // The spec's line and the option are the same contract: the same identity.
    #expect(SearchEngine.specHash(try Self.matmul(nil)) == hashes[0])
  }
}
