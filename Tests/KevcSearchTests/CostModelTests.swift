/// The search's cost model against measured GPU times: Spearman's rank correlation of the analytic estimate and of
/// the model fitted online (each measurement predicted from the ones before it) with the median times of the
/// candidates the recorded GPU searches measured (bench/search/gpu-h200/run-*, bench/search/gpu-h100-noseeds,
/// bench/search/noseeds-h100-2026-12-07).
import Foundation
import KevcBasic
import KevcIR
import KevcSearch
import Testing

@Suite struct CostModelTests {
  @Test func spearmanOfKnownSeries() throws {
    #expect(spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1)
    #expect(spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
    #expect(try #require(spearman([1, 2, 2, 3], [1, 3, 2, 4])) > 0.7)
    #expect(spearman([1, 2], [1, 2]) == nil)
  }

  /// The recorded GPU searches (bench/search/gpu-h200/run-a, run-b, gpu-h100-noseeds) replayed through both cost
  /// models in evaluation order (`kevc db cost-model` prints the same table): the model fitted online on the
  /// measurements before each must rank about as well as the analytic estimate or better, both well above chance.
  @Test func rankCorrelationWithMeasuredGPUTimes() throws {
    var rows: [CostModelReplay] = []
    for run in ["gpu-h200/run-a", "gpu-h200/run-b", "gpu-h100-noseeds", "noseeds-h100-2026-12-07"] {
      let committed = Paths.inRepository("bench/search/\(run)/search.db").path
      guard FileManager.default.fileExists(atPath: committed) else { continue }
      // A copy: opening a database (WAL) leaves -wal/-shm files beside it, never in the repository.
      let path = try Paths.temporaryDirectory().appendingPathComponent("search.db").path
      try FileManager.default.copyItem(atPath: committed, toPath: path)
      let db = try TuningDatabase(path: path, create: false, upgrade: false)
      rows += try db.costModelReplay()
      print(try db.costModelReplayText())
    }
    let both = rows.filter { $0.analytic != nil && $0.fitted != nil }
    guard !both.isEmpty else { return }  // the recorded databases are not in this checkout
    let analytic = both.compactMap(\.analytic).reduce(0, +) / Double(both.count)
    let fitted = both.compactMap(\.fitted).reduce(0, +) / Double(both.count)
    print(String(format: "cost model: mean Spearman rho over %d workloads: analytic %.2f, fitted online %.2f", both.count, analytic, fitted))
    // Measured 2026-12-06 (these databases, this code): analytic 0.59, fitted online 0.62 over 8 workloads. Since
    // the analytic estimate counts a producer read through an index expression of the loops outside it at one
    // element per run (branch h68: `_r0[m.o * F + m.i]` inside a loop over m.o was counted whole per run) it ranks
    // at 0.70 (0.61 before; gpu-h200/run-b 0.32 -> 0.54) and the online fit at 0.62 (0.64 before): the fit, on few
    // measurements per workload, no longer matches it there.
    // With the H100 no-seeds search of 2026-12-07 (7 workloads more, 2-15 scored measurements each): analytic 0.49,
    // fitted online 0.46 over 15 (that search alone 0.26 / 0.27; a product inside its epilogue now counts its
    // operands' re-reads: matmul_bf16 -0.51 -> -0.20).
    // Since a dot kernel's estimate sees its programs per SM (shared memory), wave quantisation over the SMs, its
    // warps against the tile and its stages x k step (issue 15): analytic 0.56, fitted online 0.49 over the same
    // 15 (matmul_bf16 -0.20 -> 0.76 analytic, 0.22 -> 0.71 fitted; fm_interaction on the H100 0.77 -> 0.86;
    // conv1d, rmsnorm unchanged; bench/search/cost-model-dot-2026-12-07).
    #expect(analytic > 0.4)
    #expect(fitted > 0.4)
    #expect(fitted >= analytic - 0.1)
  }

  /// The recorded CPU search (bench/search/cpu-noseeds/noseeds.db: layernorm, 60 measurements on the 2-core
  /// development machine) replayed the same way. The CPU model's fork-join term and the peaks shared by the cores
  /// the parallel loops use raised the analytic rho from 0.47 to 0.59 (fitted online 0.53 to 0.63).
  @Test func rankCorrelationWithMeasuredCPUTimes() throws {
    let committed = Paths.inRepository("bench/search/cpu-noseeds/noseeds.db").path
    guard FileManager.default.fileExists(atPath: committed) else { return }
    let path = try Paths.temporaryDirectory().appendingPathComponent("noseeds.db").path
    try FileManager.default.copyItem(atPath: committed, toPath: path)
    let db = try TuningDatabase(path: path, create: false, upgrade: false)
    let rows = try db.costModelReplay().filter { $0.analytic != nil && $0.fitted != nil }
    #expect(!rows.isEmpty)
    for r in rows {
      #expect((r.analytic ?? 0) > 0.55, "\(r.workload): analytic rho \(r.analytic ?? 0)")
      #expect((r.fitted ?? 0) > 0.55, "\(r.workload): fitted rho \(r.fitted ?? 0)")
    }
  }

  /// The fitted model learns a ranking the analytic estimate gets backwards.
  @Test func fittedModelLearnsFromMeasurements() throws {
    var measured: [(cost: ScheduleCost, seconds: Double)] = []
    for i in 0..<30 {
      let x = Double(i % 10 + 1)
      let c = ScheduleCost(
        seconds: 1e-3 * x, kernels: 1, bytes: 1e6, rereadBytes: 0, scratchBytes: 0, flops: 1e6, minPrograms: 100 * x,
        minLanes: 128, occupancy: 1, dotTile: 0, warps: 4, stages: 2)
      measured.append((c, 1e-3 / x))  // measured times fall as the estimate rises
    }
    let r = ScheduleCostModel.replay(measured)
    #expect(try #require(r.analytic) < -0.9)
    #expect(try #require(r.fitted) > 0.9)
  }
}
