// The search's cost model against measured GPU times: Spearman's rank correlation of the analytic estimate (and
// of the model fitted online, trained on the first half of each workload's evaluations in order and scored on
// the rest) with the median times of the candidates the H200 searches measured (bench/search/gpu-h200/run-*).
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

  /// Prints rho per workload (run with `swift test --filter CostModelTests` to see the table); the analytic
  /// model must rank better than chance on average, and better than the constant ranking of unmeasured candidates.
  @Test func rankCorrelationWithMeasuredGPUTimes() throws {
    var analytic: [Double] = []
    var fitted: [Double] = []
    for run in ["run-a", "run-b"] {
      let committed = Paths.inRepository("bench/search/gpu-h200/\(run)/search.db").path
      guard FileManager.default.fileExists(atPath: committed) else { continue }
      // A copy: opening a database (WAL) leaves -wal/-shm files beside it, never in the repository.
      let path = try Paths.temporaryDirectory().appendingPathComponent("\(run).db").path
      try FileManager.default.copyItem(atPath: committed, toPath: path)
      let db = try TuningDatabase(path: path, create: false, upgrade: false)
      for target in try db.targets() {
        for w in try db.workloads() {
          let candidates = Dictionary(uniqueKeysWithValues: try db.candidates(workload: w.id, target: target.id).map { ($0.id, $0) })
          var costs: [ScheduleCost] = []
          var times: [Double] = []
          for e in try db.evaluations(workload: w.id, target: target.id) where e.status == .ok {
            guard let t = e.medianTime, let c = candidates[e.candidateID],
              let k = try? IRParser.parse(SourceFile(path: "db", text: c.irText))
            else { continue }
            costs.append(ScheduleCost.estimate(k))
            times.append(t)
            if ProcessInfo.processInfo.environment["KEVC_COST_DEBUG"] == w.specName, let cost = costs.last {
              print(String(format: "  %.4g ms measured, %.4g ms estimated, %d kernels, programs %.0f, lanes %.0f: %@", t * 1e3,
                           cost.seconds * 1e3, cost.kernels, cost.minPrograms, cost.minLanes, String(c.traceJSON.prefix(600))))
            }
          }
          guard let rho = spearman(costs.map(\.seconds), times) else { continue }
          analytic.append(rho)
          // Online: fitted on the first half (in evaluation order), ranked on the second.
          var model = ScheduleCostModel()
          model.minimumSamples = 4
          let half = costs.count / 2
          for i in 0..<half { model.add(costs[i], measured: times[i]) }
          let rest = Array(half..<costs.count)
          let rhoFit = spearman(rest.map { model.predict(costs[$0]) }, rest.map { times[$0] })
          if let rhoFit { fitted.append(rhoFit) }
          print(String(format: "cost model %@ %@: %d candidates, analytic rho %.2f, fitted (second half) rho %@", run,
                       w.specName, costs.count, rho, rhoFit.map { String(format: "%.2f", $0) } ?? "-"))
        }
      }
    }
    guard !analytic.isEmpty else { return }  // the recorded databases are not in this checkout
    let mean = analytic.reduce(0, +) / Double(analytic.count)
    let meanFit = fitted.isEmpty ? 0 : fitted.reduce(0, +) / Double(fitted.count)
    print(String(format: "cost model: mean Spearman rho over %d workloads: analytic %.2f, fitted %.2f", analytic.count, mean, meanFit))
    #expect(mean > 0.1)
  }
}
