/// The machine numbers of the roofline: a workload's floor (`WorkloadCost` in KevcIR's `CostAnalysis.swift`, the
/// same code the GPU harness's floor comes from) is max(memory, flops / P) on a machine of peak P, memory being the
/// compulsory bytes over the bandwidth of the levels they can be served from (`MachinePeaks.memorySeconds`); the
/// search reports each candidate's time as a fraction of that floor and flags one above 100%, and the roofline
/// proposer reads which side of the ridge a workload is on. A flag must mean "this time cannot be trusted", so every
/// number here errs high (a floor too low only loses tightness):
/// - peak: independent vector FMAs (and FMAs beside adds) on one core (`ArithmeticProbe`: the arithmetic units'
///   throughput, not a chain's latency), times the cores (a kernel may use them all);
/// - memory: the faster of a copy and a read-mostly kernel (16 rows summed into one: a reduction's traffic), large
///   (64 MiB in all: DRAM), on every core and on one (the faster: a loaded machine lends one core more readily);
/// - caches: the levels `/sys/devices/system/cpu` (or `sysconf`) lists, each served at the faster of the same two
///   kernels sized to half of one instance, on one core, times the cores (a private cache per core; a shared one
///   counted as if every core had its own path to it).
/// Measured once per target and kept in the tuning database (`targets`).
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcLLVM
import KevcTransforms

public enum MachineProbe {
  /// Bytes of the memory kernels' buffers together (past the caches: twice the development machine's L3).
  static let memoryBytes = 64 << 20
  /// Rows the read-mostly kernel sums per element written.
  static let rows = 16

  /// Measures the machine (1.5 to 3 s in a debug build on the loaded 2-core development machine, mostly the
  /// memory kernels; the arithmetic peak alone takes a few tens of milliseconds).
  public static func measure(cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws(DiagnosticError)
    -> MachinePeaks
  {
    let cores = max(1, cores)
    let peak = try arithmeticPeak() * Double(cores)
    // Every core (what a parallel kernel reaches), or one when that is faster (a loaded machine lends one core more
    // readily than all of them).
    let memory = max(try bandwidth(workingSet: memoryBytes, oneCore: false), try bandwidth(workingSet: memoryBytes, oneCore: true))
    var levels: [MemoryLevel] = []
    for cache in CacheLevel.host(cores: cores) {
      let rate = try bandwidth(workingSet: cache.bytesPerInstance / 2, oneCore: true) * Double(cores)
      levels.append(MemoryLevel(bytes: Double(cache.bytesPerInstance * cache.instances), bandwidth: rate))
    }
    return MachinePeaks(bandwidth: memory, peakFlops: peak, levels: levels)
  }

  /// Flops per second of one core: the faster mix of the arithmetic probe, each at its best of several short runs.
  public static func arithmeticPeak() throws(DiagnosticError) -> Double {
    var best = 0.0
    for mix in ArithmeticProbe.mixes {
      let kernel = try ArithmeticProbe.kernel(mix)
      var buffers = [[UInt8](repeating: 0, count: ArithmeticProbe.bufferBytes(mix))]
      let samples = try kernel.time(&buffers, iterations: 32, repeats: 9)
      best = max(best, ArithmeticProbe.flopsPerCall(mix) / max(samples.min() ?? 1, 1e-12))
    }
    return best
  }

  /// Bytes per second of the faster of a copy and a read-mostly kernel whose buffers total about `workingSet`
  /// bytes: on one core (vectorized, no threads) or with the default schedule (every core).
  static func bandwidth(workingSet: Int, oneCore: Bool) throws(DiagnosticError) -> Double {
    // The copy: n elements read, n written (8n bytes).
    let n = max(64, workingSet / 8 / 64 * 64)
    let copy = """
      kernel kevc_probe_copy(x: f32[N]) -> (y: f32[N]) {
        dims N = \(n)
        y[i] = x[i]
      }
      """
    // The read-mostly kernel: `rows` rows of m elements summed (a balanced tree) into one row ((rows + 1) * 4m).
    let m = max(64, workingSet / ((rows + 1) * 4) / 64 * 64)
    var terms = (0..<rows).map { "x[\($0), i]" }
    while terms.count > 1 {
      terms = stride(from: 0, to: terms.count, by: 2).map { "(\(terms[$0]) + \(terms[$0 + 1]))" }
    }
    let read = """
      kernel kevc_probe_read(x: f32[R, N]) -> (y: f32[N]) {
        dims R = \(rows), N = \(m)
        y[i] = \(terms[0])
      }
      """
    let copyRate = Double(8 * n) / (try time(copy, bytes: 8 * n, output: "y", oneCore: oneCore))
    let readRate = Double((rows + 1) * 4 * m) / (try time(read, bytes: (rows + 1) * 4 * m, output: "y", oneCore: oneCore))
    return max(copyRate, readRate)
  }

  /// The best seconds per call of a spec compiled for this machine, with each timed repeat moving about 32 MiB
  /// (7 repeats; 3 of one call each past that size).
  static func time(_ text: String, bytes: Int, output: String, oneCore: Bool) throws(DiagnosticError) -> Double {
    let source = SourceFile(path: "<machine probe>", text: text)
    var request = CompileRequest(source: source, kind: .spec, stages: [.llvm])
    if oneCore { request.schedule = Trace([.vectorize(tensor: output, loop: "i", width: 8)]) }
    let result = try Compiler.compile(request)
    guard let module = result.module, let kernel = result.boundKernel else {
      throw DiagnosticError(.error(DiagnosticID("search", "probe"), "the machine probe did not compile", at: .unknown))
    }
    let jit = try module.jit()
    var buffers = (kernel.params + kernel.results).map { p in
      [UInt8](repeating: 0, count: p.shape.reduce(1) { $0 * max(0, $1.evaluate(kernel.dimBindings) ?? 0) } * p.dtype.byteSize)
    }
    let iterations = max(1, (32 << 20) / max(bytes, 1))
    let samples = try jit.time(&buffers, iterations: iterations, repeats: iterations > 1 ? 7 : 3)
    return max(samples.min() ?? 1, 1e-12)
  }
}

/// A data (or unified) cache level of the host: bytes of one instance and how many instances the cores used have.
public struct CacheLevel: Sendable, Hashable {
  public var level: Int
  public var bytesPerInstance: Int
  public var instances: Int

  /// The host's levels, smallest first: `/sys/devices/system/cpu/cpu0/cache` (Linux), else glibc's `sysconf`
  /// (L1 and L2 per core, L3 shared); none when neither says.
  public static func host(cores: Int) -> [CacheLevel] {
    let cores = max(1, cores)
    var levels: [CacheLevel] = []
    let root = "/sys/devices/system/cpu/cpu0/cache"
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    for entry in entries.sorted() where entry.hasPrefix("index") {
      func read(_ name: String) -> String? {
        (try? String(contentsOfFile: "\(root)/\(entry)/\(name)", encoding: .utf8))?
          .trimmingCharacters(in: .whitespacesAndNewlines)
      }
      guard let type = read("type"), type == "Data" || type == "Unified", let level = read("level").flatMap({ Int($0) }),
        let size = read("size").flatMap(parseSize), size > 0
      else { continue }
      let sharers = read("shared_cpu_list").map(countCPUs) ?? 1
      levels.append(CacheLevel(level: level, bytesPerInstance: size, instances: max(1, cores / max(1, sharers))))
    }
    #if os(Linux)
      if levels.isEmpty {
        let queried = [
          (1, sysconf(Int32(_SC_LEVEL1_DCACHE_SIZE)), cores), (2, sysconf(Int32(_SC_LEVEL2_CACHE_SIZE)), cores),
          (3, sysconf(Int32(_SC_LEVEL3_CACHE_SIZE)), 1),
        ]
        for (level, size, instances) in queried where size > 0 {
          levels.append(CacheLevel(level: level, bytesPerInstance: size, instances: instances))
        }
      }
    #endif
    return levels.sorted { ($0.level, $0.bytesPerInstance) < ($1.level, $1.bytesPerInstance) }
  }

  /// `32K`, `1024K`, `32M`, `65536` as bytes.
  public static func parseSize(_ text: String) -> Int? {
    let unit: Int
    var digits = Substring(text)
    switch text.last {
    case "K"?, "k"?: unit = 1 << 10
    case "M"?, "m"?: unit = 1 << 20
    case "G"?, "g"?: unit = 1 << 30
    default: unit = 1
    }
    if unit > 1 { digits = digits.dropLast() }
    guard let value = Int(digits), value >= 0, value <= Int.max / unit else { return nil }
    return value * unit
  }

  /// CPUs in a list such as `0-3,8,10-11`.
  public static func countCPUs(_ list: String) -> Int {
    var count = 0
    for part in list.split(separator: ",") {
      let bounds = part.split(separator: "-").compactMap { Int($0) }
      if bounds.count == 2, bounds[1] >= bounds[0] { count += bounds[1] - bounds[0] + 1 } else if bounds.count == 1 { count += 1 }
    }
    return max(1, count)
  }
}
