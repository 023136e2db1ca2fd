/// Moves of the built-in proposers that the CPU hand traces need (issue 15, bench/search/cpu-noseeds-2026-12-07):
/// a register tile retuned as a whole. `mutate` (and `edit`'s and `roofline`'s retuning) changes one factor of a
/// `tile` or `split`; the later `unroll` and `vectorize` steps of the same tile that used the old factor follow it,
/// so the CPU default's 4 x 16 matmul tile becomes 8 x 16 with its 8 rows unrolled (the hand trace's 8 x 32 is two
/// such moves away), not 8 rows of which 4 are unrolled.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcSearch
@testable import KevcTransforms
import Testing

@Suite struct ProposerMoveTests {
  static func matmul() throws -> Kernel {
    let source = SourceFile(path: "specs/matmul.kev", text: try Paths.text("specs/matmul.kev"))
    let kernel = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    return try kernel.binding(["M": 64, "N": 64, "K": 64], location: .unknown)
  }

  /// The steps that follow a changed tile factor: the same tensor or its cached copy, a loop of the same root
  /// variable, the old factor; nothing else.
  @Test func laterStepsOfTheSameTileFollowAChangedFactor() {
    let old = Transform.tile(tensor: "c", loops: ["m", "n"], sizes: [4, 16])
    let new = Transform.tile(tensor: "c", loops: ["m", "n"], sizes: [8, 16])
    let changed = TraceGenerator.changedFactors(old, new)
    #expect(changed.count == 1 && changed[0].1 == "m" && changed[0].2 == 4 && changed[0].3 == 8)
    func retuned(_ t: Transform) -> Transform { TraceGenerator.retuned(t, tensor: "c", loop: "m", from: 4, to: 8) }
    #expect(retuned(.unroll(tensor: "c.acc", loop: "m", factor: 4)) == .unroll(tensor: "c.acc", loop: "m", factor: 8))
    #expect(retuned(.unroll(tensor: "c", loop: "m.i", factor: 4)) == .unroll(tensor: "c", loop: "m.i", factor: 8))
    #expect(retuned(.vectorize(tensor: "c", loop: "m.i", width: 4)) == .vectorize(tensor: "c", loop: "m.i", width: 8))
    // Another loop, another factor, another tensor whose name merely starts alike: unchanged.
    for t: Transform in [.unroll(tensor: "c.acc", loop: "n", factor: 4), .unroll(tensor: "c.acc", loop: "m", factor: 2),
      .unroll(tensor: "cx", loop: "m", factor: 4), .split(tensor: "c", loop: "m.i", factor: 4)]
    {
      #expect(retuned(t) == t, "\(TraceText.print(t))")
    }
    let split = TraceGenerator.changedFactors(.split(tensor: "y", loop: "n", factor: 8), .split(tensor: "y", loop: "n", factor: 16))
    #expect(split.count == 1 && split[0].2 == 8 && split[0].3 == 16)
    #expect(TraceGenerator.changedFactors(.split(tensor: "y", loop: "n", factor: 8), .split(tensor: "y", loop: "m", factor: 16)).isEmpty)
  }

  /// `mutate` on the CPU default matmul proposes the whole retuned register tile (tile rows 4 -> 8 with the
  /// accumulator's unroll 4 -> 8), which applies and unrolls every row of the tile; the tile retuned alone is still
  /// proposed (a quarter of the time).
  @Test func mutateRetunesTheCPUMatmulRegisterTileAsAWhole() throws {
    let k = try Self.matmul()
    let d = DefaultSchedule.cpu(for: k)
    guard d.steps.contains(.tile(tensor: "c", loops: ["m", "n"], sizes: [4, 16])),
      d.steps.contains(.unroll(tensor: "c.acc", loop: "m", factor: 4))
    else {
      Issue.record("the CPU default matmul trace changed: \(d.text)")
      return
    }
    let parent = CandidateView(id: 1, trace: d, kernel: k, scheduled: try d.apply(to: k))
    var history = SearchHistory(
      evaluated: 1, baselineTime: nil, best: parent, elite: [parent], cost: WorkloadCost(k), machine: nil,
      recentFailures: [])
    history.target = "llvm"
    var mutate = ParameterMutation(seed: 11)
    var whole = 0, alone = 0
    for p in mutate.propose(parent: parent, history: history, count: 2000) {
      guard case .trace(let t) = p, t.steps.contains(.tile(tensor: "c", loops: ["m", "n"], sizes: [8, 16])) else { continue }
      if t.steps.contains(.unroll(tensor: "c.acc", loop: "m", factor: 8)) {
        whole += 1
        let s = try t.apply(to: k)
        // (Not `#require` of an optional struct: CONTRIBUTING's Swift 6.3.1 note.)
        // The accumulator's 8 rows are one unrolled loop: `split(m, m.o, m.i, 8)` with `m.i: unroll`.
        guard let acc = s.definitions.first(where: { $0.name == "c.acc" }),
          let m = acc.effectiveSchedule.loops.first(where: { $0.name == "m.i" })
        else {
          Issue.record("no loop m.i of c.acc in \(t.text)")
          continue
        }
        #expect(m.kind == .unrolled, "\(t.text)")
        #expect(acc.effectiveSchedule.splits.contains { $0.variable == "m" && $0.inner == "m.i" && $0.factor == 8 }, "\(t.text)")
      } else if t.steps.contains(.unroll(tensor: "c.acc", loop: "m", factor: 4)) {
        alone += 1
      }
    }
    #expect(whole > 0 && alone > 0 && whole > alone, "whole \(whole), alone \(alone)")
  }
}
