// The default GPU schedule's rules, each on a small kernel: IR text in, the trace the rule produces out (goldens),
// and the contraction tiles against every target's shared memory.
import KevcBasic
import KevcIR
import KevcTransforms
import Testing

@Suite struct DefaultGPUScheduleTests {
  static func trace(_ text: String, sketch: GPUSketch = .default) throws -> [String] {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: text))
    let trace = DefaultSchedule.gpu(for: kernel, sketch: sketch)
    _ = try trace.apply(to: kernel)  // legal by construction
    return trace.steps.map(TraceText.print)
  }

  /// The kernel IR text under the accuracy contract `contract` (`matmul_precision(high)` in its header).
  static func under(_ contract: MatmulPrecision, _ text: String) -> String {
    guard let brace = text.range(of: " {\n") else { return text }
    return text.replacingCharacters(in: brace, with: " matmul_precision(\(contract)) {\n")
  }

  /// Rule 1 and 2: a difference read once per point of a full reduction is inlined (no f32 intermediate in
  /// memory), and the reduction to a scalar, one program as written, becomes 1024 partial sums (one program
  /// each, over 4 rows: the 4 x 2048 window one block) combined by a second kernel.
  @Test func fullReductionIsSplitAcrossPrograms() throws {
    let steps = try Self.trace("""
      kernel @sumsq(%a: f32[M, N], %b: f32[M, N]) -> (%s: f32) {
        dims M = 4096, N = 2048
        %d: f32[m < M, n < N] = (%a[m, n] - %b[m, n])
        %s: f32[] = sum<f32> [m in 0 .. $M, n in 0 .. $N] (%d[m, n] * %d[m, n])
      }
      """)
    #expect(steps == [
      "inline(d)", "rfactor(s, m, 1024)", "bind(s.rf, m.i, grid.x)", "bind(s.rf, n, block.x)",
      "bind(s.rf, m.o, block.y)", "launch(s.rf, 16, 2)", "bind(s, m.i, block.x)", "launch(s, 4, 2)",
    ])
  }

  /// Rule 2 on the contiguous axis: 4 rows of 2^20 elements become 256 programs per row, each reading 64 adjacent
  /// elements per step; the partials (1/64 of the input) are combined per row.
  @Test func longRowsAreSplitAlongTheRow() throws {
    let steps = try Self.trace("""
      kernel @rowsum(%x: f32[M, N]) -> (%s: f32[M]) {
        dims M = 4, N = 1048576
        %s: f32[m < M] = sum<f32> [n in 0 .. $N] %x[m, n]
      }
      """)
    #expect(steps == [
      "rfactor(s, n, 16384)", "split(s.rf, n.i, 64)", "reorder(s.rf, [n.i.o, m, n.o, n.i.i])",
      "bind(s.rf, n.i.o, grid.x)", "bind(s.rf, m, grid.y)", "bind(s.rf, n.i.i, block.x)", "bind(s.rf, n.o, block.y)",
      "launch(s.rf, 16, 2)", "split(s, n.i, 2048)", "bind(s, m, grid.x)", "bind(s, n.i.i, block.x)", "launch(s, 8, 2)",
    ])
  }

  /// Rule 2 twice: a full reduction to a scalar whose longest non-contiguous axis (c, 512) gives only 128 partials
  /// (a quarter of its extent) leaves the 132 SMs idle; the partials are split again over the next axis (a, 112: 8
  /// partials each), 1024 programs in all, combined by two small kernels.
  @Test func fullReductionIsSplitTwiceWhenOneAxisIsShort() throws {
    let steps = try Self.trace("""
      kernel @sumsq4(%x: f32[A, B, C, D]) -> (%s: f32) {
        dims A = 112, B = 64, C = 512, D = 512
        %s: f32[] = sum<f32> [a in 0 .. $A, b in 0 .. $B, c in 0 .. $C, d in 0 .. $D] (%x[a, b, c, d] * %x[a, b, c, d])
      }
      """)
    #expect(steps == [
      "rfactor(s, c, 128)", "rfactor(s.rf, a, 8)", "reorder(s.rf.rf, [c.i, a.i, b, c.o, a.o, d])",
      "bind(s.rf.rf, a.i, grid.x)", "bind(s.rf.rf, c.i, grid.y)", "bind(s.rf.rf, d, block.x)",
      "bind(s.rf.rf, a.o, block.y)", "launch(s.rf.rf, 16, 2)", "bind(s.rf, c.i, grid.x)", "bind(s.rf, a.i, block.x)",
      "launch(s.rf, 1, 2)", "bind(s, c.i, block.x)", "launch(s, 2, 2)",
    ])
  }

  /// Rule 4: a matrix times a vector is not a dot (its vector operand has no output axis of 16): one program per
  /// row (2048 programs, not 32 of 64-row tiles), the contiguous reduction axis a block of 8192, serial over tiles.
  @Test func matrixVectorIsARowReduction() throws {
    let steps = try Self.trace("""
      kernel @matvec(%a: f32[M, K], %x: f32[K, Z]) -> (%y: f32[M, Z]) {
        dims M = 2048, K = 1048576, Z = 1
        %y: f32[m < M, z < Z] = sum<f32> [k in 0 .. $K] (%a[m, k] * %x[k, z])
      }
      """)
    #expect(!steps.contains("dot(y)"))
    #expect(steps == [
      "split(y, k, 8192)", "reorder(y, [m, k.o, k.i, z])", "bind(y, m, grid.x)", "bind(y, z, block.x)",
      "bind(y, k.i, block.y)", "launch(y, 16, 2)",
    ])
  }

  /// Rule 3c: an RMS norm over channels (a statistic over a non-contiguous axis, read at the contiguous one): the
  /// elementwise step between is inlined, the sum of squares is computed inside the output's programs as a
  /// [64 j, 64 f] block, one kernel (before: three, 42% of the floor on an H100 at 112 x 64 x 512 x 512).
  @Test func columnStatisticsAreComputedInTheConsumersPrograms() throws {
    let steps = try Self.trace("""
      kernel @rms_norm_channels(%x: f32[B, F, D1, D2]) -> (%y: f32[B, F, D1, D2]) {
        dims B = 112, F = 64, D1 = 512, D2 = 512
        %ss: f32[b < B, i < D1, j < D2] = sum<f32> [f in 0 .. $F] (%x[b, f, i, j] * %x[b, f, i, j])
        %rms: f32[b < B, i < D1, j < D2] = sqrt(((%ss[b, i, j] / cast<f32>($F)) + 1e-05:f32))
        %y: f32[b < B, f < F, i < D1, j < D2] = (%x[b, f, i, j] / %rms[b, i, j])
      }
      """)
    #expect(steps == [
      "inline(rms)", "split(y, j, 64)", "reorder(y, [b, i, j.o, f, j.i])", "compute_at(ss, y, j.o)",
      "bind(y, j.o, grid.x)", "bind(y, i, grid.y)", "bind(y, b, grid.z)", "bind(y, f, block.y)", "bind(y, j.i, block.x)",
      "bind(ss, j, block.x)", "bind(ss, f, block.y)", "launch(y, 16, 2)",
    ])
  }

  /// Rule S: a prefix sum written as a triangular sum becomes a scan (O(N), not O(N^2)); rule 4 then gives the
  /// row a program and the scan axis blocks of 1024 with the prefix carried across them.
  @Test func triangularSumBecomesAScan() throws {
    let steps = try Self.trace("""
      kernel @cumsum(%x: f32[M, N]) -> (%y: f32[M, N]) {
        dims M = 4096, N = 32768
        %y: f32[m < M, n < N] = sum<f32> [j in 0 .. (n + 1)] %x[m, j]
      }
      """)
    #expect(steps == ["to_scan(y)", "split(y, n, 1024)", "bind(y, m, grid.x)", "bind(y, n.i, block.x)", "launch(y, 4, 2)"])
  }

  /// Rule P: a strided transposed convolution (4 taps, stride 2) is split by phase; each phase is a contraction of
  /// 2 taps that rule 4 makes a `dot`; rule P2 stores the two phases in place into `y` (whose own schedule, an
  /// elementwise tiling, is left unused: it emits no kernel).
  @Test func stridedTransposedConvolutionIsSplitByPhase() throws {
    let steps = try Self.trace("""
      kernel @ct(%x: f32[N, C, L], %w: f32[C, F, K]) -> (%y: f32[N, F, (((2 * L) + K) - 3)]) {
        dims N = 4, C = 16, L = 64, F = 32, K = 4
        %y: f32[n < N, f < F, t < (((2 * L) + K) - 3)] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (select(((((t + 1:i64) - k) % 2:i64) == 0:i64), %x[n, c, (((t + 1:i64) - k) / 2:i64)], 0.0:f32) * %w[c, f, k])
      }
      """)
    #expect(steps.first == "phase_split(y, [t])")
    #expect(steps.contains("dot(y.ph0)") && steps.contains("dot(y.ph1)"), "\(steps)")
    #expect(steps.contains("bind(y, t, block.x)"), "\(steps)")
    #expect(steps.contains("store_phases(y)"), "\(steps)")
  }

  /// Rule P2 under an epilogue (`tanh(conv + b)`, 2-d, stride 2): the interleaving is inlined into the epilogue
  /// (rule 1), the epilogue split by phase (each phase `tanh(c.phA_B + b)`) and stored in place, and each phase sum
  /// computed in its epilogue's programs (rule 3b): four kernels writing their slices of `y`, none for `y`. The cost
  /// model counts what that saves against the default without it (sketch field `phasesInPlace` off): the phases'
  /// intermediates written and read back, and the interleaving's pass over `y`. The loop-level targets' sketches
  /// (CuTe, HIP) leave it.
  @Test func phasesAreStoredInPlaceUnderTheirEpilogue() throws {
    let text = """
      kernel @ct(%x: f32[N, C, H, W], %w: f32[C, F, K, K], %b: f32[F]) -> (%y: f32[N, F, (((2 * H) + K) - 3), (((2 * W) + K) - 3)]) {
        dims N = 4, C = 64, H = 48, W = 48, F = 64, K = 4
        %c: f32[n < N, f < F, s < (((2 * H) + K) - 3), t < (((2 * W) + K) - 3)] = sum<f32> [c in 0 .. $C, p in 0 .. $K, q in 0 .. $K] (select((((((s + 1:i64) - p) % 2:i64) == 0:i64) and ((((t + 1:i64) - q) % 2:i64) == 0:i64)), %x[n, c, (((s + 1:i64) - p) / 2:i64), (((t + 1:i64) - q) / 2:i64)], 0.0:f32) * %w[c, f, p, q])
        %y: f32[n < N, f < F, s < (((2 * H) + K) - 3), t < (((2 * W) + K) - 3)] = tanh((%c[n, f, s, t] + %b[f]))
      }
      """
    let steps = try Self.trace(text)
    #expect(steps.starts(with: ["phase_split(c, [s, t])"]), "\(steps)")
    #expect(steps.contains("inline(c)") && steps.contains("phase_split(y, [s, t])") && steps.contains("store_phases(y)"), "\(steps)")
    for phase in ["0_0", "0_1", "1_0", "1_1"] {
      #expect(steps.contains { $0.hasPrefix("compute_at(c.ph\(phase), y.ph\(phase), ") }, "\(steps)")
    }
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: text))
    let scheduled = try DefaultSchedule.gpu(for: kernel).apply(to: kernel)
    #expect(scheduled.assembledInPlace == ["y"])
    var apart = GPUSketch.default
    apart.phasesInPlace = false
    let before = ScheduleCost.estimate(try DefaultSchedule.gpu(for: kernel, sketch: apart).apply(to: kernel))
    let after = ScheduleCost.estimate(scheduled)
    // y: 4 x 64 x 97 x 97 f32 (9.6 MB); before, the phases (the same elements) went through memory twice more and
    // the interleaving read them once and wrote y: at least 2 x y's bytes saved.
    let yBytes = 4.0 * 64 * 97 * 97 * 4
    #expect(before.bytes - after.bytes >= 2 * yBytes * 0.99, "\(before.bytes) -> \(after.bytes)")
    #expect(after.kernels < before.kernels, "\(before.kernels) -> \(after.kernels)")
    #expect(!GPUSketch.defaultSketch(forTarget: "cute").phasesInPlace && !GPUSketch.defaultSketch(forTarget: "hip").phasesInPlace)
  }

  /// Many rows: no split. Rules 1 and 3: the mean (cheap) is inlined, the row sum is computed once per row
  /// program and shared by the variance and the output (no copy for the variance).
  @Test func rowStatisticsAreSharedBySiblings() throws {
    let steps = try Self.trace(Self.norm)
    #expect(steps == [
      "inline(mean)", "compute_at(v, y, m)", "compute_at(s, y, m)", "bind(s, n, block.x)", "bind(v, n, block.x)",
      "bind(y, m, grid.x)", "bind(y, n, block.x)", "launch(y, 4, 2)",
    ])
  }

  /// Rule 3's guard: statistics over a whole plane read per (n, c) by an output whose programs are rows h (an
  /// instance norm) stay kernels of their own, one program per (n, c); computed in the output's programs, each
  /// of the 64 rows of a plane would reduce all 4096 of its points again (measured on an H100 at 112 x 64 x 512 x
  /// 512: 1096 ms, torch.compile 8.6 ms). The variance reads the mean from memory (no copy of the sum).
  @Test func planeStatisticsAreNotRecomputedPerRow() throws {
    let steps = try Self.trace("""
      kernel @inorm(%x: f32[N, C, H, W]) -> (%y: f32[N, C, H, W]) {
        dims N = 2, C = 4, H = 64, W = 64
        %_r0: f32[n < N, c < C] = sum<f32> [h in 0 .. $H, q in 0 .. $W] %x[n, c, h, q]
        %mean: f32[n < N, c < C] = (%_r0[n, c] / cast<f32>(($H * $W)))
        %_r1: f32[n < N, c < C] = sum<f32> [h in 0 .. $H, q in 0 .. $W] ((%x[n, c, h, q] - %mean[n, c]) * (%x[n, c, h, q] - %mean[n, c]))
        %var: f32[n < N, c < C] = (%_r1[n, c] / cast<f32>(($H * $W)))
        %y: f32[n < N, c < C, h < H, q < W] = ((%x[n, c, h, q] - %mean[n, c]) * rsqrt((%var[n, c] + 1e-05:f32)))
      }
      """)
    #expect(steps == [
      "inline(mean)", "inline(var)", "reorder(_r0, [c, n, h, q])", "bind(_r0, c, grid.x)", "bind(_r0, n, grid.y)",
      "bind(_r0, q, block.x)", "bind(_r0, h, block.y)", "launch(_r0, 16, 2)", "reorder(_r1, [c, n, h, q])",
      "bind(_r1, c, grid.x)", "bind(_r1, n, grid.y)", "bind(_r1, q, block.x)", "bind(_r1, h, block.y)",
      "launch(_r1, 16, 2)", "split(y, h, 16)",
      "reorder(y, [c, h.o, n, h.i, q])", "bind(y, h.o, grid.x)", "bind(y, c, grid.y)", "bind(y, n, grid.z)",
      "bind(y, q, block.x)", "bind(y, h.i, block.y)", "launch(y, 4, 2)",
    ])
  }

  /// Rule V: an instance norm's planes of 128 x 128 points (longer than a program keeps whole: streamed in rows)
  /// over 7168 planes (enough programs: rule 2 leaves the sums whole): the variance becomes a Welford tuple
  /// reduction (`welford`), tiled like the mean's sum (the same lane `q`, loop order and warps), and rule 4b
  /// streams both in one loop over `h`. Sketch `two-pass-variance` keeps the two passes; a variance over 4 planes
  /// of 512 x 512, which rule 2 splits into partials, keeps them too (rfactor splits no tuple reduction).
  @Test func varianceOverLongRowsIsOnePassWithTheMean() throws {
    let kernel = Self.planes(n: 112, c: 64, side: 128)
    let steps = try Self.trace(kernel)
    #expect(steps == [
      "inline(mean)", "inline(var)", "welford(_r1)", "bind(_r0, c, grid.x)", "bind(_r0, n, grid.y)",
      "bind(_r0, q, block.x)", "launch(_r0, 2, 2)", "bind(_r1, c, grid.x)", "bind(_r1, n, grid.y)",
      "bind(_r1, q, block.x)", "launch(_r1, 2, 2)", "split(y, h, 8)", "bind(y, h.o, grid.x)", "bind(y, c, grid.y)",
      "bind(y, n, grid.z)", "bind(y, q, block.x)", "bind(y, h.i, block.y)", "launch(y, 4, 2)",
      "compute_with(_r1, _r0, h)",
    ])
    let twoPass = try Self.trace(kernel, sketch: GPUSketch.all.first { $0.name == "two-pass-variance" }!)
    #expect(!twoPass.contains("welford(_r1)") && !twoPass.contains { $0.hasPrefix("compute_with") })
    let split = try Self.trace(Self.planes(n: 1, c: 4, side: 512))
    #expect(!split.contains("welford(_r1)") && split.contains { $0.hasPrefix("rfactor(_r1") })
  }

  /// An instance norm over `n` x `c` planes of `side` x `side` points, its statistics written as the spec lowers them.
  static func planes(n: Int, c: Int, side: Int) -> String {
    """
    kernel @inorm(%x: f32[N, C, H, W]) -> (%y: f32[N, C, H, W]) {
      dims N = \(n), C = \(c), H = \(side), W = \(side)
      %_r0: f32[n < N, c < C] = sum<f32> [h in 0 .. $H, q in 0 .. $W] %x[n, c, h, q]
      %mean: f32[n < N, c < C] = (%_r0[n, c] / cast<f32>(($H * $W)))
      %_r1: f32[n < N, c < C] = sum<f32> [h in 0 .. $H, q in 0 .. $W] ((%x[n, c, h, q] - %mean[n, c]) * (%x[n, c, h, q] - %mean[n, c]))
      %var: f32[n < N, c < C] = (%_r1[n, c] / cast<f32>(($H * $W)))
      %y: f32[n < N, c < C, h < H, q < W] = ((%x[n, c, h, q] - %mean[n, c]) * rsqrt((%var[n, c] + 1e-05:f32)))
    }
    """
  }

  /// Rule 4d: under `highest`, a long f32 contraction reading an operand MN-major (the reduction not along its last
  /// dimension: b[k, n], a[k, m], a batched b[z, k, n]) stays on the FMA units instead of tf32x3's split passes,
  /// exactly sketch `ieee`'s trace (measured 1.25-1.42x over tf32x3 on four corpus matmuls on an H100,
  /// bench/kernelbench/results-h100-2026-12-07b-search); K-major operands keep tf32x3; under `high` one tf32 pass
  /// splits nothing and keeps the matrix units; a short reduction (64) keeps tf32x3; sketch `k-major` stages the
  /// operand K-major and keeps tf32x3.
  @Test func mnMajorF32OperandsStayOffTheSplitPasses() throws {
    func spec(_ a: String, _ b: String, k: Int = 1024) -> String {
      let aShape = a == "%a[m, k]" ? "[M, K]" : "[K, M]"
      let bShape = b == "%b[n, k]" ? "[N, K]" : "[K, N]"
      return """
        kernel @mm(%a: f32\(aShape), %b: f32\(bShape)) -> (%c: f32[M, N]) {
          dims M = 1024, K = \(k), N = 1024
          %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (\(a) * \(b))
        }
        """
    }
    func precision(_ s: String, sketch: GPUSketch = .default) throws -> String? {
      try Self.trace(s, sketch: sketch).first { $0.hasPrefix("precision(") }
    }
    #expect(try precision(spec("%a[m, k]", "%b[n, k]")) == "precision(c, tf32x3)")
    for mnMajor in [spec("%a[m, k]", "%b[k, n]"), spec("%a[k, m]", "%b[n, k]"), spec("%a[k, m]", "%b[k, n]")] {
      #expect(try precision(mnMajor) == nil)
      #expect(try Self.trace(mnMajor) == Self.trace(mnMajor, sketch: Self.sketch("ieee")))
      #expect(try precision(Self.under(.high, mnMajor)) == "precision(c, tf32)")
      let staged = try Self.trace(mnMajor, sketch: Self.sketch("k-major-every"))
      #expect(staged.contains("precision(c, tf32x3)"), "\(staged)")
    }
    #expect(try precision(spec("%a[m, k]", "%b[k, n]", k: 64)) == "precision(c, tf32x3)")
  }

  /// Rule 4: dot tiles follow the operands. bf16 4096^3: 128x128x64, 3 stages, 8 warps; f32 1024^3: 64x64x32
  /// (128x128 would leave 64 programs for 304 CUs); 40x24 by 24x1000: the whole 40 rows and 24-deep reduction
  /// in one tile, 64 columns (16 programs).
  @Test func contractionTilesFollowTheOperands() throws {
    // f32 operands K-major (b read as b[n, k]): rule 4d keeps an MN-major f32 operand off the split passes (below).
    func mm(_ dtype: String, _ m: Int, _ k: Int, _ n: Int) throws -> [String] {
      let b = dtype == "f32" ? ("[N, K]", "%b[n, k]") : ("[K, N]", "%b[k, n]")
      return try Self.trace("""
        kernel @mm(%a: \(dtype)[M, K], %b: \(dtype)\(b.0)) -> (%c: f32[M, N]) {
          dims M = \(m), K = \(k), N = \(n)
          %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a[m, k]) * cast<f32>(\(b.1)))
        }
        """)
    }
    let order = "reorder(c, [n.o, m.o, m.i, n.i, k.o, k.i])"
    let binds = ["bind(c, n.o, grid.x)", "bind(c, m.o, grid.y)", "bind(c, n.i, block.x)", "bind(c, m.i, block.y)", "bind(c, k.i, block.z)"]
    #expect(try mm("bf16", 4096, 4096, 4096) == ["dot(c)", "split(c, m, 128)", "split(c, n, 128)", "split(c, k, 64)", order] + binds + ["launch(c, 8, 3)"])
    // f32 operands, compute-bound: tf32x3 (three tf32 passes of split operands) on the tensor cores, 128x128 tiles
    // halved until 132 SMs have work; operands read at bare variables keep the matrix units' steps of 32 below
    // 128x128 (`readsPlainOperands`: matmul_sigmoid_sum's tf32x3 2.59x on an H100 against `splitDotStep`'s 16,
    // bench/gpu/ab-h66-results); sketch split-bf16x3 takes three bf16 passes with the same tiles.
    #expect(try mm("f32", 1024, 1024, 1024) == ["dot(c)", "precision(c, tf32x3)", "split(c, m, 64)", "split(c, n, 64)", "split(c, k, 32)", order] + binds + ["launch(c, 4, 3)"])
    #expect(try mm("f32", 4096, 4096, 4096) == ["dot(c)", "precision(c, tf32x3)", "split(c, m, 128)", "split(c, n, 128)", "split(c, k, 32)", order] + binds + ["launch(c, 8, 3)"])
    // Memory-bound (40 x 24 x 1000: 2 flops per 4 bytes): the FMA units; sketch bf16x3 takes the tensor cores
    // there too (with the tiles of a matrix-unit dot).
    let memoryBound = """
      kernel @mm(%a: f32[M, K], %b: f32[K, N]) -> (%c: f32[M, N]) {
        dims M = 40, K = 24, N = 1000
        %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[m, k] * %b[k, n])
      }
      """
    #expect(try Self.trace(memoryBound) == [
      "dot(c)", "split(c, n, 64)", "reorder(c, [n.o, m, n.i, k])", "bind(c, n.o, grid.x)", "bind(c, n.i, block.x)",
      "bind(c, m, block.y)", "bind(c, k, block.z)", "launch(c, 4, 3)",
    ])
    let everywhere = try Self.trace(Self.under(.high, memoryBound), sketch: Self.sketch("bf16x3"))
    #expect(Array(everywhere.prefix(2)) == ["dot(c)", "precision(c, bf16x3)"], "\(everywhere)")
    #expect(try !Self.trace(memoryBound, sketch: Self.sketch("tf32x3")).contains { $0.hasPrefix("precision(") })
  }

  /// Rule 4: a split dot below 128x128 takes `splitDotStep`'s steps of 16 and 8 warps only where an operand's index
  /// is not a bare variable (a convolution's window, a fused axis); a matrix product of 64x128 tiles (128 rows, a
  /// tf32x3 dot since a sigmoid reads it: kernelbench.matmul_sigmoid_sum's structure) keeps steps of 32 and 4 warps
  /// (2.59x on an H100, bench/gpu/ab-h66-results).
  @Test func plainSplitDotsKeepTheMatrixUnitSteps() throws {
    let steps = try Self.trace("""
      kernel @mm(%a: f32[M, K], %b: f32[N, K]) -> (%y: f32[M, N]) {
        dims M = 128, K = 32768, N = 32768
        %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[m, k] * %b[n, k])
        %y: f32[m < M, n < N] = sigmoid(%c[m, n])
      }
      """)
    // The sigmoid is its fused epilogue (rule 3b): the output tiles and the launch are the epilogue's.
    #expect(steps.contains("precision(c, tf32x3)") && steps.contains("split(y, m, 64)") && steps.contains("split(c, k, 32)"), "\(steps)")
    #expect(steps.last == "launch(y, 4, 3)", "\(steps)")
  }

  /// Rule 4: a compute-bound f32 contraction whose values reach the result through a function that does not follow
  /// its input's scale (here tanh, directly or through an intermediate, or an exp in a row reduction) keeps tf32x3
  /// (`errorAmplifiedDownstream`: bf16x3's 2^-16 of a large sum missed f32's tolerance after a tanh on an H100);
  /// through affine steps, max and a division it takes bf16x3. That is sketch split-bf16x3's rule (under
  /// `matmul_precision high`, which allows bf16x3); the default under `highest` takes tf32x3 for all of them.
  @Test func splitPrecisionFollowsWhatTheResultDoesWithTheError() throws {
    func precision(_ epilogue: String, _ extra: String = "", sketch: String = "split-bf16x3") throws -> String? {
      let trace = try Self.trace("""
        kernel @mm(%a: f32[M, K], %b: f32[N, K], %s: f32[N]) -> (%y: f32[M, N])\(sketch == "default" ? "" : " matmul_precision(high)") {
          dims M = 1024, K = 1024, N = 1024
          %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[m, k] * %b[n, k])
          \(extra)
          %y: f32[m < M, n < N] = \(epilogue)
        }
        """, sketch: Self.sketch(sketch))
      return trace.first { $0.hasPrefix("precision(c,") }
    }
    #expect(try precision("tanh((%c[m, n] - %s[n]))") == "precision(c, tf32x3)")
    #expect(try precision("(2.0:f32 * tanh(%t[m, n]))", "%t: f32[m < M, n < N] = (%c[m, n] * 0.5:f32)") == "precision(c, tf32x3)")
    #expect(try precision("(exp(%c[m, n]) / %z[m])", "%z: f32[m < M] = sum<f32> [j in 0 .. $N] exp(%c[m, j])") == "precision(c, tf32x3)")
    #expect(try precision("max(((%c[m, n] * 0.5:f32) + %s[n]), 0.0:f32)") == "precision(c, bf16x3)")
    #expect(try precision("(%c[m, n] / %s[n])") == "precision(c, bf16x3)")
    // A function of something else beside the contraction amplifies nothing.
    #expect(try precision("(%c[m, n] * tanh(%s[n]))") == "precision(c, bf16x3)")
    // The default: tf32x3 whatever the epilogue.
    #expect(try precision("max(((%c[m, n] * 0.5:f32) + %s[n]), 0.0:f32)", sketch: "default") == "precision(c, tf32x3)")
  }

  /// Wide matrix-unit tiles (128 x 256) for 2-byte operands only where the GPU holds them at three stages of k = 64
  /// and they still give two programs per multiprocessor: on cuda:90 for a 4096^3 bf16 matmul; not when portable
  /// (gfx942's LDS), not for f32 operands, not where 128 x 256 tiles would leave the GPU half idle.
  @Test func wideMatrixTilesWhereTheGPUHoldsThem() {
    let h100 = DefaultSchedule.contractionTiles(m: 4096, n: 4096, k: 4096, batch: 1, operandBytes: 2, .cudaSM90)
    #expect(h100.m == 128 && h100.n == 256 && h100.k == 64 && h100.warps == 8 && h100.stages == 3, "\(h100)")
    let portable = DefaultSchedule.contractionTiles(m: 4096, n: 4096, k: 4096, batch: 1, operandBytes: 2, .portable)
    #expect(portable.n == 128, "\(portable)")
    let f32 = DefaultSchedule.contractionTiles(
      m: 4096, n: 4096, k: 4096, batch: 1, operandBytes: 4, matrixUnits: true, .cudaSM90)
    #expect(f32.n == 128, "\(f32)")
    // 1024 x 2048: 8 x 8 wide tiles = 64 programs, under 2 x 132.
    let small = DefaultSchedule.contractionTiles(m: 1024, n: 2048, k: 4096, batch: 1, operandBytes: 2, .cudaSM90)
    #expect(small.n == 128, "\(small)")
    #expect(GPUCapability.named("sm_90a") == .cudaSM90 && GPUCapability.named("hip:gfx942") == .hipGfx942)
    #expect(GPUCapability.named("cuda:90,gfx942") == .portable && GPUCapability.named("volta") == nil)
  }

  /// Whatever the shapes and operand widths, the tiles' shared memory fits every target (227 KiB on sm_90 with
  /// the f32 accumulator's epilogue, 64 KiB of LDS on gfx942), and the tiles are powers of two of at least 16.
  @Test func contractionTilesFitSharedMemory() {
    for bytes in [1, 2, 4, 8] {
      for m in [1, 17, 64, 100, 512, 4096, 100_000] {
        for n in [3, 128, 1000, 8192] {
          for k in [1, 16, 300, 4096] {
            let t = DefaultSchedule.contractionTiles(m: m, n: n, k: k, batch: 1, operandBytes: bytes, .portable)
            #expect(GPUCapability.portable.fitsDot(m: t.m, n: t.n, k: t.k, stages: t.stages, operandBytes: bytes), "\(m)x\(n)x\(k) \(bytes)B: \(t)")
            for s in [t.m, t.n, t.k] { #expect(s >= 16 && s & (s - 1) == 0) }
            // Below tl.dot's 16 (the general path), the [m, n, k] block stays within 16384 elements.
            func block(_ e: Int, _ tile: Int) -> Int { var p = 1; while p < min(e, tile) { p <<= 1 }; return p }
            if min(m, n, k) < 16 { #expect(block(m, t.m) * block(n, t.n) * block(k, t.k) <= 16384, "\(m)x\(n)x\(k): \(t)") }
          }
        }
      }
    }
    // The f32 accumulator of a 128x256 tile alone is 128 KiB: it fits sm_90, and gfx942 (no accumulator in LDS).
    #expect(GPUCapability.cudaSM90.dotSharedMemory(m: 128, n: 256, k: 64, stages: 3, operandBytes: 2) == 131072)
    #expect(!GPUCapability.hipGfx942.fitsDot(m: 128, n: 128, k: 64, stages: 4, operandBytes: 4))
  }

  static let norm = """
    kernel @norm(%x: f32[M, N]) -> (%y: f32[M, N]) {
      dims M = 1024, N = 1024
      %s: f32[m < M] = sum<f32> [n in 0 .. $N] %x[m, n]
      %mean: f32[m < M] = (%s[m] / 1024.0:f32)
      %v: f32[m < M] = sum<f32> [n in 0 .. $N] ((%x[m, n] - %mean[m]) * (%x[m, n] - %mean[m]))
      %y: f32[m < M, n < N] = ((%x[m, n] - %mean[m]) * rsqrt((%v[m] + 0.00001:f32)))
    }
    """

  static func conv1d(channels: Int, taps: Int = 3) -> String {
    """
    kernel @conv(%x: bf16[N, C, L], %w: bf16[F, C, K]) -> (%y: f32[N, F, L]) {
      dims N = 8, C = \(channels), L = 512, F = 96, K = \(taps)
      %y: f32[n < N, f < F, l < L] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (cast<f32>(%x[n, c, ((l + k) - 1)]) * cast<f32>(%w[f, c, k]))
    }
    """
  }

  /// Rule 0 (sketch `unstaged`, and the default for operands wider than 2 bytes): a convolution with few channels
  /// (96) and at least 4 taps (5) is one reduction over channels and taps (c.k, 480 in blocks of 64: one dot per
  /// block); with 3 taps, or with 512 channels, each tap keeps its own dot over channel blocks, unless the sketch
  /// fused-taps asks; per-tap never fuses.
  @Test func smallChannelConvolutionsFuseTheirTaps() throws {
    let unstaged = try Self.sketch("unstaged")
    let small = try Self.trace(Self.conv1d(channels: 96, taps: 5), sketch: unstaged)
    #expect(small.first == "fuse_axes(y, [c, k])")
    #expect(small.contains("split(y, c.k, 64)") && small.contains("bind(y, c.k.i, block.z)") && small.contains("dot(y)"))
    #expect(try !Self.trace(Self.conv1d(channels: 96), sketch: unstaged).contains { $0.hasPrefix("fuse_axes") })
    #expect(try Self.trace(Self.conv1d(channels: 96), sketch: Self.sketch("fused-taps")).first == "fuse_axes(y, [c, k])")
    let wide = try Self.trace(Self.conv1d(channels: 512), sketch: unstaged)
    #expect(!wide.contains { $0.hasPrefix("fuse_axes") } && wide.contains("split(y, c, 64)"))
    #expect(try Self.trace(Self.conv1d(channels: 512), sketch: Self.sketch("fused-taps")).first == "fuse_axes(y, [c, k])")
    #expect(try !Self.trace(Self.conv1d(channels: 96, taps: 5), sketch: Self.sketch("per-tap")).contains { $0.hasPrefix("fuse_axes") })
  }

  /// Rule 0b: a convolution of 2-byte operands (bf16, 512 channels, 3 taps) keeps one dot per tap and reads both
  /// operands from copies stored with the channels last (x[n, c, l] as [n, l, c], w[f, c, k] as [f, k, c]), each a
  /// kernel of its own transposing 64 x 64 tiles (the source's contiguous dimension and the copy's); the convolution
  /// keeps its tiles, its serial loops with the longest (the 8 channel blocks) innermost. With 96 channels and 5 taps
  /// it is staged too instead of fused (rule 0 leaves 2-byte operands to rule 0b); sketch `unstaged` reads the
  /// operands as stored. Numeric check: python/tests/test_channels_last_taps.py.
  @Test func twoByteConvolutionsReadChannelsLastCopies() throws {
    let steps = try Self.trace(Self.conv1d(channels: 512))
    #expect(Array(steps.prefix(13)) == [
      "stage(x, y, k, workspace)", "compute_root(x.y)", "layout(x.y, [0, 2, 1])", "reorder(x.y, [d0, d2, d1])",
      "split(x.y, d1, 64)", "split(x.y, d2, 64)", "reorder(x.y, [d1.o, d2.o, d0, d2.i, d1.i])",
      "bind(x.y, d1.o, grid.x)", "bind(x.y, d2.o, grid.y)", "bind(x.y, d0, grid.z)", "bind(x.y, d1.i, block.x)",
      "bind(x.y, d2.i, block.y)", "launch(x.y, 4, 2)",
    ])
    #expect(steps.contains("layout(w.y, [0, 2, 1])") && steps.contains("bind(w.y, d2, block.y)"))
    #expect(steps.contains("reorder(y, [f.o, l.o, n, l.i, f.i, k, c.o, c.i])"))
    let small = try Self.trace(Self.conv1d(channels: 96, taps: 5))
    #expect(small.first == "stage(x, y, k, workspace)" && !small.contains { $0.hasPrefix("fuse_axes") })
    #expect(try !Self.trace(Self.conv1d(channels: 512), sketch: Self.sketch("unstaged")).contains { $0.hasPrefix("stage") })
  }

  static func matmul(_ t: String = "f32", a: String, b: String, dims: String = "M = 2048, N = 2048, K = 2048") -> String {
    let shapes = ["[k, m]": "[K, M]", "[m, k]": "[M, K]", "[k, n]": "[K, N]", "[n, k]": "[N, K]", "[n, k, 0]": "[N, K, 1]"]
    return """
      kernel @mm(%a: \(t)\(shapes[a] ?? a), %b: \(t)\(shapes[b] ?? b)) -> (%c: f32[M, N]) {
        dims \(dims)
        %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a\(a)) * cast<f32>(%b\(b)))
      }
      """
  }

  /// Rule 0c (sketch `k-major`): a 2048^3 f32 matmul reading a[k, m] and b[k, n] (both stored MN-major: their last
  /// dimension walked by an output axis) reads both from K-major copies (a as [m, k], b as [n, k]), each a kernel of
  /// rule 0b's transposing 64 x 64 tiles; the contraction keeps the default's tiles and tf32x3. At 512^3 the copies
  /// cost more than a tenth of the contraction by the cost model: nothing staged (`k-major-every` stages them).
  /// Reading a[m, k] and b[n, k] (K-major both; also b[n, k, 0] of a trailing extent 1), or bf16 operands (the matrix
  /// units read 2-byte MN-major tiles as stored), nothing is staged. Numeric check: python/tests/test_k_major_copies.py.
  @Test func kMajorSketchStagesMNMajorF32Operands() throws {
    let kMajor = try Self.sketch("k-major")
    let steps = try Self.trace(Self.matmul(a: "[k, m]", b: "[k, n]"), sketch: kMajor)
    #expect(Array(steps.prefix(12)) == [
      "stage(a, c, k, workspace)", "compute_root(a.c)", "layout(a.c, [1, 0])", "reorder(a.c, [d1, d0])",
      "split(a.c, d0, 64)", "split(a.c, d1, 64)", "reorder(a.c, [d0.o, d1.o, d1.i, d0.i])", "bind(a.c, d0.o, grid.x)",
      "bind(a.c, d1.o, grid.y)", "bind(a.c, d0.i, block.x)", "bind(a.c, d1.i, block.y)", "launch(a.c, 4, 2)",
    ])
    #expect(steps.contains("layout(b.c, [1, 0])") && steps.contains("launch(b.c, 4, 2)"))
    // The default keeps MN-major operands off the split passes (rule 4d: the FMA units); staged K-major, the
    // contraction is the K-major one's, tf32x3 on the matrix units.
    let plain = try Self.trace(Self.matmul(a: "[k, m]", b: "[k, n]"))
    #expect(!plain.contains { $0.hasPrefix("precision(") })
    let stored = try Self.trace(Self.matmul(a: "[m, k]", b: "[n, k]"))
    #expect(Array(steps.drop { !$0.hasPrefix("dot(") }) == Array(stored.drop { !$0.hasPrefix("dot(") }))
    #expect(stored.contains("precision(c, tf32x3)"))
    let small = Self.matmul(a: "[k, m]", b: "[k, n]", dims: "M = 512, N = 512, K = 512")
    #expect(try Self.trace(small, sketch: kMajor) == Self.trace(small))
    #expect(try Self.trace(small, sketch: Self.sketch("k-major-every")).first == "stage(a, c, k, workspace)")
    let kMajorStored = Self.matmul(a: "[m, k]", b: "[n, k]")
    #expect(try Self.trace(kMajorStored, sketch: kMajor) == Self.trace(kMajorStored))
    // A trailing dimension of extent 1 (a pointwise convolution's w[f, c, 1, 1]) does not make b MN-major.
    let unitDimension = Self.matmul(a: "[m, k]", b: "[n, k, 0]")
    #expect(try Self.trace(unitDimension, sketch: Self.sketch("k-major-every")) == Self.trace(unitDimension))
    let bf16 = Self.matmul("bf16", a: "[k, m]", b: "[k, n]")
    #expect(try Self.trace(bf16, sketch: Self.sketch("k-major-every")) == Self.trace(bf16))
    // The default does not stage (sketch only, until measured).
    #expect(!plain.contains { $0.hasPrefix("stage") })
  }

  /// Rule 0c on a batched matmul reading b[z, k, n]: the copy is [z, n, k] (the batch dimension stays first), its
  /// tiles over n and k, the batch on grid.z; a[z, m, k] is K-major already. At the corpus's bench shape (128 batches
  /// of 512 x 2048 x 1024) the copy of b, as large as b, costs more than a tenth of the contraction by the cost model:
  /// `k-major` leaves it, `k-major-every` stages it.
  @Test func kMajorSketchStagesABatchedOperand() throws {
    func bmm(_ dims: String) -> String {
      """
      kernel @bmm(%a: f32[Z, M, K], %b: f32[Z, K, N]) -> (%c: f32[Z, M, N]) {
        dims \(dims)
        %c: f32[z < Z, m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[z, m, k] * %b[z, k, n])
      }
      """
    }
    let kMajor = try Self.sketch("k-major")
    let steps = try Self.trace(bmm("Z = 4, M = 4096, K = 1024, N = 1024"), sketch: kMajor)
    #expect(Array(steps.prefix(13)) == [
      "stage(b, c, k, workspace)", "compute_root(b.c)", "layout(b.c, [0, 2, 1])", "reorder(b.c, [d0, d2, d1])",
      "split(b.c, d1, 64)", "split(b.c, d2, 64)", "reorder(b.c, [d1.o, d2.o, d0, d2.i, d1.i])",
      "bind(b.c, d1.o, grid.x)", "bind(b.c, d2.o, grid.y)", "bind(b.c, d0, grid.z)", "bind(b.c, d1.i, block.x)",
      "bind(b.c, d2.i, block.y)", "launch(b.c, 4, 2)",
    ])
    #expect(!steps.contains { $0.hasPrefix("stage(a") })
    let bench = bmm("Z = 128, M = 512, K = 1024, N = 2048")
    #expect(try Self.trace(bench, sketch: kMajor) == Self.trace(bench))
    #expect(try Self.trace(bench, sketch: Self.sketch("k-major-every")).first == "stage(b, c, k, workspace)")
  }

  /// Rule 0 for f32 operands: a 3-tap conv1d over 64 channels fuses its taps (2 taps suffice for operands wider than
  /// 2 bytes); 128 channels keep one dot per tap; the bf16 one of the same shape keeps them too.
  @Test func f32ConvolutionsFuseThreeTaps() throws {
    func conv(_ t: String, channels: Int) -> String {
      Self.conv1d(channels: channels).replacingOccurrences(of: "bf16[", with: "\(t)[")
    }
    #expect(try Self.trace(conv("f32", channels: 64)).first == "fuse_axes(y, [c, k])")
    #expect(try !Self.trace(conv("f32", channels: 128)).contains { $0.hasPrefix("fuse_axes") })
    #expect(try !Self.trace(conv("bf16", channels: 64)).contains { $0.hasPrefix("fuse_axes") })
    // Sketch staged-wide: rule 0b for f32 too (one dot per tap over channels-last copies, no fused taps).
    let staged = try Self.trace(conv("f32", channels: 64), sketch: Self.sketch("staged-wide"))
    #expect(staged.first == "stage(x, y, k, workspace)" && !staged.contains { $0.hasPrefix("fuse_axes") })
    #expect(staged.contains("layout(w.y, [0, 2, 1])") && staged.contains("precision(y, tf32x3)"))
  }

  /// Rule 4 on an f32 convolution (rule 0 fuses its channels and taps): tf32x3 (three tf32 passes of split
  /// operands); with 128 filters the matrix units' 128x128x32 tiles and 8 warps; with 64 filters (the transposed
  /// convolutions' case: a 128x64 tile) reduction steps of 16 and 8 warps (`splitDotStep`, measured with tf32x3:
  /// 254 registers a thread at 4 warps and steps of 32; 1.48x on an H100). Sketch tf32x3-large-tiles keeps steps
  /// of 32 and 4 warps there; sketch split-bf16x3 gives the same trace with three bf16 passes. Numeric check of these traces against the interpreter: python/tests/test_split_dot_tiles.py (corpus
  /// convolutions) and python/tests/test_bf16x3_numerics.py.
  @Test func f32ConvolutionsBelow128x128TakeSteps16And8Warps() throws {
    let wide = try Self.trace(Self.f32Conv2d)
    #expect(Array(wide.prefix(5)) == ["fuse_axes(y, [c, p, q])", "dot(y)", "precision(y, tf32x3)", "split(y, c.p.q, 32)", "reorder(y, [i, n, j, f, c.p.q.o, c.p.q.i])"])
    #expect(wide.last == "launch(y, 8, 3)")
    let narrow = Self.f32Conv2d.replacingOccurrences(of: "F = 128", with: "F = 64")
    #expect(try Self.trace(Self.under(.high, narrow), sketch: Self.sketch("split-bf16x3")) == (try Self.trace(narrow)).map {
      $0 == "precision(y, tf32x3)" ? "precision(y, bf16x3)" : $0
    })
    #expect(try Self.trace(narrow) == [
      "fuse_axes(y, [c, p, q])", "dot(y)", "precision(y, tf32x3)", "split(y, c.p.q, 16)",
      "reorder(y, [i, n, j, f, c.p.q.o, c.p.q.i])", "bind(y, i, grid.x)", "bind(y, n, grid.y)",
      "bind(y, f, block.x)", "bind(y, j, block.y)", "bind(y, c.p.q.i, block.z)", "launch(y, 8, 3)",
    ])
    let large = try Self.trace(narrow, sketch: Self.sketch("tf32x3-large-tiles"))
    #expect(large.contains("split(y, c.p.q, 32)") && large.last == "launch(y, 4, 3)")
  }

  static let f32Conv2d = """
    kernel @conv2d(%x: f32[N, C, H, W], %w: f32[F, C, K, K]) -> (%y: f32[N, F, ((H - K) + 1), ((W - K) + 1)]) {
      dims N = 8, C = 64, H = 66, W = 130, F = 128, K = 3
      %y: f32[n < N, f < F, i < ((H - K) + 1), j < ((W - K) + 1)] = sum<f32> [c in 0 .. $C, p in 0 .. $K, q in 0 .. $K] (%x[n, c, (i + p), (j + q)] * %w[f, c, p, q])
    }
    """

  /// Sketch grouped: a contraction with more output tiles than multiprocessors gets grouped program order.
  @Test func groupedSketch() throws {
    let mm = """
      kernel @mm(%a: bf16[M, K], %b: bf16[K, N]) -> (%c: f32[M, N]) {
        dims M = 4096, K = 4096, N = 4096
        %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a[m, k]) * cast<f32>(%b[k, n]))
      }
      """
    #expect(try Self.trace(mm, sketch: Self.sketch("grouped")).last == "group_programs(c, 8)")
    #expect(try !Self.trace(mm).contains { $0.hasPrefix("group_programs") })
  }

  /// Sketch deinterleaved (rule D): a strided convolution reads its input's copy de-interleaved by phase, scheduled
  /// as an elementwise kernel of its own; the default reads the input with its stride.
  @Test func deinterleavedSketch() throws {
    let strided = """
      kernel @c(%x: f32[N, C, L], %w: f32[F, C, K]) -> (%y: f32[N, F, (((L - 9) / 3) + 1)]) {
        dims N = 4, C = 64, L = 4099, F = 128, K = 3
        %y: f32[n < N, f < F, l < (((L - 9) / 3) + 1)] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (%x[n, c, ((3:i64 * l) + (4:i64 * k))] * %w[f, c, k])
      }
      """
    let sketched = try Self.trace(strided, sketch: Self.sketch("deinterleaved"))
    #expect(sketched.first == "deinterleave(y, x, l)")
    #expect(sketched.contains { $0.hasPrefix("bind(x.ph, ") })
    #expect(try !Self.trace(strided).contains { $0.hasPrefix("deinterleave") })
  }

  struct NoSuchSketch: Error { var name: String }

  /// The sketch of that name. Not `#require`: with Swift 6.3.1, `#require` of an optional `GPUSketch` (its
  /// `Result<GPUSketch, any Error>`, laid out by the runtime in Testing's generic code and by the compiler in this
  /// module) crashed in the outlined destroy of that `Result` once the struct gained a field: a layout disagreement
  /// this test works around; kevc itself builds no such `Result`.
  static func sketch(_ name: String) throws -> GPUSketch {
    guard let sketch = GPUSketch.all.first(where: { $0.name == name }) else { throw NoSuchSketch(name: name) }
    return sketch
  }

  /// Sketch rows2: two rows per program, the statistics a [2] block computed once per program and shared (the
  /// structure of bench/gpu/layernorm.rows2.trace, reached from the IR).
  @Test func rowsPerProgramSketch() throws {
    #expect(try Self.trace(Self.norm, sketch: Self.sketch("rows2")) == [
      "inline(mean)", "split(y, m, 2)", "compute_at(v, y, m.o)", "compute_at(s, y, m.o)", "bind(s, n, block.x)",
      "bind(s, m, block.y)", "bind(v, n, block.x)", "bind(v, m, block.y)", "bind(y, m.o, grid.x)", "bind(y, n, block.x)",
      "bind(y, m.i, block.y)", "launch(y, 8, 2)",
    ])
  }

  /// Rule 3's default rows: statistics per batch element (read at b only) computed in an elementwise consumer
  /// whose rows (j, 256) are shorter than the elementwise block: the row loop i is split by 4 (1024 elements a
  /// program), the statistics computed once per program at i.o, as before one value per program; statistics read
  /// at the row loop itself (a layer norm over rows, `Self.norm`) keep one row per program.
  @Test func statisticsNotReadAtTheRowLoopTakeSeveralRows() throws {
    let steps = try Self.trace("""
      kernel @ln(%x: f32[B, F, D1, D2]) -> (%y: f32[B, F, D1, D2]) {
        dims B = 16, F = 64, D1 = 256, D2 = 256
        %s: f32[b < B] = sum<f32> [f in 0 .. $F, i in 0 .. $D1, j in 0 .. $D2] %x[b, f, i, j]
        %y: f32[b < B, f < F, i < D1, j < D2] = (%x[b, f, i, j] - %s[b])
      }
      """)
    #expect(steps.contains("split(y, i, 4)"), "\(steps)")
    #expect(steps.contains { $0.hasPrefix("compute_at(") && $0.hasSuffix(", y, i.o)") }, "\(steps)")
    #expect(steps.contains("bind(y, i.i, block.y)") && steps.contains("bind(y, j, block.x)"), "\(steps)")
    #expect(!(try Self.trace(Self.norm)).contains { $0.hasPrefix("split(y, m") })
  }

  /// Sketch unfused: each statistic a kernel of its own.
  @Test func unfusedSketch() throws {
    #expect(try Self.trace(Self.norm, sketch: Self.sketch("unfused")) == [
      "inline(mean)", "bind(s, m, grid.x)", "bind(s, n, block.x)", "launch(s, 4, 2)", "bind(v, m, grid.x)",
      "bind(v, n, block.x)", "launch(v, 4, 2)", "bind(y, m, grid.x)", "bind(y, n, block.x)", "launch(y, 4, 2)",
    ])
  }

  /// Sketches wide-tiles and narrow-tiles on a bf16 4096^3 contraction: 128x256x64 (2 stages: 3 would not fit
  /// gfx942's LDS) and 64x64x64.
  @Test func tileSketches() throws {
    let mm = """
      kernel @mm(%a: bf16[M, K], %b: bf16[K, N]) -> (%c: f32[M, N]) {
        dims M = 4096, K = 4096, N = 4096
        %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a[m, k]) * cast<f32>(%b[k, n]))
      }
      """
    let wide = try Self.trace(mm, sketch: Self.sketch("wide-tiles"))
    #expect(Array(wide.prefix(4)) == ["dot(c)", "split(c, m, 128)", "split(c, n, 256)", "split(c, k, 64)"])
    #expect(wide.last == "launch(c, 8, 2)")
    let narrow = try Self.trace(mm, sketch: Self.sketch("narrow-tiles"))
    #expect(Array(narrow.prefix(4)) == ["dot(c)", "split(c, m, 64)", "split(c, n, 64)", "split(c, k, 64)"])
    #expect(narrow.last == "launch(c, 4, 3)")
    // f32 operands, compute-bound: tf32x3 on the tensor cores with the matrix units' tiles (128 bytes of each
    // operand row per reduction step: 32 f32), wide-tiles up to 256 along the contiguous output. Sketch ieee keeps
    // the FMA units, where the default stops at 64x64x32; sketch split-bf16x3 takes three bf16 passes.
    // (b K-major: an MN-major f32 operand stays off the split passes, rule 4d.)
    let f32 = mm.replacingOccurrences(of: "bf16", with: "f32").replacingOccurrences(of: "cast<f32>", with: "")
      .replacingOccurrences(of: "%b: f32[K, N]", with: "%b: f32[N, K]").replacingOccurrences(of: "%b[k, n]", with: "%b[n, k]")
    #expect(Array(try Self.trace(f32).prefix(5)) == ["dot(c)", "precision(c, tf32x3)", "split(c, m, 128)", "split(c, n, 128)", "split(c, k, 32)"])
    #expect(try Self.trace(f32).last == "launch(c, 8, 3)")
    #expect(Array(try Self.trace(Self.under(.high, f32), sketch: Self.sketch("split-bf16x3")).prefix(3)) == ["dot(c)", "precision(c, bf16x3)", "split(c, m, 128)"])
    let wideF32 = try Self.trace(f32, sketch: Self.sketch("wide-tiles"))
    #expect(Array(wideF32.prefix(4)) == ["dot(c)", "precision(c, tf32x3)", "split(c, m, 128)", "split(c, n, 256)"])
    #expect(Array(try Self.trace(f32, sketch: Self.sketch("ieee")).prefix(4)) == ["dot(c)", "split(c, m, 64)", "split(c, n, 64)", "split(c, k, 32)"])
  }

  /// Sketch rows4: four rows per program.
  @Test func fourRowsPerProgramSketch() throws {
    let steps = try Self.trace(Self.norm, sketch: Self.sketch("rows4"))
    #expect(Array(steps.prefix(4)) == ["inline(mean)", "split(y, m, 4)", "compute_at(v, y, m.o)", "compute_at(s, y, m.o)"])
    #expect(steps.contains("bind(y, m.i, block.y)"))
  }

  static let sum = """
    kernel @total(%x: f32[M, N]) -> (%y: f32[M]) {
      dims M = 4, N = 4194304
      %y: f32[m < M] = sum<f32> [n in 0 .. $N] %x[m, n]
    }
    """

  /// Sketch unsplit: a full reduction stays one program (the default splits it: rule 2).
  @Test func unsplitSketch() throws {
    #expect(try Self.trace(Self.sum).first?.hasPrefix("rfactor(y, n, ") == true)
    #expect(try Self.trace(Self.sum, sketch: Self.sketch("unsplit")) == [
      "split(y, n, 2048)", "bind(y, m, grid.x)", "bind(y, n.i, block.x)", "launch(y, 8, 2)",
    ])
  }

  static let mmCast = """
    kernel @mm(%a: bf16[M, K], %b: bf16[K, N]) -> (%c: bf16[M, N]) {
      dims M = 4096, K = 4096, N = 4096
      %r: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a[m, k]) * cast<f32>(%b[k, n]))
      %c: bf16[m < M, n < N] = cast<bf16>(%r[m, n])
    }
    """

  /// Sketch fused: the contraction computed inside its cast's programs (one kernel): the cast takes the
  /// contraction's 128x128 output tiles as program ids and blocks, the contraction is a dot over the same blocks
  /// at the innermost program id with its k tile as block.z (bench/gpu/matmul_bf16.fused.trace's structure).
  @Test func fusedSketchOnAContraction() throws {
    #expect(try Self.trace(Self.mmCast, sketch: Self.sketch("fused")) == [
      "split(c, m, 128)", "split(c, n, 128)", "reorder(c, [n.o, m.o, m.i, n.i])", "bind(c, n.o, grid.x)",
      "bind(c, m.o, grid.y)", "bind(c, m.i, block.y)", "bind(c, n.i, block.x)", "compute_at(r, c, m.o)",
      "bind(r, m, block.y)", "bind(r, n, block.x)", "split(r, k, 64)", "bind(r, k.i, block.z)", "dot(r)",
      "launch(c, 8, 3)",
    ])
    // fused-wide: 128x256 tiles; sized to the H100 (the search's sketches on an sm_90 device): 3 stages.
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.mmCast))
    let h100 = DefaultSchedule.gpu(for: kernel, capability: .cudaSM90, sketch: try Self.sketch("fused-wide"))
    _ = try h100.apply(to: kernel)
    #expect(h100.steps.map(TraceText.print).prefix(2) == ["split(c, m, 128)", "split(c, n, 256)"])
    #expect(h100.steps.last.map(TraceText.print) == "launch(c, 8, 3)")
  }

  /// Sketch fused on a stencil (a depthwise convolution with a cast): the cast keeps its own elementwise tiling
  /// (1024-wide row blocks), the f32 sum over the 7 taps is computed in its programs over the same block with the
  /// taps unrolled (bench/gpu/depthwise_conv1d.trace's structure).
  @Test func fusedSketchOnAStencil() throws {
    let dw = """
      kernel @dw(%x: bf16[N, C, L], %w: bf16[C, K]) -> (%y: bf16[N, C, L]) {
        dims N = 32, C = 1024, L = 2048, K = 7
        %r: f32[n < N, c < C, l < L] = sum<f32> [k in 0 .. $K] (cast<f32>(%x[n, c, ((l + k) - 3:i64)]) * cast<f32>(%w[c, k]))
        %y: bf16[n < N, c < C, l < L] = cast<bf16>(%r[n, c, l])
      }
      """
    let steps = try Self.trace(dw, sketch: Self.sketch("fused"))
    #expect(steps.contains { $0.hasPrefix("compute_at(r, y, ") })
    #expect(steps.contains("bind(r, l, block.x)"))
    #expect(steps.contains("unroll(r, k, 7)"))
    #expect(steps.contains("split(y, l, 1024)"))
    #expect(steps.last?.hasPrefix("launch(y, ") == true)
    #expect(!steps.contains { $0.hasPrefix("launch(r, ") })
  }

  /// Rule 3b in the default: a pooling window (8 constant taps, one load: no contraction) read pointwise by its
  /// only, elementwise reader is computed in the reader's programs with the taps unrolled (one kernel, the window
  /// sums never in memory); sketch separate-stencils keeps two kernels; a contraction's epilogue stays a kernel of
  /// its own in the default (sketch fused only).
  @Test func stencilEpiloguesAreFusedByDefault() throws {
    let pool = """
      kernel @pool(%x: f32[N, C, L]) -> (%y: f32[N, C, (L + 1)]) {
        dims N = 64, C = 128, L = 65536
        %r: f32[n < N, c < C, l < (L + 1)] = sum<f32> [k in 0 .. 8] %x[n, c, ((l + k) - 4:i64)]
        %y: f32[n < N, c < C, l < (L + 1)] = (%r[n, c, l] / 8.0:f32)
      }
      """
    let steps = try Self.trace(pool)
    #expect(steps.contains { $0.hasPrefix("compute_at(r, y, ") })
    #expect(steps.contains("unroll(r, k, 8)"))
    #expect(steps.contains("split(y, l, 1024)"))
    #expect(!steps.contains { $0.hasPrefix("launch(r, ") })
    let separate = try Self.trace(pool, sketch: Self.sketch("separate-stencils"))
    #expect(!separate.contains { $0.hasPrefix("compute_at(r, y, ") })
    #expect(separate.contains { $0.hasPrefix("launch(r, ") })
    // Contractions too (rule 3b for contractions, Triton's default): the cast's programs compute the dot; sketch
    // separate-contractions and the loop-level targets' default (CuTe, HIP: their contraction plans refuse a dot
    // computed in another definition's programs) keep it a kernel of its own.
    #expect(try Self.trace(Self.mmCast).contains { $0.hasPrefix("compute_at(") })
    #expect(!(try Self.trace(Self.mmCast, sketch: Self.sketch("separate-contractions"))).contains { $0.hasPrefix("compute_at(") })
    #expect(!(try Self.trace(Self.mmCast, sketch: .defaultSketch(forTarget: "cute"))).contains { $0.hasPrefix("compute_at(") })
    #expect(!(try Self.trace(Self.mmCast, sketch: .defaultSketch(forTarget: "hip"))).contains { $0.hasPrefix("compute_at(") })
  }

  /// Rule 2b: three row sums read by a mean over the rows (a cosine-similarity loss) are computed inside the
  /// mean's partials, one row at a time at the partials' serial row loop (b.o), each row's sums once: one kernel
  /// reads the rows (from memory once) instead of three kernels and the loss's. The partials are program ids
  /// (1024 at 4096 rows; 4 rows each), the sums' rows whole blocks of 8192; sketch unfused keeps four kernels; rows
  /// longer than a program holds whole (16384) keep their kernels.
  @Test func rowStatisticsAreComputedInsideTheLossPartials() throws {
    let cosine = """
      kernel @cos(%p: f32[B, D], %t: f32[B, D]) -> (%loss: f32) {
        dims B = 4096, D = 8192
        %dot: f32[b < B] = sum<f32> [d in 0 .. $D] (%p[b, d] * %t[b, d])
        %pp: f32[b < B] = sum<f32> [d in 0 .. $D] (%p[b, d] * %p[b, d])
        %tt: f32[b < B] = sum<f32> [d in 0 .. $D] (%t[b, d] * %t[b, d])
        %loss: f32[] = sum<f32> [b in 0 .. $B] (%dot[b] / max(sqrt((%pp[b] * %tt[b])), 1e-08:f32))
      }
      """
    let steps = try Self.trace(cosine)
    #expect(steps == [
      "rfactor(loss, b, 1024)", "compute_at(tt, loss.rf, b.o)", "compute_at(pp, loss.rf, b.o)",
      "compute_at(dot, loss.rf, b.o)", "bind(dot, d, block.x)", "bind(pp, d, block.x)", "bind(tt, d, block.x)",
      "bind(loss.rf, b.i, grid.x)", "launch(loss.rf, 16, 2)", "bind(loss, b.i, block.x)", "launch(loss, 4, 2)",
    ])
    let long = try Self.trace(cosine.replacingOccurrences(of: "D = 8192", with: "D = 16384"))
    #expect(!long.contains { $0.hasPrefix("compute_at(") })
    let unfused = try Self.trace(cosine, sketch: Self.sketch("unfused"))
    #expect(!unfused.contains { $0.hasPrefix("compute_at(") })
    // A row max read by the row sum of exp(x - max) and by the loss (a cross entropy) goes inside with the sum,
    // computed once per row and shared by both (no copy for the sum).
    let entropy = try Self.trace("""
      kernel @ce(%x: f32[B, V]) -> (%loss: f32) {
        dims B = 4096, V = 4096
        %mx: f32[b < B] = max<f32> [v in 0 .. $V] %x[b, v]
        %se: f32[b < B] = sum<f32> [v in 0 .. $V] exp((%x[b, v] - %mx[b]))
        %loss: f32[] = sum<f32> [b in 0 .. $B] (%mx[b] + log(%se[b]))
      }
      """)
    #expect(Array(entropy.prefix(3)) == ["rfactor(loss, b, 1024)", "compute_at(se, loss.rf, b.o)", "compute_at(mx, loss.rf, b.o)"])
    #expect(!entropy.contains { $0.hasPrefix("compute_at(mx, se") })
    // A statistic read at the loss's rows but also by another definition stays a kernel of its own.
    let shared = """
      kernel @cos2(%p: f32[B, D]) -> (%loss: f32, %y: f32[B]) {
        dims B = 4096, D = 16384
        %pp: f32[b < B] = sum<f32> [d in 0 .. $D] (%p[b, d] * %p[b, d])
        %loss: f32[] = sum<f32> [b in 0 .. $B] sqrt(%pp[b])
        %y: f32[b < B] = (%pp[b] * 2.0:f32)
      }
      """
    #expect(!(try Self.trace(shared)).contains { $0.hasPrefix("compute_at(pp, loss") })
  }

  /// Rule O2: three row sums over rows of 16384 (longer than a program holds whole), read by the loss only through
  /// the cosine, become one tuple reduction `loss.rows` (`fuse_siblings`) streamed in tiles of 2048: one kernel of
  /// 4096 programs, each loading a tile of both rows once and updating the three accumulators, then the mean over
  /// the rows (one program). Rows of 8192 are left to rule 2b; sketch separate-siblings keeps the three sums;
  /// sums read beside the row itself (a normalisation) are not merged.
  @Test func siblingSumsOverLongRowsShareOnePass() throws {
    let cosine = """
      kernel @cos(%p: f32[B, D], %t: f32[B, D]) -> (%loss: f32) {
        dims B = 4096, D = 16384
        %dot: f32[b < B] = sum<f32> [d in 0 .. $D] (%p[b, d] * %t[b, d])
        %pp: f32[b < B] = sum<f32> [d in 0 .. $D] (%p[b, d] * %p[b, d])
        %tt: f32[b < B] = sum<f32> [d in 0 .. $D] (%t[b, d] * %t[b, d])
        %loss: f32[] = sum<f32> [b in 0 .. $B] (%dot[b] / max(sqrt((%pp[b] * %tt[b])), 1e-08:f32))
      }
      """
    #expect(try Self.trace(cosine) == [
      "fuse_siblings(loss)", "split(loss.rows, d, 2048)", "bind(loss.rows, b, grid.x)", "bind(loss.rows, d.i, block.x)",
      "launch(loss.rows, 8, 2)", "bind(loss, b, block.x)", "launch(loss, 16, 2)",
    ])
    let short = try Self.trace(cosine.replacingOccurrences(of: "D = 16384", with: "D = 8192"))
    #expect(!short.contains("fuse_siblings(loss)") && short.contains("compute_at(dot, loss.rf, b.o)"))
    let separate = try Self.trace(cosine, sketch: Self.sketch("separate-siblings"))
    #expect(!separate.contains { $0.hasPrefix("fuse_siblings") } && separate.contains("bind(dot, b, grid.x)"))
    let normalised = try Self.trace("""
      kernel @norm(%x: f32[M, N]) -> (%y: f32[M, N]) {
        dims M = 64, N = 16384
        %s: f32[m < M] = sum<f32> [n in 0 .. $N] %x[m, n]
        %q: f32[m < M] = sum<f32> [n in 0 .. $N] (%x[m, n] * %x[m, n])
        %y: f32[m < M, n < N] = ((%x[m, n] - %s[m]) / %q[m])
      }
      """)
    #expect(!normalised.contains { $0.hasPrefix("fuse_siblings") })
  }

  /// Rule 4b: a maximum and the online log-sum-exp beside it (rule O at rows of 65536), both streaming x's rows in
  /// tiles of 2048 and both read by the output (so rule 3 keeps them kernels of their own), share one loop:
  /// `compute_with(s, mx, d.o)`. Not taken: two rows of different inputs (nothing loaded in common), a variance
  /// reading its mean (compute_with refuses: other programs write the mean), sketch `separate-row-passes`.
  @Test func siblingRowPassesShareOneLoop() throws {
    let logSoftmax = """
      kernel @lsm(%x: f32[B, D]) -> (%y: f32[B, D]) {
        dims B = 64, D = 65536
        %mx: f32[b < B] = max<f32> [d in 0 .. $D] %x[b, d]
        %s: f32[b < B] = sum<f32> [d in 0 .. $D] exp((%x[b, d] - %mx[b]))
        %y: f32[b < B, d < D] = ((%x[b, d] - %mx[b]) - log(%s[b]))
      }
      """
    let rows = [
      "split(mx, d, 2048)", "bind(mx, b, grid.x)", "bind(mx, d.i, block.x)", "launch(mx, 8, 2)", "split(s, d, 2048)",
      "bind(s, b, grid.x)", "bind(s, d.i, block.x)", "launch(s, 8, 2)", "split(y, d, 1024)", "bind(y, d.o, grid.x)",
      "bind(y, b, grid.y)", "bind(y, d.i, block.x)", "launch(y, 4, 2)",
    ]
    #expect(try Self.trace(logSoftmax) == ["fuse_reductions(y)"] + rows + ["compute_with(s, mx, d.o)"])
    #expect(try Self.trace(logSoftmax, sketch: Self.sketch("separate-row-passes")) == ["fuse_reductions(y)"] + rows)
    let twoInputs = try Self.trace("""
      kernel @two(%x: f32[B, D], %z: f32[B, D]) -> (%y: f32[B, D]) {
        dims B = 64, D = 65536
        %p: f32[b < B] = max<f32> [d in 0 .. $D] %x[b, d]
        %q: f32[b < B] = max<f32> [e in 0 .. $D] %z[b, e]
        %y: f32[b < B, d < D] = ((%x[b, d] - %p[b]) + (%z[b, d] - %q[b]))
      }
      """)
    #expect(!twoInputs.contains { $0.hasPrefix("compute_with") })
    let renamed = try Self.trace("""
      kernel @two(%x: f32[B, D]) -> (%y: f32[B, D]) {
        dims B = 64, D = 65536
        %p: f32[b < B] = max<f32> [d in 0 .. $D] %x[b, d]
        %q: f32[c < B] = min<f32> [e in 0 .. $D] %x[c, e]
        %y: f32[b < B, d < D] = ((%x[b, d] - %p[b]) / (%p[b] - %q[b]))
      }
      """)
    #expect(renamed.last == "compute_with(q, p, d.o)")
    let variance = try Self.trace("""
      kernel @var(%x: f32[B, D]) -> (%y: f32[B, D]) {
        dims B = 64, D = 65536
        %m: f32[b < B] = sum<f32> [d in 0 .. $D] %x[b, d]
        %v: f32[b < B] = sum<f32> [d in 0 .. $D] ((%x[b, d] - %m[b]) * (%x[b, d] - %m[b]))
        %y: f32[b < B, d < D] = ((%x[b, d] - %m[b]) * rsqrt(%v[b]))
      }
      """)
    #expect(!variance.contains { $0.hasPrefix("compute_with") })
  }

  /// Sketch `broadcast-innermost`: an elementwise kernel reading `w[f, i, j]` (2^20 elements) at every batch element
  /// `b` binds `b` to grid.x (the default: the row tiles `i.o`), so the programs sharing a tile of `w` run side by
  /// side. An operand below 2^20 elements, or a program axis of one iteration, is not the pattern.
  @Test func broadcastInnermostSketch() throws {
    let scaled = """
      kernel @ln(%x: f32[B, F, D1, D2], %w: f32[F, D1, D2]) -> (%y: f32[B, F, D1, D2]) {
        dims B = 4, F = 16, D1 = 256, D2 = 256
        %y: f32[b < B, f < F, i < D1, j < D2] = (%x[b, f, i, j] * %w[f, i, j])
      }
      """
    let tail = ["bind(y, j, block.x)", "bind(y, i.i, block.y)", "launch(y, 4, 2)"]
    let head = ["split(y, i, 4)", "reorder(y, [i.o, f, b, i.i, j])"]
    #expect(try Self.trace(scaled) == head + ["bind(y, i.o, grid.x)", "bind(y, f, grid.y)", "bind(y, b, grid.z)"] + tail)
    let sketch = try Self.sketch("broadcast-innermost")
    #expect(try Self.trace(scaled, sketch: sketch) == head + ["bind(y, b, grid.x)", "bind(y, i.o, grid.y)", "bind(y, f, grid.z)"] + tail)
    let small = scaled.replacingOccurrences(of: "F = 16", with: "F = 8")
    #expect(try Self.trace(small, sketch: sketch) == Self.trace(small))
  }

  /// Rule 2c: a column reduction over the rows a row definition writes (rmsnorm backward's `dw` beside `dx`) is
  /// partials by program (`rfactor(_r2, m, P)`, P two programs per multiprocessor, at least 4 rows each: 9 at 37
  /// rows) fused into `dx`'s loop over each program's rows (`compute_with(_r2.rf, dx, m.o)`): the row statistics
  /// at that loop in both, each partial row stored contiguously, the combine 64 columns a program inside the cast.
  /// Two column reductions (a layernorm backward's dweight and dbias) both join the row's loop. The cost model
  /// decides (`one-pass-columns` and `separate-column-partials` force either form); column sums of an input the
  /// rows do not read are not the pattern.
  @Test func columnReductionsShareTheRowsPass() throws {
    let rmsnormBackward = """
      kernel @rmsnorm_backward(%dy: bf16[M, N], %x: bf16[M, N], %w: bf16[N], %eps: f32) -> (%dx: bf16[M, N], %dw: bf16[N]) {
        dims M = 37, N = 200
        %_r0: f32[m < M] = sum<f32> [n in 0 .. $N] (cast<f32>(%x[m, n]) * cast<f32>(%x[m, n]))
        %rstd: f32[m < M] = rsqrt(((%_r0[m] / cast<f32>($N)) + %eps))
        %_r1: f32[m < M] = sum<f32> [n in 0 .. $N] ((cast<f32>(%dy[m, n]) * cast<f32>(%w[n])) * cast<f32>(%x[m, n]))
        %c: f32[m < M] = (%_r1[m] / cast<f32>($N))
        %dx: bf16[m < M, n < N] = cast<bf16>((%rstd[m] * ((cast<f32>(%dy[m, n]) * cast<f32>(%w[n])) - (((cast<f32>(%x[m, n]) * %rstd[m]) * %rstd[m]) * %c[m]))))
        %_r2: f32[n < N] = sum<f32> [m in 0 .. $M] ((cast<f32>(%dy[m, n]) * cast<f32>(%x[m, n])) * %rstd[m])
        %dw: bf16[n < N] = cast<bf16>(%_r2[n])
      }
      """
    #expect(try Self.trace(rmsnormBackward) == [
      "inline(rstd)", "inline(c)", "rfactor(_r2, m, 9)", "reorder(_r2.rf, [m.i, m.o, n])", "split(dx, m, 9)",
      "reorder(dx, [m.i, m.o, n])", "compute_at(_r1, dx, m.o)", "compute_at(_r0, dx, m.o)", "bind(dx, m.i, grid.x)",
      "bind(dx, n, block.x)", "launch(dx, 2, 2)", "compute_at(_r0, _r2.rf, m.o)", "bind(_r2.rf, m.i, grid.x)",
      "bind(_r2.rf, n, block.x)", "compute_with(_r2.rf, dx, m.o)", "layout(_r2.rf, [1, 0])", "split(dw, n, 64)",
      "bind(dw, n.o, grid.x)", "bind(dw, n.i, block.x)", "compute_at(_r2, dw, n.o)", "bind(_r2, n, block.x)",
      "bind(_r2, m.i, block.y)", "launch(dw, 4, 2)", "bind(_r0, n, block.x)", "bind(_r1, n, block.x)",
      "bind(_r0.dx, n, block.x)",
    ])
    // At the bench shape: 608 programs on the portable target (two per gfx942 CU), 264 on an H100.
    let bench = rmsnormBackward.replacingOccurrences(of: "dims M = 37, N = 200", with: "dims M = 8192, N = 4096")
    let portable = try Self.trace(bench)
    #expect(portable.contains("rfactor(_r2, m, 608)") && portable.contains("compute_with(_r2.rf, dx, m.o)"))
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: bench))
    let h100 = DefaultSchedule.gpu(for: kernel, capability: .cudaSM90).steps.map(TraceText.print)
    #expect(h100.contains("rfactor(_r2, m, 264)") && h100.contains("split(dx, m, 264)"))
    let separate = try Self.trace(bench, sketch: Self.sketch("separate-column-partials"))
    #expect(!separate.contains { $0.hasPrefix("compute_with") } && separate.contains("rfactor(_r2, m, 16)"))
    let layernormBackward = """
      kernel @lnb(%dy: f32[M, N], %x: f32[M, N], %w: f32[N]) -> (%dx: f32[M, N], %dw: f32[N], %db: f32[N]) {
        dims M = 4096, N = 1024
        %s: f32[m < M] = sum<f32> [n in 0 .. $N] (%dy[m, n] * %w[n])
        %dx: f32[m < M, n < N] = ((%dy[m, n] * %w[n]) - (%s[m] / cast<f32>($N)))
        %dw: f32[n < N] = sum<f32> [m in 0 .. $M] (%dy[m, n] * %x[m, n])
        %db: f32[n < N] = sum<f32> [m in 0 .. $M] %dy[m, n]
      }
      """
    #expect(try Self.trace(layernormBackward) == [
      "rfactor(dw, m, 608)", "reorder(dw.rf, [m.i, m.o, n])", "split(dx, m, 608)", "reorder(dx, [m.i, m.o, n])",
      "compute_at(s, dx, m.o)", "bind(dx, m.i, grid.x)", "bind(dx, n, block.x)", "launch(dx, 4, 2)",
      "bind(dw.rf, m.i, grid.x)", "bind(dw.rf, n, block.x)", "compute_with(dw.rf, dx, m.o)", "layout(dw.rf, [1, 0])",
      "split(dw, n, 64)", "bind(dw, n.o, grid.x)", "bind(dw, n.i, block.x)", "split(dw, m.i, 128)",
      "bind(dw, m.i.i, block.y)", "launch(dw, 4, 2)", "rfactor(db, m, 608)", "reorder(db.rf, [m.i, m.o, n])",
      "bind(db.rf, m.i, grid.x)", "bind(db.rf, n, block.x)", "compute_with(db.rf, dx, m.o)", "layout(db.rf, [1, 0])",
      "split(db, n, 64)", "bind(db, n.o, grid.x)", "bind(db, n.i, block.x)", "split(db, m.i, 128)",
      "bind(db, m.i.i, block.y)", "launch(db, 4, 2)", "bind(s, n, block.x)",
    ])
    // Column sums of an input the rows do not read: nothing to share.
    let unshared = try Self.trace(layernormBackward.replacingOccurrences(of: "(%dy[m, n] * %x[m, n])", with: "%x[m, n]")
      .replacingOccurrences(of: "[m in 0 .. $M] %dy[m, n]", with: "[m in 0 .. $M] (%x[m, n] * %x[m, n])"))
    #expect(!unshared.contains { $0.hasPrefix("compute_with") })
  }

  /// Rule O for weighted sums and rule O3: causal attention's normalised weights times `v` (an axis `e` the
  /// maximum lacks) become one online pass where the cost model estimates it faster than the two passes (here, at
  /// 4 x 32 x 2048 x 128: 0.59 ms against 4.1 ms), tiled as bench/gpu/attention.fused.trace (64 query rows, 64-key
  /// blocks, the scores a `dot` per key block, 4 warps); a softmax-weighted pooling likewise. Plain softmax (no
  /// weighted axis) keeps rule O's long-row condition; sketch `two-pass-weights` and the loop-level targets' default
  /// keep two passes.
  @Test func weightedSumsBecomeOneOnlinePass() throws {
    let attention = """
      kernel @attention(%q: bf16[B, H, S, D], %k: bf16[B, H, S, D], %v: bf16[B, H, S, D]) -> (%o: bf16[B, H, S, D]) {
        dims B = 4, H = 32, S = 2048, D = 128
        %_r0: f32[b < B, h < H, i < S, j < S] = sum<f32> [d in 0 .. $D] (cast<f32>(%q[b, h, i, d]) * cast<f32>(%k[b, h, j, d]))
        %s: f32[b < B, h < H, i < S, j < S] = select((j <= i), (%_r0[b, h, i, j] * rsqrt(cast<f32>($D))), -inf:f32)
        %mx: f32[b < B, h < H, i < S] = max<f32> [j in 0 .. $S] %s[b, h, i, j]
        %p: f32[b < B, h < H, i < S, j < S] = exp((%s[b, h, i, j] - %mx[b, h, i]))
        %l: f32[b < B, h < H, i < S] = sum<f32> [j in 0 .. $S] %p[b, h, i, j]
        %_r1: f32[b < B, h < H, i < S, e < D] = sum<f32> [j in 0 .. $S] (%p[b, h, i, j] * cast<f32>(%v[b, h, j, e]))
        %o: bf16[b < B, h < H, i < S, e < D] = cast<bf16>((%_r1[b, h, i, e] / %l[b, h, i]))
      }
      """
    #expect(try Self.trace(attention) == [
      "fuse_reductions(o)", "split(o, i, 64)", "split(o, j, 64)", "compute_at(_r0, o, j.o)", "bind(o, i.o, grid.x)",
      "bind(o, h, grid.y)", "bind(o, b, grid.z)", "bind(o, i.i, block.y)", "bind(o, e, block.x)",
      "bind(o, j.i, block.z)", "dot(_r0)", "bind(_r0, i, block.y)", "bind(_r0, j, block.x)", "bind(_r0, d, block.z)",
      "launch(o, 4, 3)",
    ])
    let twoPasses = try Self.trace(attention, sketch: Self.sketch("two-pass-weights"))
    #expect(!twoPasses.contains("fuse_reductions(o)") && twoPasses.contains("dot(_r1)"))
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: attention))
    for target in ["cute", "hip"] {
      let t = DefaultSchedule.gpu(for: kernel, sketch: .defaultSketch(forTarget: target)).steps.map(TraceText.print)
      #expect(t == twoPasses, "\(target)")
    }
    // The same pattern without a name in common: a softmax-weighted pooling of f32 features (no causal mask, no
    // score contraction): one pass, tiled the same way (nothing to compute at the key blocks).
    #expect(try Self.trace("""
      kernel @pool(%x: f32[N, T], %f: f32[T, C]) -> (%y: f32[N, C]) {
        dims N = 4096, T = 1024, C = 64
        %mx: f32[n < N] = max<f32> [t in 0 .. $T] %x[n, t]
        %w: f32[n < N, t < T] = exp((%x[n, t] - %mx[n]))
        %z: f32[n < N] = sum<f32> [t in 0 .. $T] %w[n, t]
        %_r0: f32[n < N, c < C] = sum<f32> [t in 0 .. $T] (%w[n, t] * %f[t, c])
        %y: f32[n < N, c < C] = (%_r0[n, c] / %z[n])
      }
      """) == [
        "fuse_reductions(y)", "split(y, n, 64)", "split(y, t, 64)", "bind(y, n.o, grid.x)", "bind(y, n.i, block.y)",
        "bind(y, c, block.x)", "bind(y, t.i, block.z)", "launch(y, 4, 3)",
      ])
    // Plain softmax: no weighted axis, rows of 8192 held whole: two passes, as before (rule O's long rows only).
    let softmax = """
      kernel @softmax(%x: f32[M, N]) -> (%y: f32[M, N]) {
        dims M = 8192, N = 8192
        %mx: f32[m < M] = max<f32> [n in 0 .. $N] %x[m, n]
        %_r0: f32[m < M] = sum<f32> [j in 0 .. $N] exp((%x[m, j] - %mx[m]))
        %y: f32[m < M, n < N] = (exp((%x[m, n] - %mx[m])) / %_r0[m])
      }
      """
    let plain = try Self.trace(softmax)
    #expect(!plain.contains { $0.hasPrefix("fuse_reductions") })
    #expect(plain == (try Self.trace(softmax, sketch: Self.sketch("two-pass-weights"))))
  }

  /// Rule 4 beside a short window: a max pooling of 8 dilated taps along its contiguous output axis keeps its taps
  /// serial and unrolled (each one load of the output block, no cross-lane NaN-propagating combine) and gives the
  /// outputs the elementwise block (1024, not the 64 a long reduction leaves them); a sum over a short window keeps
  /// the window a block and gives the outputs the rest of the lane budget (8192 / 8 taps: 1024).
  @Test func shortWindowLeavesTheOutputsAWideBlock() throws {
    let steps = try Self.trace("""
      kernel @maxpool(%x: f32[N, C, L]) -> (%y: f32[N, C, (L - 13)]) {
        dims N = 64, C = 192, L = 65536
        %y: f32[n < N, c < C, l < (L - 13)] = max<f32> [k in 0 .. 8] %x[n, c, ((l + (3:i64 * k)) - 4:i64)] else -inf:f32
      }
      """)
    #expect(steps == [
      "split(y, l, 1024)", "reorder(y, [c, n, l.o, k, l.i])", "bind(y, l.o, grid.x)", "bind(y, c, grid.y)",
      "bind(y, n, grid.z)", "bind(y, l.i, block.x)", "unroll(y, k, 8)", "launch(y, 4, 2)",
    ])
    let sum = try Self.trace("""
      kernel @sumpool(%x: f32[N, C, L]) -> (%y: f32[N, C, (L - 13)]) {
        dims N = 64, C = 192, L = 65536
        %y: f32[n < N, c < C, l < (L - 13)] = sum<f32> [k in 0 .. 8] %x[n, c, ((l + (3:i64 * k)) - 4:i64)]
      }
      """)
    #expect(sum.contains("split(y, l, 1024)") && sum.contains("bind(y, k, block.y)") && sum.contains("bind(y, l.i, block.x)"))
  }

  /// Rule 4's window blocks: a strided pooling (`x[.., 11 * i + p, 11 * j + q]`) reduces over its unit-stride
  /// window axis q as the innermost block (adjacent reads; the output axis j walks 11 apart), and a window small
  /// enough to fit the lane budget whole (3 x 3 x 3) is reduced in blocks rather than serial tap loops, at most
  /// three block dimensions in all.
  @Test func windowAxesBecomeBlocksUnitStrideInnermost() throws {
    let pool2 = """
      kernel @pool(%x: f32[N, C, H, W]) -> (%y: f32[N, C, (H / 11), (W / 11)]) {
        dims N = 16, C = 64, H = 2048, W = 2048
        %y: f32[n < N, c < C, i < (H / 11), j < (W / 11)] = sum<f32> [p in 0 .. 11, q in 0 .. 11] %x[n, c, ((11:i64 * i) + p), ((11:i64 * j) + q)]
      }
      """
    let steps = try Self.trace(pool2)
    #expect(steps.contains("bind(y, q, block.x)"))
    // The output row (186 windows) whole beside the 11-tap block (16 padded: 512 outputs fit the lane budget).
    #expect(steps.contains("bind(y, j, block.y)"))
    #expect(!steps.contains { $0.hasPrefix("bind(y, p, ") })
    let pool3 = """
      kernel @pool(%x: f32[N, C, D, H, W]) -> (%y: f32[N, C, (D - 2), (H - 2), (W - 2)]) {
        dims N = 16, C = 32, D = 64, H = 64, W = 128
        %y: f32[n < N, c < C, d < (D - 2), i < (H - 2), j < (W - 2)] = sum<f32> [a in 0 .. 3, p in 0 .. 3, q in 0 .. 3] %x[n, c, (d + a), (i + p), (j + q)]
      }
      """
    let steps3 = try Self.trace(pool3)
    #expect(steps3.filter { $0.hasPrefix("bind(y, ") && $0.contains("block.") }.count == 3)
    #expect(steps3.contains { $0.hasPrefix("bind(y, q, block.") } && steps3.contains { $0.hasPrefix("bind(y, a, block.") })
  }

  /// Sketch fused on a chain of contractions (X (X^T Y) with a cast): the outer contraction is computed in the
  /// cast's programs (one per batch element), the inner one at the same program id inside it, both dots
  /// (bench/gpu/fm_interaction.trace's structure).
  @Test func fusedSketchOnAChainOfContractions() throws {
    let fm = """
      kernel @fm(%x: bf16[B, N, D], %y: bf16[B, N, K]) -> (%out: bf16[B, N, K]) {
        dims B = 2048, N = 128, D = 128, K = 32
        %t: f32[b < B, d < D, k < K] = sum<f32> [n in 0 .. $N] (cast<f32>(%x[b, n, d]) * cast<f32>(%y[b, n, k]))
        %r: f32[b < B, n < N, k < K] = sum<f32> [d in 0 .. $D] (cast<f32>(%x[b, n, d]) * %t[b, d, k])
        %out: bf16[b < B, n < N, k < K] = cast<bf16>(%r[b, n, k])
      }
      """
    let steps = try Self.trace(fm, sketch: Self.sketch("fused"))
    #expect(steps.contains("compute_at(r, out, b)"))
    #expect(steps.contains("compute_at(t, r, b)"))
    #expect(steps.contains("dot(r)") && steps.contains("dot(t)"))
    #expect(steps.contains("bind(t, d, block.y)") && steps.contains("bind(t, k, block.x)"))
    #expect(steps.filter { $0.hasPrefix("launch(") }.count == 1)
  }

  /// Sketch wide-blocks: an elementwise copy of 64-wide rows takes 64 rows per program (4096 elements) instead of 16
  /// (bench/gpu/jagged_truncate.trace's tiles).
  @Test func wideBlocksSketch() throws {
    let copy = """
      kernel @copy(%x: bf16[B, T, D]) -> (%y: bf16[B, T, D]) {
        dims B = 4096, T = 256, D = 64
        %y: bf16[b < B, t < T, d < D] = %x[b, t, d]
      }
      """
    #expect(try Self.trace(copy).prefix(1) == ["split(y, t, 16)"])
    #expect(try Self.trace(copy, sketch: Self.sketch("wide-blocks")) == [
      "split(y, t, 64)", "bind(y, t.o, grid.x)", "bind(y, b, grid.y)", "bind(y, d, block.x)", "bind(y, t.i, block.y)",
      "launch(y, 16, 2)",
    ])
  }

  /// The sketches of a kernel are distinct traces: those that change nothing here are left out (no contraction in
  /// a norm, nothing to split at this shape).
  @Test func sketchesAreDistinct() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.norm))
    let names = DefaultSchedule.gpuSketches(for: kernel).map(\.name)
    #expect(names == ["default", "rows2", "rows4", "unfused"])
  }
}
