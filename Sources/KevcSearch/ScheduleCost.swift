/// The search's cost model: the analytic estimate of one scheduled kernel (`ScheduleCost.estimate`, KevcIR's
/// `CostAnalysis.swift`: the same code as the workload's floor) and a model fitted online on the search's own
/// measurements, so that proposals are ranked before they are measured (TVM MetaSchedule / Ansor style).
///
/// Fitted part (`ScheduleCostModel`): ridge regression of log measured time on the standardized features of the
/// analytic estimate (log analytic time, programs, lanes, kernels, DRAM bytes, re-read bytes, scratch bytes,
/// occupancy, dot tile, warps, stages), refitted every `refitEvery` measurements once it has `minimumSamples`;
/// before that the analytic estimate ranks alone. `replay` scores both the way a search uses them: each
/// measurement predicted by the model fitted on the measurements before it only.
import Foundation
import KevcBasic
import KevcIR
import KevcTransforms

/// The cost model fitted online on the search's measurements: ridge regression of log(median time) on
/// `ScheduleCost.features`. `predict` is the analytic estimate until `minimumSamples` measurements are in, and
/// afterwards whenever the fitted model has ranked the measurements it predicted worse than the analytic one.
public struct ScheduleCostModel: Sendable {
  public var minimumSamples = 8
  /// Refit after this many new measurements (and at `minimumSamples`).
  public var refitEvery = 4
  /// Ridge penalty on the standardized features (the constant is not penalized).
  public var lambda = 1.0
  var samples: [(features: [Double], logTime: Double)] = []
  var fitted: (weights: [Double], mean: [Double], scale: [Double])?
  var fittedAt = 0
  /// For each measurement once a fit exists: (analytic score, fitted score, log measured time), to decide which of
  /// the two ranks better so far.
  var scored: [(analytic: Double, fitted: Double, logTime: Double)] = []

  public init() {}

  /// Whether the fitted model ranks the measurements it predicted (before seeing each) at least as well as the
  /// analytic estimate did: until then the analytic estimate keeps ranking.
  public var trustsFit: Bool {
    guard fitted != nil else { return false }
    guard scored.count >= 3 else { return true }
    let t = scored.map(\.logTime)
    return (spearman(scored.map(\.fitted), t) ?? 0) >= (spearman(scored.map(\.analytic), t) ?? 0)
  }

  public var count: Int { samples.count }

  public mutating func add(_ cost: ScheduleCost, measured seconds: Double) {
    guard seconds > 0, seconds.isFinite else { return }
    if fitted != nil { scored.append((log(max(cost.seconds, 1e-9)), fittedPrediction(cost), log(seconds))) }
    samples.append((cost.features, log(seconds)))
    if samples.count >= minimumSamples, fitted == nil || samples.count - fittedAt >= refitEvery {
      fitted = Self.fit(samples, lambda: lambda)
      fittedAt = samples.count
    }
  }

  /// Predicted log seconds (a ranking score: lower is faster).
  public func predict(_ cost: ScheduleCost) -> Double {
    trustsFit ? fittedPrediction(cost) : log(max(cost.seconds, 1e-9))
  }

  /// The regression's prediction (the analytic estimate before the first fit).
  func fittedPrediction(_ cost: ScheduleCost) -> Double {
    guard let f = fitted else { return log(max(cost.seconds, 1e-9)) }
    let x = cost.features
    var y = f.weights[0]
    for i in 1..<min(x.count, f.weights.count) { y += f.weights[i] * (x[i] - f.mean[i]) / f.scale[i] }
    return y
  }

  /// Ridge regression on standardized features by the normal equations, solved by Gaussian elimination.
  static func fit(_ samples: [(features: [Double], logTime: Double)], lambda: Double) -> (weights: [Double], mean: [Double], scale: [Double])? {
    guard let n = samples.first?.features.count, samples.count >= 2 else { return nil }
    let count = Double(samples.count)
    var mean = [Double](repeating: 0, count: n)
    var scale = [Double](repeating: 1, count: n)
    for i in 1..<n {
      mean[i] = samples.reduce(0) { $0 + $1.features[i] } / count
      let v = samples.reduce(0) { $0 + ($1.features[i] - mean[i]) * ($1.features[i] - mean[i]) } / count
      scale[i] = v > 1e-12 ? v.squareRoot() : 1
    }
    var a = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n)
    for s in samples {
      var x = s.features
      x[0] = 1
      for i in 1..<n { x[i] = (x[i] - mean[i]) / scale[i] }
      for i in 0..<n {
        for j in 0..<n { a[i][j] += x[i] * x[j] }
        a[i][n] += x[i] * s.logTime
      }
    }
    for i in 1..<n { a[i][i] += lambda }
    for col in 0..<n {
      guard let pivot = (col..<n).max(by: { abs(a[$0][col]) < abs(a[$1][col]) }), abs(a[pivot][col]) > 1e-12 else {
        return nil
      }
      a.swapAt(col, pivot)
      for r in 0..<n where r != col {
        let f = a[r][col] / a[col][col]
        for c in col...n { a[r][c] -= f * a[col][c] }
      }
    }
    return ((0..<n).map { a[$0][n] / a[$0][$0] }, mean, scale)
  }

  /// Both models replayed over one search's measurements in their order: the analytic estimate of each, and the
  /// fitted model's prediction of each from the measurements before it only. Returns Spearman's rho of each
  /// against the measured times over the measurements after the first `minimumSamples` (before those the fitted
  /// model is the analytic one); nil below 3 of them.
  public static func replay(_ measured: [(cost: ScheduleCost, seconds: Double)], model: ScheduleCostModel = ScheduleCostModel())
    -> (analytic: Double?, fitted: Double?)
  {
    var m = model
    var online: [Double] = []
    for (c, t) in measured {
      online.append(m.predict(c))
      m.add(c, measured: t)
    }
    let scored = Array(min(model.minimumSamples, measured.count)..<measured.count)
    let times = scored.map { measured[$0].seconds }
    return (spearman(scored.map { measured[$0].cost.seconds }, times), spearman(scored.map { online[$0] }, times))
  }
}

/// Spearman's rank correlation of two equally long series (average ranks for ties); nil below 3 values.
public func spearman(_ x: [Double], _ y: [Double]) -> Double? {
  guard x.count == y.count, x.count >= 3 else { return nil }
  func ranks(_ v: [Double]) -> [Double] {
    let order = v.indices.sorted { v[$0] < v[$1] }
    var r = [Double](repeating: 0, count: v.count)
    var i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count, v[order[j + 1]] == v[order[i]] { j += 1 }
      for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
      i = j + 1
    }
    return r
  }
  let rx = ranks(x)
  let ry = ranks(y)
  let mx = rx.reduce(0, +) / Double(rx.count)
  let my = ry.reduce(0, +) / Double(ry.count)
  var sxy = 0.0
  var sxx = 0.0
  var syy = 0.0
  for i in rx.indices {
    sxy += (rx[i] - mx) * (ry[i] - my)
    sxx += (rx[i] - mx) * (rx[i] - mx)
    syy += (ry[i] - my) * (ry[i] - my)
  }
  return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : nil
}

/// One workload's searches replayed through the cost models (`TuningDatabase.costModelReplay`).
public struct CostModelReplay: Sendable {
  public var workload: String
  public var target: String
  /// Correct evaluations with a time, in the order they were measured.
  public var measured: Int
  /// Spearman's rho against the measured times, over the measurements after the first `minimumSamples`.
  public var analytic: Double?
  public var fitted: Double?
  /// The analytic estimate's rho over every measurement (it learns nothing from them, so none need be held back):
  /// the one figure for a search of fewer than `minimumSamples + 3` measurements.
  public var analyticAll: Double?
  /// Each measurement: candidate id, measured seconds, the analytic estimate.
  public var points: [(candidate: Int, measured: Double, cost: ScheduleCost)] = []
}

extension TuningDatabase {
  /// Every workload and target of this database replayed through the analytic and the online-fitted cost model in
  /// evaluation order (`ScheduleCostModel.replay`); CPU targets (`llvm`) use the CPU machine with the target's
  /// measured peaks.
  public func costModelReplay() throws -> [CostModelReplay] {
    var out: [CostModelReplay] = []
    for target in try targets() {
      let machine: ScheduleCost.Machine =
        target.kind == "llvm"
        ? .cpu(cores: target.cores, peaks: target.measured)
        : .init()
      for w in try workloads() {
        let candidates = Dictionary(
          try self.candidates(workload: w.id, target: target.id).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var measured: [(cost: ScheduleCost, seconds: Double)] = []
        var points: [(candidate: Int, measured: Double, cost: ScheduleCost)] = []
        for e in try evaluations(workload: w.id, target: target.id).sorted(by: { $0.id < $1.id }) where e.status == .ok {
          guard let t = e.medianTime, let c = candidates[e.candidateID],
            let k = try? IRParser.parse(SourceFile(path: "db", text: c.irText))
          else { continue }
          measured.append((ScheduleCost.estimate(k, machine: machine), t))
          points.append((c.id, t, measured[measured.count - 1].cost))
        }
        guard !measured.isEmpty else { continue }
        let r = ScheduleCostModel.replay(measured)
        out.append(
          CostModelReplay(
            workload: w.specName, target: target.key, measured: measured.count, analytic: r.analytic, fitted: r.fitted,
            analyticAll: spearman(measured.map(\.cost.seconds), measured.map(\.seconds)), points: points))
      }
    }
    return out
  }

  /// The replay as a table, one line per workload and target, then the means.
  /// With `verbose`, each measurement too (fastest first): candidate, measured and estimated milliseconds, and the
  /// estimate's features.
  public func costModelReplayText(verbose: Bool = false) throws -> String {
    let rows = try costModelReplay()
    func f(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "-" }
    var lines = [
      "| workload | target | measured | analytic rho | fitted rho (online) | analytic rho (all) |", "|---|---|---|---|---|---|",
    ]
    for r in rows {
      lines.append("| \(r.workload) | \(r.target) | \(r.measured) | \(f(r.analytic)) | \(f(r.fitted)) | \(f(r.analyticAll)) |")
    }
    if verbose {
      for r in rows {
        lines.append("\(r.workload) on \(r.target):")
        for p in r.points.sorted(by: { $0.measured < $1.measured }) {
          let c = p.cost
          lines.append(
            String(
              format: "  #%d measured %.4g ms, estimated %.4g ms: %d kernels, %.3g B, reread %.3g B, scratch %.3g B, %.3g flops, programs %.0f, lanes %.0f, occupancy %.2f, dot %.0f",
              p.candidate, p.measured * 1e3, c.seconds * 1e3, c.kernels, c.bytes, c.rereadBytes, c.scratchBytes, c.flops,
              c.minPrograms, c.minLanes, c.occupancy, c.dotTile))
        }
      }
    }
    let both = rows.filter { $0.analytic != nil && $0.fitted != nil }
    if !both.isEmpty {
      let a = both.reduce(0) { $0 + ($1.analytic ?? 0) } / Double(both.count)
      let b = both.reduce(0) { $0 + ($1.fitted ?? 0) } / Double(both.count)
      lines.append("mean over \(both.count) workloads: analytic \(f(a)), fitted \(f(b))")
    }
    let all = rows.compactMap(\.analyticAll)
    if !all.isEmpty {
      lines.append("analytic over every measurement, mean over \(all.count) workloads: \(f(all.reduce(0, +) / Double(all.count)))")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
