/// The search's cost model: the roofline of `Roofline.swift` extended from a workload to one scheduled kernel, so
/// that proposals are ranked before they are measured (the workload's floor stays `WorkloadCost`).
///
/// Analytic part (`ScheduleCost.estimate`), per kernel (a definition computed at the root, with the producers
/// computed inside it): programs (product of the grid loops), lanes per program (product of the blocks, each the
/// next power of two: masked lanes cost too), serial iterations, warps; bytes moved (every tensor the kernel reads,
/// whole, once, plus what it writes: an intermediate kept in memory costs a write and a read), arithmetic (points
/// evaluated, masked lanes included, times operations; `tl.dot` contractions at the matrix units' rate). Its time
/// is the largest of bytes over bandwidth, flops over peak, and the programs' latency (waves of programs over the
/// multiprocessors, each streaming its elements through its threads), plus a launch; kernels add up.
/// Fitted part (`ScheduleCostModel`): least squares of log measured time on the log features of the kernels
/// (analytic time, programs, lanes, kernels, bytes), refitted as measurements come, used once it has enough of
/// them; before that the analytic estimate ranks alone.
import Foundation
import KevcIR
import KevcTransforms

public struct ScheduleCost: Sendable, Hashable {
  /// Seconds the analytic model predicts.
  public var seconds: Double
  public var kernels: Int
  public var bytes: Double
  public var flops: Double
  /// Programs of the least parallel kernel and lanes of the smallest block (the parallelism features).
  public var minPrograms: Double
  public var minLanes: Double

  /// The features the fitted model regresses on (logs, and a constant).
  public var features: [Double] {
    [1, log(max(seconds, 1e-9)), log(max(minPrograms, 1)), log(max(minLanes, 1)), Double(kernels), log(max(bytes, 1))]
  }

  /// Machine numbers of the analytic model; defaults are an H100-class GPU (only ratios matter for ranking).
  public struct Machine: Sendable, Hashable {
    public var bandwidth = 3.0e12
    public var peakFlops = 5.0e13
    public var dotFlops = 5.0e14
    public var launchSeconds = 3.0e-6
    /// Elements one thread streams per second inside a program.
    public var threadRate = 1.0e9
    public var capability = GPUCapability.cudaSM90
    public init() {}
  }

  public static func estimate(_ k: Kernel, machine: Machine = Machine()) -> ScheduleCost {
    func ext(_ loop: String, _ d: Definition) -> Double { Double(max(1, (try? k.maxExtent(loop, in: d)) ?? 1)) }
    func pow2(_ x: Double) -> Double { x <= 1 ? 1 : pow(2, ceil(log2(x))) }
    func bytes(of tensor: String) -> Double {
      guard let t = k.tensorType(tensor) else { return 0 }
      let dims = k.dimBindings
      return t.shape.reduce(Double(t.dtype.byteSize)) { $0 * Double(max(0, $1.evaluate(dims) ?? 1)) }
    }
    var total = ScheduleCost(seconds: 0, kernels: 0, bytes: 0, flops: 0, minPrograms: .infinity, minLanes: .infinity)
    for d in k.definitions where d.effectiveSchedule.placement == .root {
      let inside = k.definitions.filter {
        if case .computeAt(let c, _) = $0.effectiveSchedule.placement { return c == d.name }
        return false
      }
      var programs = 1.0
      var lanes = 1.0
      var serial = 1.0
      for l in d.effectiveSchedule.loops {
        switch l.kind {
        case .gpu(let g):
          switch g {
          case .gridX, .gridY, .gridZ: programs *= ext(l.name, d)
          case .blockX, .blockY, .blockZ, .warp, .threadX, .threadY, .threadZ: lanes *= pow2(ext(l.name, d))
          }
        case .vectorized: lanes *= pow2(ext(l.name, d))
        case .serial, .parallel, .unrolled: serial *= ext(l.name, d)
        }
      }
      // Producers inside: their own serial loops and blocks, once per iteration of the consumer's loop (counted
      // per program: an upper bound when computed at an outer loop).
      var insideWork = 0.0
      var insideOps = 0.0
      var insideDotOps = 0.0
      for p in inside {
        var w = 1.0
        for l in p.effectiveSchedule.loops {
          if case .gpu = l.kind { w *= pow2(ext(l.name, p)) } else if d.axes.contains(where: { $0.name == l.name }) {
            continue
          } else {
            w *= ext(l.name, p)
          }
        }
        // A contraction inside (a tl.dot tile) runs at the matrix units' rate, outside the threads' latency.
        if p.effectiveSchedule.isDot {
          insideDotOps += w * Double(WorkloadCost.operations(p.body) + 1)
        } else {
          insideWork += w
          insideOps += w * Double(WorkloadCost.operations(p.body) + 1)
        }
      }
      let points = programs * serial * lanes
      let ops = Double(WorkloadCost.operations(d.body) + (d.reduction == nil ? 0 : 1))
      let flops = points * ops + programs * insideOps
      var read: Set<String> = []
      for e in ([d] + inside).flatMap(\.expressions) { for l in e.loads { read.insert(l.tensor) } }
      var moved = read.filter { name in !inside.contains { $0.name == name } }.reduce(0) { $0 + bytes(of: $1) }
        + bytes(of: d.name)
      let isDot = d.effectiveSchedule.isDot
      if isDot {
        // Each operand is read once per program along the grid loops its indices do not walk (the other operand's
        // output tiles): smaller tiles read the operands more often.
        let grid = d.effectiveSchedule.loops.filter {
          if case .gpu(let g) = $0.kind { return [.gridX, .gridY, .gridZ].contains(g) }
          return false
        }
        for l in Set(d.body.loads.map(\.tensor)) {
          let walked = Set(d.body.loads.filter { $0.tensor == l }.flatMap { $0.indices.flatMap { Array($0.indexNames) } })
          let reuse = grid.filter { !walked.contains(Kernel.rootVariable(of: $0.name, in: d.effectiveSchedule)) }
            .reduce(1.0) { $0 * ext($1.name, d) }
          moved += bytes(of: l) * (reuse - 1)
        }
      }
      let warps = Double(d.effectiveSchedule.launch?.warps ?? 4)
      let perSM = max(1, floor(64 / warps))
      let waves = ceil(programs / (Double(machine.capability.multiprocessors) * perSM))
      let perProgram = (serial * lanes + insideWork) / (warps * 32)
      // A tl.dot program runs at the matrix units' rate, not one element per thread.
      let latency = isDot ? 0 : waves * perProgram / machine.threadRate
      let dotRate = isDot ? machine.dotFlops : machine.peakFlops
      let arithmetic = flops / dotRate + programs * insideDotOps / machine.dotFlops
      let t = max(moved / machine.bandwidth, arithmetic, latency) + machine.launchSeconds
      total.seconds += t
      total.kernels += 1
      total.bytes += moved
      total.flops += flops + programs * insideDotOps
      total.minPrograms = min(total.minPrograms, programs)
      total.minLanes = min(total.minLanes, lanes)
    }
    if total.minPrograms == .infinity { total.minPrograms = 1 }
    if total.minLanes == .infinity { total.minLanes = 1 }
    return total
  }
}

/// The cost model fitted online on the search's measurements: ridge regression of log(median time) on
/// `ScheduleCost.features`. `predict` is the analytic estimate until `minimumSamples` measurements are in.
public struct ScheduleCostModel: Sendable {
  public var minimumSamples = 8
  var samples: [(features: [Double], logTime: Double)] = []
  var weights: [Double]?

  public init() {}

  public var count: Int { samples.count }

  public mutating func add(_ cost: ScheduleCost, measured seconds: Double) {
    guard seconds > 0, seconds.isFinite else { return }
    samples.append((cost.features, log(seconds)))
    weights = samples.count >= minimumSamples ? Self.fit(samples) : nil
  }

  /// Predicted log seconds (a ranking score: lower is faster).
  public func predict(_ cost: ScheduleCost) -> Double {
    guard let w = weights else { return log(max(cost.seconds, 1e-9)) }
    return zip(w, cost.features).reduce(0) { $0 + $1.0 * $1.1 }
  }

  /// Ridge regression (lambda 1e-3, constant not penalized) by the normal equations, solved by Gaussian elimination.
  static func fit(_ samples: [(features: [Double], logTime: Double)]) -> [Double]? {
    guard let n = samples.first?.features.count else { return nil }
    var a = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n)
    for s in samples {
      for i in 0..<n {
        for j in 0..<n { a[i][j] += s.features[i] * s.features[j] }
        a[i][n] += s.features[i] * s.logTime
      }
    }
    for i in 1..<n { a[i][i] += 1e-3 * Double(samples.count) }
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
    return (0..<n).map { a[$0][n] / a[$0][$0] }
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
