/// The CPU roofline floor is a lower bound (issues 15 and 17): measured on this machine, the register-tiled default
/// at a small shape and a small row reduction run no faster than it (they were flagged against the old DRAM-only
/// floor with a single-chain peak), an impossible time is still flagged, the floor grows with the problem, and a
/// machine without cache levels (a GPU's) keeps bytes / bandwidth.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcInterpreter
import KevcSearch
import Testing

@Suite(.serialized) struct RooflineTests {
  /// This machine, measured once for the suite.
  static let measured: Result<MachinePeaks, DiagnosticError> = Result { () throws(DiagnosticError) in
    try MachineProbe.measure()
  }

  static func floorPeaks(_ peaks: MachinePeaks) -> MachinePeaks {
    ScheduleCost.Machine.cpu(cores: ProcessInfo.processInfo.activeProcessorCount, peaks: peaks).floorPeaks
  }

  static func bound(_ text: String, shape: [String: Int] = [:]) throws -> Kernel {
    let request = CompileRequest(source: SourceFile(path: "t.kev", text: text), kind: .spec, shapeOverrides: shape, stages: [.scheduled])
    return try #require(try Compiler.compile(request).boundKernel)
  }

  /// The best seconds per call of the default CPU schedule (the fastest sample: the strictest test of the floor).
  static func bestTime(_ text: String, shape: [String: Int] = [:]) throws -> (seconds: Double, cost: WorkloadCost) {
    let request = CompileRequest(source: SourceFile(path: "t.kev", text: text), kind: .spec, shapeOverrides: shape, stages: [.llvm])
    let result = try Compiler.compile(request)
    let kernel = try #require(result.boundKernel)
    let jit = try #require(result.module).jit()
    var buffers = (kernel.params + kernel.results).map { p in
      [UInt8](repeating: 0, count: p.shape.reduce(1) { $0 * ($1.evaluate(kernel.dimBindings) ?? 0) } * p.dtype.byteSize)
    }
    let samples = try jit.time(&buffers, iterations: 200, repeats: 15)
    return (try #require(samples.min()), WorkloadCost(kernel))
  }

  /// The best seconds per call of the default CPU schedule of a spec on inputs drawn as the search draws them (a
  /// gather's indices in range, jagged offsets sorted: zeros would make every lookup hit one row).
  static func bestTimeOnDrawnInputs(_ spec: String, shape: [String: Int]) throws
    -> (seconds: Double, cost: WorkloadCost)
  {
    let text = try String(contentsOf: Paths.inRepository(spec), encoding: .utf8)
    let request = CompileRequest(
      source: SourceFile(path: spec, text: text), kind: .spec, shapeOverrides: shape, stages: [.llvm])
    let result = try Compiler.compile(request)
    let kernel = try #require(result.boundKernel)
    let jit = try #require(result.module).jit()
    let inputs = RandomInputs.generate(for: kernel, seed: 7, distribution: .normal)
    var buffers = try kernel.params.map { p in try #require(inputs[p.name]).bytes() }
    buffers += kernel.results.map { r in
      [UInt8](repeating: 0, count: r.shape.reduce(1) { $0 * ($1.evaluate(kernel.dimBindings) ?? 0) } * r.dtype.byteSize)
    }
    let samples = try jit.time(&buffers, iterations: 200, repeats: 15)
    return (try #require(samples.min()), WorkloadCost(kernel))
  }

  /// A gather reads the rows its lookups touch, not the table: the embedding bag of issue h39 (a bag lookup reads
  /// 4 KB of a 6.4 MB table here; charged the whole table it was flagged at 280% and more), the hashed bag and
  /// the jagged truncation run no faster than their floors.
  @Test(arguments: [
    ("specs/embedding_bag.kev", ["V": 100_000, "D": 16, "B": 64, "NNZ": 64]),
    ("specs/hashed_embedding_bag.kev", ["V": 100_003, "D": 24, "B": 13, "L": 7]),
    ("specs/jagged_truncate.kev", ["R": 100_000, "D": 13, "B": 7, "T": 29]),
  ])
  func gatherIsNotFlagged(spec: String, shape: [String: Int]) throws {
    let peaks = Self.floorPeaks(try Self.measured.get())
    let (t, cost) = try Self.bestTimeOnDrawnInputs(spec, shape: shape)
    let fraction = cost.floorSeconds(peaks) / t
    #expect(SearchEngine.floorFlag(fraction: fraction) == nil, "\(spec): \(fraction * 100)% of \(peaks)")
  }

  static var matmul: String { get throws { try String(contentsOf: Paths.inRepository("specs/matmul.kev"), encoding: .utf8) } }
  static let rowSum = """
    kernel rowsum(x: f32[M, N]) -> (y: f32[M]) {
      dims M = 64, N = 256
      y[m] = sum(n) x[m, n]
    }
    """

  @Test func registerTiledDefaultAtASmallShapeIsNotFlagged() throws {
    let peaks = Self.floorPeaks(try Self.measured.get())
    let (t, cost) = try Self.bestTime(try Self.matmul, shape: ["M": 48, "N": 48, "K": 96])
    let fraction = cost.floorSeconds(peaks) / t
    #expect(SearchEngine.floorFlag(fraction: fraction) == nil, "\(fraction * 100)% of \(peaks)")
  }

  @Test func smallRowReductionIsNotFlagged() throws {
    let peaks = Self.floorPeaks(try Self.measured.get())
    let (t, cost) = try Self.bestTime(Self.rowSum)
    let fraction = cost.floorSeconds(peaks) / t
    #expect(SearchEngine.floorFlag(fraction: fraction) == nil, "\(fraction * 100)% of \(peaks)")
  }

  @Test func impossibleTimeIsStillFlagged() throws {
    let peaks = Self.floorPeaks(try Self.measured.get())
    let cost = WorkloadCost(try Self.bound(try Self.matmul, shape: ["M": 1024, "N": 1024, "K": 1024]))
    // 1 ns for 2 GFLOP: no CPU does that.
    #expect(SearchEngine.floorFlag(fraction: cost.floorSeconds(peaks) / 1e-9) != nil)
    // And 1 ns for a row sum of 64 MiB: no cache holds it.
    let big = WorkloadCost(try Self.bound(Self.rowSum, shape: ["M": 4096, "N": 4096]))
    #expect(SearchEngine.floorFlag(fraction: big.floorSeconds(peaks) / 1e-9) != nil)
  }

  @Test func probeFindsThePeakAndTheCaches() throws {
    let peaks = try Self.measured.get()
    #expect(peaks.peakFlops > 1e9 && peaks.bandwidth > 1e8)
    // Each cache level at least as fast as memory (the floor takes it so anyway), its size from the host.
    let host = CacheLevel.host(cores: ProcessInfo.processInfo.activeProcessorCount)
    #expect(peaks.levels.count == host.count)
    for (level, cache) in zip(peaks.levels, host) {
      #expect(level.bytes == Double(cache.bytesPerInstance * cache.instances))
      #expect(level.bandwidth > 0)
    }
  }

  @Test func floorGrowsWithTheProblem() throws {
    // A machine like this one: 32 KiB L1 and 1 MiB L2 per core, 32 MiB shared L3, two cores.
    let peaks = MachinePeaks(
      bandwidth: 2e10, peakFlops: 2e11,
      levels: [
        MemoryLevel(bytes: 65536, bandwidth: 4e11), MemoryLevel(bytes: 2_097_152, bandwidth: 2e11),
        MemoryLevel(bytes: 33_554_432, bandwidth: 1e11),
      ])
    var last = 0.0
    for n in stride(from: 16, through: 2048, by: 16) {
      let floor = WorkloadCost(try Self.bound(Self.rowSum, shape: ["M": n, "N": n])).floorSeconds(peaks)
      #expect(floor >= last, "rowsum \(n)x\(n): \(floor) < \(last)")
      last = floor
    }
    last = 0
    for bytes in stride(from: 0.0, through: 1e9, by: 1e6) {
      let t = peaks.memorySeconds(bytes)
      #expect(t >= last)
      last = t
    }
    // Cache-resident traffic goes at the first level's rate; past every cache, the floor approaches DRAM's.
    #expect(peaks.memorySeconds(32768) == 32768 / 4e11)
    let huge = 1e10
    #expect(peaks.memorySeconds(huge) >= (huge - Double((64 << 10) + (2 << 20) + (32 << 20))) / 2e10)
    #expect(peaks.memorySeconds(huge) <= huge / 2e10)
    // A slower level than a later one is taken at the later one's rate (never a bandwidth below one observed).
    let odd = MachinePeaks(bandwidth: 2e10, peakFlops: 1, levels: [MemoryLevel(bytes: 1024, bandwidth: 1e9)])
    #expect(odd.memorySeconds(512) == 512 / 2e10)
  }

  @Test func machineWithoutCachesKeepsBytesOverBandwidth() throws {
    // The GPU path: no levels, so its floors do not move.
    let gpu = ScheduleCost.Machine.gpu(multiprocessors: 132).floorPeaks
    #expect(gpu.levels.isEmpty)
    let cost = WorkloadCost(try Self.bound(Self.rowSum, shape: ["M": 4096, "N": 4096]))
    #expect(cost.floorSeconds(gpu) == max(cost.bytes / gpu.bandwidth, cost.flops / gpu.peakFlops))
  }

  @Test func cacheSizesParse() {
    #expect(CacheLevel.parseSize("32K") == 32 << 10)
    #expect(CacheLevel.parseSize("32768K") == 32 << 20)
    #expect(CacheLevel.parseSize("2M") == 2 << 20)
    #expect(CacheLevel.parseSize("x") == nil)
    #expect(CacheLevel.countCPUs("0-3,8,10-11") == 7)
    #expect(CacheLevel.countCPUs("0") == 1)
  }
}
