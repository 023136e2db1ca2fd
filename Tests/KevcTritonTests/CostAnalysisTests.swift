import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTorch
import KevcTransforms
import Testing

/// The one cost analysis (KevcIR's `CostAnalysis.swift`): the GPU harness's floor (`COST` of the torch reference
/// module) and the CPU search's roofline floor (`WorkloadCost`) are the same numbers for every spec, and the
/// analytic cost of the default CPU and GPU schedules never claims less traffic or arithmetic than that floor.
@Suite struct CostAnalysisTests {
  @Test func cpuAndGPUFloorsComeFromOneAnalysis() throws {
    var checked = 0
    for spec in TritonTestSupport.specs {
      let k = try TritonTestSupport.bound(spec)
      let floor = WorkloadCost(k)
      let stated = floor.integral
      let module = try TorchReferenceEmitter.emit(k)
      #expect(module.contains("COST = {\"bytes\": \(stated.bytes), \"flops\": \(stated.flops)}"), "\(spec.lastPathComponent)")
      let schedules: [(String, Trace, ScheduleCost.Machine)] = [
        ("cpu", DefaultSchedule.cpu(for: k), .cpu(cores: 2)), ("gpu", DefaultSchedule.gpu(for: k), .init()),
      ]
      for (target, trace, machine) in schedules {
        let cost = ScheduleCost.estimate(try trace.apply(to: k), machine: machine)
        #expect(cost.bytes >= floor.bytes * 0.999, "\(spec.lastPathComponent) \(target): \(cost.bytes) < \(floor.bytes) bytes")
        // A phase split drops the taps the spec's guards discard (a strided transposed convolution), which the floor
        // of the spec as written counts: its schedule does less arithmetic than that floor, by design.
        let dropsTaps = trace.steps.contains { if case .phaseSplit = $0 { return true } else { return false } }
        #expect(
          dropsTaps || cost.flops >= floor.flops * 0.999,
          "\(spec.lastPathComponent) \(target): \(cost.flops) < \(floor.flops) flops")
        #expect(cost.seconds > 0 && cost.seconds.isFinite)
      }
      checked += 1
    }
    #expect(checked > 30)
  }

  /// The torch reference's `_DEFINITIONS` table gives each definition's reduction length (0 without one: the
  /// prelude's `box_budget` sizes a reduction's boxes by it): a pool's taps, a row's length, a convolution's
  /// C x K x K; an elementwise definition 0. `_CONTRACTIONS` gives each einsum's axes its boxes tile first.
  @Test func referenceBoxesFollowTheReductionLength() throws {
    let cases: [(String, [String: Int], String)] = [
      ("specs/kernelbench/max_pool1d.kev", ["N": 2, "C": 3, "L": 64], "(\"y\", _d0, [2, 3, 51], \"f32\", \"f32\", 8, 1),"),
      ("specs/kernelbench/softplus.kev", [:], "(\"y\", _d0, [13, 37], \"f32\", \"f32\", 0, 3),"),
      ("specs/kernelbench/log_softmax.kev", ["B": 4, "D": 1000], "(\"mx\", _d0, [4], \"f32\", \"f32\", 1000, 1),"),
      ("specs/kernelbench/conv2d_square.kev", [:], "\"f32\", \"f32\", 27, 2),"),
    ]
    for (spec, shape, line) in cases {
      let module = try TorchReferenceEmitter.emit(try TritonTestSupport.bound(TritonTestSupport.inRepository(spec), shape))
      #expect(module.contains(line), "\(spec): \(module.split(separator: "\n").filter { $0.contains("_d0,") })")
    }
    // A contraction's boxes tile first the output axes its larger factor does not use: a convolution's filters
    // (its input patches, n, i, j, are the larger factor); a square matmul's factors are as large: none.
    let boxAxes: [(String, [String: Int], String)] = [
      ("specs/kernelbench/conv2d_square.kev", [:], "_CONTRACTIONS = {\"y\": [1]}"),
      ("specs/kernelbench/conv2d_square.kev", ["N": 16, "C": 16, "H": 1024, "W": 1024, "F": 128, "K": 3],
       "_CONTRACTIONS = {\"y\": [1]}"),
      ("specs/matmul.kev", ["M": 64, "N": 64, "K": 32], "_CONTRACTIONS = {\"c\": []}"),
      ("specs/kernelbench/softplus.kev", [:], "_CONTRACTIONS = {}"),
    ]
    for (spec, shape, line) in boxAxes {
      let module = try TorchReferenceEmitter.emit(try TritonTestSupport.bound(TritonTestSupport.inRepository(spec), shape))
      #expect(module.contains(line), "\(spec): \(module.split(separator: "\n").filter { $0.hasPrefix("_CONTRACTIONS") })")
    }
  }

  /// A parameter read only through data-dependent indices (a gather) is charged the elements its lookups touch,
  /// capped by the whole tensor; every other parameter and result is charged whole (`gatheredElements`).
  @Test func gatherChargesTheRowsItsLookupsTouch() throws {
    // embedding_bag: table[indices[j], d] summed over j in offsets[b] .. offsets[b + 1] (data bounds: length 1),
    // so B x 1 rows of D f32; indices, offsets (read affinely) and out whole.
    let bag = WorkloadCost(
      try TritonTestSupport.bound(
        TritonTestSupport.inRepository("specs/embedding_bag.kev"), ["V": 100_000, "D": 16, "B": 64, "NNZ": 64]))
    #expect(bag.bytes == Double(64 * 16 * 4 + 64 * 4 + 65 * 4 + 64 * 16 * 4))
    // hashed_embedding_bag: table[(ids[b, l] * 31 + 17) % V, d]: B x L rows of D bf16.
    let hashed = WorkloadCost(
      try TritonTestSupport.bound(
        TritonTestSupport.inRepository("specs/hashed_embedding_bag.kev"), ["V": 997, "D": 24, "B": 13, "L": 7]))
    #expect(hashed.bytes == Double(13 * 7 * 24 * 2 + 13 * 7 * 8 + 13 * 24 * 4))
    // More lookups than rows: the whole table (never above the old count).
    let small = WorkloadCost(
      try TritonTestSupport.bound(
        TritonTestSupport.inRepository("specs/hashed_embedding_bag.kev"), ["V": 5, "D": 24, "B": 13, "L": 7]))
    #expect(small.bytes == Double(5 * 24 * 2 + 13 * 7 * 8 + 13 * 24 * 4))
    // jagged_truncate: values[start[b] + t, d]: B x T rows of D bf16, capped by the R x D values.
    let jagged = WorkloadCost(
      try TritonTestSupport.bound(
        TritonTestSupport.inRepository("specs/jagged_truncate.kev"), ["R": 100_000, "D": 13, "B": 7, "T": 29]))
    #expect(jagged.bytes == Double(7 * 29 * 13 * 2 + 8 * 4 + 7 * 29 * 13 * 2))
  }

  /// A tensor also read affinely keeps the whole tensor, and so does every spec without a gather.
  @Test func affineReadsKeepTheWholeTensor() throws {
    let text = """
      kernel mixed(table: f32[V, D], idx: i32[B] in 0 .. V) -> (out: f32[B, D]) {
        dims V = 1000, D = 8, B = 4
        out[b, d] = table[idx[b], d] + table[b, d]
      }
      """
    let request = CompileRequest(source: SourceFile(path: "t.kev", text: text), kind: .spec, stages: [.ir])
    let k = try Compiler.compile(request).kernel
    let mixed = WorkloadCost(try k.binding([:], location: .unknown))
    #expect(mixed.bytes == Double(1000 * 8 * 4 + 4 * 4 + 4 * 8 * 4))
    let matmul = WorkloadCost(
      try TritonTestSupport.bound(TritonTestSupport.inRepository("specs/matmul.kev"), ["M": 64, "N": 32, "K": 16]))
    #expect(matmul.bytes == Double((64 * 16 + 16 * 32 + 64 * 32) * 4))
  }

  /// The floor counts only the taps of a sum of products that read inside a zero-padded input (`productPoints`):
  /// a transposed convolution's output near its edges sees fewer taps than K, a padded and dilated convolution's
  /// too, and a strided transposed convolution's guard `(t + 1 - q) % 2 == 0` drops the taps between inputs; a
  /// convolution that reads inside everywhere counts every tap, and a guard on data counts as true.
  @Test func tapsOnThePaddingAreNotCounted() throws {
    func cost(_ text: String) throws -> WorkloadCost {
      let request = CompileRequest(source: SourceFile(path: "t.kev", text: text), kind: .spec, stages: [.ir])
      return WorkloadCost(try Compiler.compile(request).kernel.binding([:], location: .unknown))
    }
    // 1-D transposed: 6 outputs l, 3 taps k, 12 of the 18 pairs with 0 <= l - k < 4 (each input feeds 3 outputs);
    // a multiply and an add per tap.
    let transposed = try cost("""
      kernel t1(x: f32[N, C, L], w: f32[C, F, K]) -> (y: f32[N, F, L + K - 1]) {
        dims N = 2, C = 3, L = 4, F = 5, K = 3
        y[n, f, l] = sum(c, k) x[n, c, l - k] * w[c, f, k]
      }
      """)
    #expect(transposed.flops == Double(2 * 5 * 3 * 12 * 2))
    #expect(transposed.work == Double(2 * 5 * 6 * 3 * 3))
    // 2-D, padded and dilated: counted by enumerating every point here.
    let (h, wd, kh, kw) = (7, 9, 3, 4)
    let (oh, ow) = (h + 4 - 2 * (kh - 1), wd + 8 - 3 * (kw - 1))
    var inside = 0
    for i in 0..<oh { for p in 0..<kh where (0..<h).contains(i + 2 * p - 2) { inside += 1 } }
    var insideColumns = 0
    for j in 0..<ow { for q in 0..<kw where (0..<wd).contains(j + 3 * q - 4) { insideColumns += 1 } }
    let padded = try cost("""
      kernel c2(x: f32[N, C, H, W], w: f32[F, C, KH, KW]) -> (y: f32[N, F, H + 4 - 2 * (KH - 1), W + 8 - 3 * (KW - 1)]) {
        dims N = 2, C = 3, H = \(h), W = \(wd), F = 5, KH = \(kh), KW = \(kw)
        y[n, f, i, j] = sum(c, p, q) x[n, c, i + 2 * p - 2, j + 3 * q - 4] * w[f, c, p, q]
      }
      """)
    #expect(inside < oh * kh && insideColumns < ow * kw)
    #expect(padded.flops == Double(2 * 5 * 3 * inside * insideColumns * 2))
    // Inside everywhere: every tap.
    let valid = try cost("""
      kernel c1(x: f32[N, C, L], w: f32[F, C, K]) -> (y: f32[N, F, L - K + 1]) {
        dims N = 2, C = 3, L = 9, F = 5, K = 3
        y[n, f, l] = sum(c, k) x[n, c, l + k] * w[f, c, k]
      }
      """)
    #expect(valid.flops == Double(2 * 5 * 7 * 3 * 3 * 2))
    // A guard with a modulo (a strided transposed convolution): the taps where it holds and the read is inside,
    // counted here by enumeration.
    var guarded = 0
    for t in 0..<(2 * 5 + 4 - 3) { for q in 0..<4 where (t + 1 - q) % 2 == 0 && (0..<5).contains((t + 1 - q) / 2) { guarded += 1 } }
    let strided = try cost("""
      kernel s1(x: f32[N, C, L], w: f32[C, F, K]) -> (y: f32[N, F, 2 * L + K - 3]) {
        dims N = 2, C = 3, L = 5, F = 4, K = 4
        y[n, f, t] = sum(c, q) where((t + 1 - q) % 2 == 0, x[n, c, (t + 1 - q) / 2], 0) * w[c, f, q]
      }
      """)
    #expect(guarded < (2 * 5 + 4 - 3) * 4)
    #expect(strided.flops == Double(2 * 4 * 3 * guarded * 2))
    // A guard that is not an equality of indices counts as true: every inside tap of a padded read.
    let other = try cost("""
      kernel g1(x: f32[N, C, L], w: f32[C, F, K], m: f32[C]) -> (y: f32[N, F, L + K - 1]) {
        dims N = 2, C = 3, L = 4, F = 5, K = 3
        y[n, f, l] = sum(c, k) where(m[c] > 0, x[n, c, l - k], 0) * w[c, f, k]
      }
      """)
    #expect(other.flops == Double(2 * 5 * 3 * 12 * 2))
  }

  /// A GPU schedule and a CPU schedule of one kernel are costed by the same code: a CPU machine with the GPU's
  /// numbers gives the same bytes and flops for the same scheduled kernel.
  @Test func machineChangesTimeNotCounts() throws {
    let spec = TritonTestSupport.inRepository("specs/softmax.kev")
    let k = try TritonTestSupport.bound(spec)
    let s = try DefaultSchedule.gpu(for: k).apply(to: k)
    let gpu = ScheduleCost.estimate(s)
    let cpu = ScheduleCost.estimate(s, machine: .cpu(cores: 16))
    #expect(gpu.bytes == cpu.bytes && gpu.flops == cpu.flops && gpu.kernels == cpu.kernels)
    #expect(gpu.seconds < cpu.seconds)
  }
  /// The CPU model's thread pool: a parallel loop pays `forkJoinSeconds` per entry (once per iteration of the loops
  /// outside it) and divides its work over the cores it has iterations for; a serial definition reaches one core's
  /// share of the peaks. Over tiny work the parallel loop costs more than the serial one; over large work, less.
  @Test(arguments: [(64, 1024, false), (4096, 4096, true)])
  func parallelLoopPaysForkAndJoin(rows: Int, columns: Int, faster: Bool) throws {
    let k = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @rowsum(%x: f32[M, K]) -> (%y: f32[M]) {
        dims M = \(rows), K = \(columns)
        %y: f32[m < M] = sum<f32> [k in 0 .. $K] (%x[m, k])
      }
      """))
    let serial = try Trace([.split(tensor: "y", loop: "k", factor: 8), .vectorize(tensor: "y", loop: "k.i", width: 8)])
      .apply(to: k)
    let parallel = try Trace([.parallel(tensor: "y", loop: "m")]).apply(to: serial)
    for cores in [2, 16] {
      let machine = ScheduleCost.Machine.cpu(cores: cores)
      let s = ScheduleCost.estimate(serial, machine: machine).seconds
      let p = ScheduleCost.estimate(parallel, machine: machine).seconds
      #expect((p < s) == faster, "\(rows)x\(columns) on \(cores) cores: parallel \(p) s, serial \(s) s")
    }
    // Entered once per iteration of an outer serial loop, the fork and join is paid that many times.
    let inner = try Trace([.split(tensor: "y", loop: "m", factor: 16), .parallel(tensor: "y", loop: "m.i")]).apply(to: serial)
    let machine = ScheduleCost.Machine.cpu(cores: 2)
    let once = ScheduleCost.estimate(parallel, machine: machine).seconds
    let perRow = ScheduleCost.estimate(inner, machine: machine).seconds
    #expect(perRow - once >= Double(rows / 16 - 1) * machine.forkJoinSeconds * 0.99)
    // A GPU has no fork and join: its launch is the kernel's.
    #expect(ScheduleCost.Machine().forkJoinSeconds == 0)
  }

  /// The CPU default never loses to no schedule by the model it decides its thread pool with
  /// (`DefaultSchedule.guardMachine`): over every spec at its default shape, its estimate is at most the
  /// unscheduled kernel's, launches aside, but for 1 us and 50% (a scan's extra pass over a 1 us kernel; the thread
  /// pool's fork and join over tiny work cost 100 us).
  @Test func cpuDefaultNeverLosesToNoScheduleByTheModel() throws {
    var checked = 0
    for spec in TritonTestSupport.specs {
      let k = try TritonTestSupport.bound(spec)
      // Less the model's per-kernel launch: on a CPU one function runs every root definition, and a scan's rewrite
      // (rule 0) adds one (scan_cumsum_reverse at its 1 us default shape).
      let m = DefaultSchedule.guardMachine
      func seconds(_ c: ScheduleCost) -> Double { c.seconds - Double(c.kernels) * m.launchSeconds }
      let none = seconds(ScheduleCost.estimate(k, machine: m))
      let scheduled = seconds(ScheduleCost.estimate(try DefaultSchedule.cpu(for: k).apply(to: k), machine: m))
      #expect(scheduled <= none * 1.5 + 1e-6, "\(spec.lastPathComponent): default \(scheduled) s, unscheduled \(none) s")
      checked += 1
    }
    #expect(checked > 30)
  }

  /// The matmul at 4096^3 with the matrix units' tiles of any dot (128x128x32: sketch `tf32x3-large-tiles`; the
  /// default's tf32x3 tiles, 128x64x16, re-read the operands enough that tf32 and bf16 would be memory-bound alike)
  /// and its dot's precision replaced by `precision`.
  static func matmul(_ precision: DotPrecision?) throws -> (unscheduled: Kernel, scheduled: Kernel) {
    // Operands K-major (C = A B^T): an MN-major f32 operand stays on the FMA units' tiles (rule 4d).
    let k = try TritonTestSupport.bound(
      TritonTestSupport.inRepository("specs/kernelbench/matmul_transposed_b.kev"), ["M": 4096, "N": 4096, "K": 4096])
    guard let large = GPUSketch.all.first(where: { $0.name == "tf32x3-large-tiles" }) else {
      Issue.record("no sketch tf32x3-large-tiles")
      return (k, k)
    }
    var s = try DefaultSchedule.gpu(for: k, sketch: large).apply(to: k)
    guard let i = s.definitions.firstIndex(where: { $0.effectiveSchedule.isDot }) else {
      Issue.record("the default GPU schedule of matmul has no dot")
      return (k, s)
    }
    s.definitions[i].schedule?.dotPrecision = precision
    return (k, s)
  }

  /// A contraction's predicted time follows the precision it runs at: f32 `ieee` (no precision) at the FMA peak,
  /// `tf32x3` at a third of the tf32 rate, `bf16x3` at a third of the matrix units' peak (three bf16 passes: half
  /// tf32x3's time on an H100, where tf32 runs at half the bf16 rate), `tf32` at the tf32 rate, `bf16` at the
  /// matrix units' peak.
  @Test func dotTimeFollowsPrecision() throws {
    let machine = ScheduleCost.Machine()
    let costs = try [nil, DotPrecision.tf32x3, .bf16x3, .bf16].map { ScheduleCost.estimate(try Self.matmul($0).scheduled) }
    let t = costs.map(\.seconds)
    #expect(t[0] > t[1] && t[1] > t[2] && t[2] > t[3], "ieee, tf32x3, bf16x3, bf16: \(t)")
    // Compute-bound at 4096^3 in ieee, tf32x3 and bf16x3: the time is the flops over the rate (plus a launch), times
    // the wave quantisation of its 1024 tiles of 128x128 over 132 SMs (the busiest runs 8 where 7.76 is the even
    // share).
    let quantisation = (1024.0 / 132).rounded(.up) * 132 / 1024
    #expect(abs(t[2] / (quantisation * 3 * costs[0].flops / machine.dotFlops) - 1) < 0.02, "bf16x3: \(t[2]) s")
    #expect(ScheduleCost.estimate(try Self.matmul(.tf32).scheduled).seconds < t[1])
    #expect(costs.allSatisfy { $0.flops == costs[0].flops })
    let flops = costs[0].flops
    #expect(abs(t[0] / (quantisation * flops / machine.peakFlops) - 1) < 0.02, "\(t[0]) s for \(flops) flops")
    #expect(abs(t[1] / (quantisation * 3 * flops / machine.tf32Flops) - 1) < 0.02, "\(t[1]) s for \(flops) flops")
  }

  /// `kevc audit`'s fraction of the floor: the floor is at the matrix units' peak whatever the precision, so an f32
  /// matmul left in `ieee` reaches at most the FMA peak over the matrix units' peak (a tenth), `tf32x3` a third of
  /// the tf32 rate over it in proportion; bf16 more (there the operand re-reads of the model's memory side bound
  /// it).
  @Test func auditFloorFractionFollowsPrecision() throws {
    func fraction(_ p: DotPrecision?) throws -> Double {
      let m = try Self.matmul(p)
      return ScheduleAudit(unscheduled: m.unscheduled, scheduled: m.scheduled).floorFraction
    }
    let machine = ScheduleCost.Machine()
    let ieee = try fraction(nil)
    let x3 = try fraction(.tf32x3)
    let bf16 = try fraction(.bf16)
    // The audit's machine is the GPU's (`GPUCapability.costMachine`: its wave quantisation and pipeline terms set
    // the absolute fractions); between precisions the fractions follow the rates: tf32x3's over ieee's is a third of
    // the tf32 rate over the FMA peak.
    #expect(ieee > 0 && ieee < machine.peakFlops / machine.dotFlops * 1.2, "\(ieee)")
    #expect(abs((x3 / ieee) / (machine.tf32Flops / 3 / machine.peakFlops) - 1) < 0.02, "\(x3) against \(ieee)")
    #expect(bf16 > 2 * x3 && bf16 <= 1, "\(bf16)")
  }
  /// A block fold (attention's one online pass, bench/gpu/attention.fused.trace) is costed as Triton runs it: the
  /// element's `exp` on the [64 rows, 64 keys] weights only, `P V` a matrix product per key block at the bf16 rate,
  /// the scores a `dot` inside: its flops are the two contractions' (2 * 2 * B * H * S * S * D) plus the element
  /// work, not the element over every [rows, e, keys] lane, and its estimate is below the two-pass default's. The
  /// audit sizes its tiles as those dots' (48 KiB of shared memory, as Triton allocates for cuda:90).
  @Test func blockFoldIsMatrixProducts() throws {
    let spec = TritonTestSupport.inRepository("specs/attention.kev")
    let k = try TritonTestSupport.bound(spec, ["B": 4, "H": 32, "S": 2048, "D": 128])
    let trace = try Trace.parse(SourceFile(
      path: "t", text: String(decoding: try Data(contentsOf: TritonTestSupport.inRepository("bench/gpu/attention.fused.trace")), as: UTF8.self)))
    let fused = try trace.apply(to: k)
    guard let two = GPUSketch.all.first(where: { $0.name == "two-pass-weights" }) else {
      Issue.record("no sketch two-pass-weights")
      return
    }
    let twoPasses = try DefaultSchedule.gpu(for: k, sketch: two).apply(to: k)
    let machine = ScheduleCost.Machine.gpu(multiprocessors: 132)
    let one = ScheduleCost.estimate(fused, machine: machine)
    let contractions = 2.0 * 2 * 4 * 32 * 2048 * 2048 * 128
    #expect(one.flops >= contractions && one.flops < 1.2 * contractions, "\(one.flops)")
    #expect(one.seconds < ScheduleCost.estimate(twoPasses, machine: machine).seconds / 4, "\(one.seconds)")
    let audit = ScheduleAudit(unscheduled: k, scheduled: fused)
    #expect(audit.allFlags.isEmpty && audit.rows.map(\.sharedBytes) == [49152], "\(audit.text())")
  }

  /// A product computed inside its epilogue's program (bench/gpu/matmul_bias_gelu.fused.trace: `compute_at(_r0, y,
  /// m.o)`, `dot(_r0)`) re-reads its operands once per program along the grid loops they do not walk, as a product
  /// at the root does: 128 x 256 tiles read x 16 times and w 32 times, 64 x 64 tiles 64 times each, so the smaller
  /// tiles are estimated slower. (It counted no re-reads before: every tile size had one estimate, and the
  /// analytic ranking of a matmul search's fused candidates was their noise, rho -0.51 on
  /// bench/search/noseeds-h100-2026-12-07.)
  @Test func productInsideItsEpilogueReReadsItsOperandsPerTile() throws {
    let spec = TritonTestSupport.inRepository("specs/matmul_bias_gelu.kev")
    let k = try TritonTestSupport.bound(spec, ["M": 4096, "N": 4096, "K": 4096])
    let hand = String(
      decoding: try Data(contentsOf: TritonTestSupport.inRepository("bench/gpu/matmul_bias_gelu.fused.trace")), as: UTF8.self)
    #expect(hand.contains("split(y, m, 128)") && hand.contains("split(y, n, 256)"))
    func fused(_ bm: Int, _ bn: Int) throws -> ScheduleCost {
      let text = hand.replacingOccurrences(of: "split(y, m, 128)", with: "split(y, m, \(bm))")
        .replacingOccurrences(of: "split(y, n, 256)", with: "split(y, n, \(bn))")
      return ScheduleCost.estimate(try Trace.parse(SourceFile(path: "t", text: text)).apply(to: k), machine: .gpu(multiprocessors: 132))
    }
    let wide = try fused(128, 256)
    let small = try fused(64, 64)
    let operand = 4096.0 * 4096 * 2  // x and w, bf16
    #expect(wide.rereadBytes == operand * (4096 / 256 - 1) + operand * (4096 / 128 - 1), "\(wide.rereadBytes)")
    #expect(small.rereadBytes == 2 * operand * (4096 / 64 - 1), "\(small.rereadBytes)")
    #expect(small.seconds > wide.seconds, "\(small.seconds) <= \(wide.seconds)")
  }
}

/// A `dot` kernel's estimate sees its launch's warps and stages, its k step and its persistent programs (issue 15),
/// each in the direction the machine's facts give (`ScheduleCost.estimate`, terms (a)-(d)).
@Suite struct DotTileCostTests {
  /// One matmul kernel, a root `dot` of [bm, bn] tiles stepping K by bk, with that launch.
  func estimate(
    m: Int, n: Int, k: Int, bm: Int, bn: Int, bk: Int, warps: Int, stages: Int, persistent: Int? = nil
  ) throws -> ScheduleCost {
    let text = """
      kernel @mm(%a: bf16[M, K], %b: bf16[K, N]) -> (%c: f32[M, N]) {
        dims M = \(m) bench \(m), K = \(k) bench \(k), N = \(n) bench \(n)
        %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a[m, k]) * cast<f32>(%b[k, n]))
          schedule split(m, m.o, m.i, \(bm)) split(n, n.o, n.i, \(bn)) split(k, k.o, k.i, \(bk)) loops(n.o: bind(grid.x), m.o: bind(grid.y), m.i: bind(block.y), n.i: bind(block.x), k.o, k.i: bind(block.z)) root store(workspace) dot launch(warps \(warps), stages \(stages))\(persistent.map { " persistent(\($0))" } ?? "")
      }
      """
    return ScheduleCost.estimate(try IRParser.parse(SourceFile(path: "mm", text: text)), machine: .gpu(multiprocessors: 132))
  }

  /// (c) Fewer warps on a 128x128 bf16 tile read more of each operand per shared-memory byte: 32 warps (warp tiles
  /// of 512 elements) make the shared memory the bound, 8 do not (bench/search/noseeds-h100-2026-12-07: 0.367 ms
  /// against 0.217 ms measured).
  @Test func moreWarpsOnOneTileCostSharedMemoryBandwidth() throws {
    let eight = try estimate(m: 4096, n: 4096, k: 4096, bm: 128, bn: 128, bk: 64, warps: 8, stages: 3)
    let thirtyTwo = try estimate(m: 4096, n: 4096, k: 4096, bm: 128, bn: 128, bk: 64, warps: 32, stages: 3)
    let four = try estimate(m: 4096, n: 4096, k: 4096, bm: 128, bn: 128, bk: 64, warps: 4, stages: 3)
    #expect(thirtyTwo.seconds > 1.3 * eight.seconds, "\(thirtyTwo.seconds) vs \(eight.seconds)")
    #expect(four.seconds <= eight.seconds)
  }

  /// (d) A memory-bound skinny product (16 rows): each SM holds one program, whose `stages - 1` prefetched k steps
  /// must cover DRAM's latency-bandwidth product (11 KiB an SM on an H100): more stages, or a deeper k step,
  /// estimate less time, until enough is in flight.
  @Test func moreStagesOrADeeperKStepHideDRAMLatency() throws {
    func skinny(bk: Int, stages: Int) throws -> Double {
      try estimate(m: 16, n: 8192, k: 8192, bm: 16, bn: 64, bk: bk, warps: 4, stages: stages).seconds
    }
    let two = try skinny(bk: 32, stages: 2)  // 5 KiB in flight
    let three = try skinny(bk: 32, stages: 3)  // 10 KiB
    let four = try skinny(bk: 32, stages: 4)  // 15 KiB: enough
    let five = try skinny(bk: 32, stages: 5)
    #expect(two > three && three > four, "\(two) \(three) \(four)")
    #expect(four == five)
    #expect(try skinny(bk: 64, stages: 2) < two)
  }

  /// (b) Wave quantisation over the SMs: persistent(66) programs over a grid of 512 tiles use half the SMs; a grid
  /// of 64 tiles, 64 of 132. (a) Shared memory bounds the programs an SM holds: a 128x128x64 bf16 tile of 3
  /// stages, 64 KiB (`dotSharedMemory`), 3 per SM whatever the warps allow.
  @Test func persistentProgramsAndSmallGridsLeaveSMsIdle() throws {
    let grid = try estimate(m: 4096, n: 4096, k: 4096, bm: 128, bn: 256, bk: 64, warps: 8, stages: 3)
    let half = try estimate(m: 4096, n: 4096, k: 4096, bm: 128, bn: 256, bk: 64, warps: 8, stages: 3, persistent: 66)
    let all = try estimate(m: 4096, n: 4096, k: 4096, bm: 128, bn: 256, bk: 64, warps: 8, stages: 3, persistent: 132)
    #expect(half.seconds > 1.8 * grid.seconds, "\(half.seconds) vs \(grid.seconds)")
    #expect(all.seconds == grid.seconds)
    let small = try estimate(m: 1024, n: 1024, k: 65536, bm: 128, bn: 128, bk: 64, warps: 8, stages: 3)
    let flops = 2.0 * 1024 * 1024 * 65536
    #expect(small.seconds > 1.9 * flops / ScheduleCost.Machine().dotFlops, "\(small.seconds)")
    let tile = ScheduleCost.Machine.dotSharedMemory(m: 128, n: 128, k: 64, stages: 3, operandBytes: 2, warpSize: 32)
    #expect(tile == 64 * 1024 && GPUCapability.cudaSM90.dotSharedMemory(m: 128, n: 128, k: 64, stages: 3, operandBytes: 2) == tile)
    #expect(grid.occupancy == 1)
    let few = try estimate(m: 1024, n: 1024, k: 4096, bm: 128, bn: 128, bk: 64, warps: 4, stages: 3)
    #expect(few.occupancy == 64.0 / (132 * 3), "\(few.occupancy)")
  }
}
