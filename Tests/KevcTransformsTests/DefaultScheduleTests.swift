// The default CPU schedule is computed from the IR's structure: IR text in, the scheduled loops out.
import KevcBasic
import KevcIR
import KevcTransforms
import Testing

@Suite struct DefaultScheduleTests {
  static func schedule(_ text: String) throws -> [String] {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: text))
    let scheduled = try DefaultSchedule.cpu(for: kernel).apply(to: kernel)
    return IRPrinter.print(scheduled).split(separator: "\n").map(String.init).filter { $0.contains("schedule ") }
  }

  /// A row sum `y[m] = sum(k) x[m, k]` with `rows` rows of `columns`.
  static func rowSum(rows: Int, columns: Int) -> String {
    """
    kernel @rowsum(%x: f32[M, K]) -> (%y: f32[M]) {
      dims M = \(rows), K = \(columns)
      %y: f32[m < M] = sum<f32> [k in 0 .. $K] (%x[m, k])
    }
    """
  }

  /// Rule 3's guard: the rows go to the thread pool only where the cost model (`guardMachine`) says a second core
  /// saves more than the pool's fork and join (`cpuForkJoinSeconds`). 64 rows of 1024 (64 Ki points, over
  /// `parallelWork`, but 256 KiB: about 13 us of streaming) stay on one thread; 4096 rows of 4096 (64 MiB) keep it.
  @Test(arguments: [(64, 1024, false), (4096, 4096, true)])
  func parallelRowsPayForTheirForkAndJoin(rows: Int, columns: Int, parallel: Bool) throws {
    let lines = try Self.schedule(Self.rowSum(rows: rows, columns: columns))
    #expect(lines == [
      "    schedule split(k, k.o, k.i, 8) loops(m\(parallel ? ": parallel" : ""), k.o, k.i: vectorize(8)) root store(workspace)"
    ])
  }

  /// Rule 0: a prefix sum written as a triangular sum becomes a scan (one running accumulator along n, O(N)); its
  /// loops stay innermost and serial, the rows run on the thread pool.
  @Test func triangularSumBecomesAScan() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @cumsum(%x: f32[M, N]) -> (%y: f32[M, N]) {
        dims M = 4096, N = 32768
        %y: f32[m < M, n < N] = sum<f32> [j in 0 .. (n + 1)] %x[m, j]
      }
      """))
    let trace = DefaultSchedule.cpu(for: kernel)
    #expect(trace.steps.map(TraceText.print) == ["to_scan(y)", "parallel(y, m)"])
    let scheduled = try trace.apply(to: kernel)
    #expect(scheduled.definitions[0].reduction?.scanAxis == "n")
  }

  /// A transposed convolution of stride 2 with 4 taps, written with the guard `(t + 1 - k) % 2 == 0`.
  static let stridedTransposedConvolution = """
      kernel @ct(%x: f32[N, C, L], %w: f32[C, F, K]) -> (%y: f32[N, F, (((2 * L) + K) - 3)]) {
        dims N = 4, C = 16, L = 64, F = 32, K = 4
        %y: f32[n < N, f < F, t < (((2 * L) + K) - 3)] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (select(((((t + 1:i64) - k) % 2:i64) == 0:i64), %x[n, c, (((t + 1:i64) - k) / 2:i64)], 0.0:f32) * %w[c, f, k])
      }
      """

  /// Rule 0b: a strided transposed convolution is split by phase (two dense convolutions of 2 taps each instead of
  /// 4 taps of which 2 are discarded per output); each phase reads a bordered copy of x (rule 2c: rows of 64), rule
  /// 3a register-tiles each phase, and the interleaving `y` is vectorized along t.
  @Test func stridedTransposedConvolutionIsSplitByPhase() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.stridedTransposedConvolution))
    #expect(DefaultSchedule.cpu(for: kernel).steps.first == .phaseSplit(tensor: "y", axes: ["t"]))
    let lines = try Self.schedule(Self.stridedTransposedConvolution)
    #expect(lines == [
      "    schedule split(d2, d2.o, d2.i, 8) loops(d0, d1, d2.o, d2.i: vectorize(8)) root store(workspace)",
      "    schedule split(f, f.o, f.i, 4) split(t, t.o, t.i, 16) loops(n, c, k, f.o, f.i: unroll, t.o, t.i: vectorize(16)) compute_at(%y.ph0, t.o) store(local)",
      "    schedule split(f, f.o, f.i, 4) split(t, t.o, t.i, 16) loops(n, f.o, t.o, f.i, t.i: vectorize(16)) root store(workspace)",
      "    schedule split(d2, d2.o, d2.i, 8) loops(d0, d1, d2.o, d2.i: vectorize(8)) root store(workspace)",
      "    schedule split(f, f.o, f.i, 4) split(t, t.o, t.i, 16) loops(n, c, k, f.o, f.i: unroll, t.o, t.i: vectorize(16)) compute_at(%y.ph1, t.o) store(local)",
      "    schedule split(f, f.o, f.i, 4) split(t, t.o, t.i, 16) loops(n, f.o, t.o, f.i, t.i: vectorize(16)) root store(workspace)",
      "    schedule split(t, t.o, t.i, 8) loops(n, f, t.o, t.i: vectorize(8)) root store(workspace)",
    ])
  }

  /// Rule 1 into a reduction: an elementwise intermediate that a sum reads at distinct variables naming all its loops
  /// (layernorm's centred row `xc[m, n]` in the variance's sum over n) is inlined there and into y, as bench/cpu's
  /// hand trace does: each element is computed once in each reader and never stored (the default computed `xc` per
  /// row into a 16 KiB buffer, 0.87x of the hand trace: bench/search/cpu-noseeds-2026-12-07b). The mean's sum is
  /// then computed once per row, shared by the variance's sum and y (rule 2).
  @Test func aCentredRowIsInlinedIntoTheVariancesSum() throws {
    let text = """
      kernel @layernorm(%x: f32[M, N], %w: f32[N], %b: f32[N], %eps: f32) -> (%y: f32[M, N]) {
        dims M = 4096, N = 4096
        %_r0: f32[m < M] = sum<f32> [n in 0 .. $N] %x[m, n]
        %mean: f32[m < M] = (%_r0[m] / cast<f32>($N))
        %xc: f32[m < M, n < N] = (%x[m, n] - %mean[m])
        %_r1: f32[m < M] = sum<f32> [n in 0 .. $N] (%xc[m, n] * %xc[m, n])
        %var: f32[m < M] = (%_r1[m] / cast<f32>($N))
        %y: f32[m < M, n < N] = (((%xc[m, n] * rsqrt((%var[m] + %eps))) * %w[n]) + %b[n])
      }
      """
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: text))
    #expect(DefaultSchedule.cpu(for: kernel).steps.map(TraceText.print) == [
      "inline(mean)", "inline(xc)", "inline(var)", "compute_at(_r1, y, m)", "compute_at(_r0, y, m)",
      "vectorize(y, n, 8)", "parallel(y, m)", "vectorize(_r0, n, 8)", "vectorize(_r1, n, 8)",
    ])
    #expect(try Self.schedule(text) == [
      "    schedule split(n, n.o, n.i, 8) loops(m, n.o, n.i: vectorize(8)) compute_at(%y, m) store(local)",
      "    schedule split(n, n.o, n.i, 8) loops(m, n.o, n.i: vectorize(8)) compute_at(%y, m) store(local)",
      "    schedule split(n, n.o, n.i, 8) loops(m: parallel, n.o, n.i: vectorize(8)) root store(workspace)",
    ])
  }

  /// Not where the inlined definition reads a computed tensor at the reduction's variable: cross_entropy_loss's
  /// `lse[b] = mx[b] + log(s[b])` read by the loss's sum over b stays, so that the row max and sum are computed in
  /// lse's row loop (inlined, both were left at the root: two passes over the input instead of one row in cache).
  @Test func aRowStatisticReadAtAReductionVariableIsNotInlined() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @ce(%p: f32[B, V], %t: i64[B] in 0 .. V) -> (%loss: f32) {
        dims B = 4096, V = 4096
        %mx: f32[b < B] = max<f32> [v in 0 .. $V] %p[b, v]
        %_r0: f32[b < B] = sum<f32> [v in 0 .. $V] exp((%p[b, v] - %mx[b]))
        %lse: f32[b < B] = (%mx[b] + log(%_r0[b]))
        %_r1: f32[] = sum<f32> [b in 0 .. $B] (%lse[b] - %p[b, %t[b]])
        %loss: f32[] = (%_r1[] / cast<f32>($B))
      }
      """))
    let steps = DefaultSchedule.cpu(for: kernel).steps.map(TraceText.print)
    #expect(!steps.contains("inline(lse)"))
    #expect(steps.contains("compute_at(_r0, lse, b)") && steps.contains("compute_at(mx, lse, b)"), "\(steps)")
  }

  /// Rule 1 through a contraction: a bias add `h = conv + cb[f]` read by the pool's sum at its reduction variables
  /// (i, j) is inlined, since the convolution it reads stays at the root anyway (rule 3a); kept, it was copied per
  /// image, a pass over the convolution's output. Its sum then fuses its rows (rule 1b) and reads the convolution.
  @Test func anEpilogueOfAContractionIsInlinedIntoAReduction() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @cgp(%x: f32[N, C, H, W], %w: f32[F, C, K, K], %cb: f32[F]) -> (%y: f32[N, F]) {
        dims N = 2, C = 3, H = 9, W = 12, F = 5, K = 3
        %_r0: f32[n < N, f < F, i < ((H - K) + 1), j < ((W - K) + 1)] = sum<f32> [c in 0 .. $C, p in 0 .. $K, q in 0 .. $K] (%x[n, c, (i + p), (j + q)] * %w[f, c, p, q])
        %h: f32[n < N, f < F, i < ((H - K) + 1), j < ((W - K) + 1)] = (%_r0[n, f, i, j] + %cb[f])
        %_r1: f32[n < N, f < F] = sum<f32> [i in 0 .. (($H - $K) + 1), j in 0 .. (($W - $K) + 1)] ((0.5:f32 * %h[n, f, i, j]) * (1.0:f32 + erf((%h[n, f, i, j] / sqrt(2.0:f32)))))
        %y: f32[n < N, f < F] = (%_r1[n, f] / cast<f32>(((($H - $K) + 1:i64) * (($W - $K) + 1:i64))))
      }
      """))
    let trace = DefaultSchedule.cpu(for: kernel)
    #expect(Array(trace.steps.map(TraceText.print).prefix(3)) == [
      "inline(h)", "fuse_axes(_r1, [i, j])", "compute_at(_r1, y, n)",
    ])
    let lines = IRPrinter.print(try trace.apply(to: kernel)).split(separator: "\n").map(String.init)
    #expect(lines.contains("  %_r1: f32[n < N, f < F] = sum<f32> [i.j in 0 .. ((($H - $K) + 1) * (($W - $K) + 1))] ((0.5:f32 * (%_r0[n, f, (i.j / (($W - $K) + 1:i64)), (i.j % (($W - $K) + 1:i64))] + %cb[f])) * (1.0:f32 + erf(((%_r0[n, f, (i.j / (($W - $K) + 1:i64)), (i.j % (($W - $K) + 1:i64))] + %cb[f]) / sqrt(2.0:f32)))))"), "\(lines)")
  }

  /// A 64^3 matmul whose second operand is read as `b` (`b[k, n]` or `b[n, k]`).
  static func matmul(_ b: String) -> String {
    """
    kernel @matmul(%a: f32[M, K], %b: f32[\(b == "b[k, n]" ? "K, N" : "N, K")]) -> (%c: f32[M, N]) {
      dims M = 64, K = 64, N = 64
      %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[m, k] * %\(b))
    }
    """
  }

  /// Rule 3a: a contraction is register-tiled: a block of accumulators (`c.acc`, local) cached at the column tile
  /// loop, the reduction outside the tile, its rows unrolled and its columns vectorized. At 64^3 (20 us of
  /// arithmetic on one core by the cost model) the row tiles stay on one thread: the thread pool's fork and join
  /// (`cpuForkJoinSeconds`) cost more than a second core saves.
  /// `B[k, n]`: 4 x 16 (two vectors of columns). `B[n, k]` (the reduction contiguous in both operands): B is first
  /// copied with its column dimension last (`aColumnOperandReadARowApartIsPacked`), then tiled 4 x 16 the same way.
  @Test func contractionGetsARegisterTile() throws {
    let lines = try Self.schedule(Self.matmul("b[k, n]"))
    let splits = "split(m, m.o, m.i, 4) split(n, n.o, n.i, 16)"
    #expect(lines == [
      "    schedule \(splits) loops(k, m.o, m.i: unroll, n.o, n.i: vectorize(16)) compute_at(%c, n.o) store(local)",
      "    schedule \(splits) loops(m.o, n.o, m.i, n.i: vectorize(16)) root store(workspace)",
    ])
  }

  /// Rule 3a on a machine with AVX-512 (`cpuMachine(llvmFeatures:)`: 32 vector registers of 64 bytes): half of them
  /// hold accumulators, 8 rows of two 16-lane vectors (8 x 32); the same tile for the packed `B[n, k]`. A row shorter
  /// than one 512-bit vector (12 columns) keeps AVX2's tile, 8-lane vectors and 4 rows (the kernel is then compiled
  /// with AVX-512 off, 16 registers: `LLVMTarget.asksForWideVectors`). A feature string that turns AVX-512 off
  /// again is AVX2's machine.
  @Test func avx512MachinesGetAnEightByThirtyTwoTile() throws {
    let machine = DefaultSchedule.cpuMachine(llvmFeatures: "+avx2,+fma,+avx512f,+avx512bw")
    #expect(machine.vectorBytes == 64 && machine.vectorRegisters == 32)
    #expect(DefaultSchedule.cpuMachine(llvmFeatures: "+avx2,+avx512f,-avx512f").vectorBytes == 32)
    #expect(DefaultSchedule.cpuMachine(llvmFeatures: "+neon").vectorBytes == 32)
    func lines(_ text: String) throws -> [String] {
      let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: text))
      return IRPrinter.print(try DefaultSchedule.cpu(for: kernel, machine: machine).apply(to: kernel))
        .split(separator: "\n").map(String.init).filter { $0.contains("schedule ") && !$0.contains("permute") }
    }
    let splits = "split(m, m.o, m.i, 8) split(n, n.o, n.i, 32)"
    let tile = [
      "    schedule \(splits) loops(k, m.o, m.i: unroll, n.o, n.i: vectorize(32)) compute_at(%c, n.o) store(local)",
      "    schedule \(splits) loops(m.o, n.o, m.i, n.i: vectorize(32)) root store(workspace)",
    ]
    #expect(try lines(Self.matmul("b[k, n]")) == tile)
    #expect(try lines(Self.matmul("b[n, k]")) == tile)
    #expect(try lines(Self.matmul("b[k, n]").replacingOccurrences(of: "N = 64", with: "N = 12")) == [
      "    schedule split(m, m.o, m.i, 4) split(n, n.o, n.i, 8) loops(k, m.o, m.i: unroll, n.o, n.i: vectorize(8)) compute_at(%c, n.o) store(local)",
      "    schedule split(m, m.o, m.i, 4) split(n, n.o, n.i, 8) loops(m.o, n.o, m.i, n.i: vectorize(8)) root store(workspace)",
    ])
  }

  /// Rule 3a with a column operand read a row apart (`b[n, k]`, a Linear layer's weight): b is copied once into a
  /// root buffer stored with n last (`stage`, `compute_root`, `layout`: `b.c[n, k]` stored `[k, n]`; its loops in
  /// that order, `reorder`, so that its stores are contiguous), and the tile
  /// reads the copy with unit stride along n, 4 x 16 as for `b[k, n]`; before, its columns were gathered (an 8 x 8
  /// tile, one vector of columns; matmul_transposed_b 0.46x torch at 256^3, bench/kernelbench/cpu-results-below-half.md).
  @Test func aColumnOperandReadARowApartIsPacked() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.matmul("b[n, k]")))
    let trace = DefaultSchedule.cpu(for: kernel)
    #expect(Array(trace.steps.map(TraceText.print).prefix(5)) == [
      "stage(b, c, n, workspace)", "compute_root(b.c)", "layout(b.c, [1, 0])", "reorder(b.c, [d1, d0])",
      "tile(c, [m, n], [4, 16])",
    ])
    #expect(IRPrinter.print(try trace.apply(to: kernel)).split(separator: "\n").map(String.init) == [
      "kernel @matmul(%a: f32[M, K], %b: f32[N, K]) -> (%c: f32[M, N]) {",
      "  dims M = 64, K = 64, N = 64",
      "  %b.c: f32[d0 < N, d1 < K] = %b[d0, d1] inbounds",
      "    schedule loops(d1, d0) root store(workspace, permute [1, 0])",
      "  %c.acc: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[m, k] * %b.c[n, k])",
      "    schedule split(m, m.o, m.i, 4) split(n, n.o, n.i, 16) loops(k, m.o, m.i: unroll, n.o, n.i: vectorize(16)) compute_at(%c, n.o) store(local)",
      "  %c: f32[m < M, n < N] = %c.acc[m, n] inbounds",
      "    schedule split(m, m.o, m.i, 4) split(n, n.o, n.i, 16) loops(m.o, n.o, m.i, n.i: vectorize(16)) root store(workspace)",
      "}",
    ])
  }

  /// With fewer rows than `packedRows` (16) the copy would serve few row tiles: b's columns are gathered instead,
  /// 8 x 8 (one vector of columns, twice the rows); before rule 3a each output was a horizontal dot product.
  @Test func aFewRowsKeepTheGatheredTile() throws {
    let lines = try Self.schedule(Self.matmul("b[n, k]").replacingOccurrences(of: "M = 64", with: "M = 8"))
    #expect(lines == [
      "    schedule split(n, n.o, n.i, 8) loops(k, m: unroll, n.o, n.i: vectorize(8)) compute_at(%c, n.o) store(local)",
      "    schedule split(m, m.o, m.i, 8) split(n, n.o, n.i, 8) loops(m.o, n.o, m.i, n.i: vectorize(8)) root store(workspace)",
    ])
  }

  /// A convolution is a contraction over (c, k): output channels are the tile's rows, the window axis l (contiguous
  /// in `x[n, c, l + k - 1]`) its vectorized columns.
  @Test func convolutionGetsARegisterTile() throws {
    let lines = try Self.schedule("""
      kernel @conv1d(%x: f32[N, C, L], %w: f32[F, C, K]) -> (%y: f32[N, F, L]) {
        dims N = 8, C = 128, L = 4096, F = 128, K = 3
        %y: f32[n < N, f < F, l < L] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (%x[n, c, ((l + k) - 1)] * %w[f, c, k])
      }
      """)
    #expect(lines == [
      "    schedule split(f, f.o, f.i, 4) split(l, l.o, l.i, 16) loops(n, c, k, f.o, f.i: unroll, l.o, l.i: vectorize(16)) compute_at(%y, l.o) store(local)",
      "    schedule split(f, f.o, f.i, 4) split(l, l.o, l.i, 16) loops(n: parallel, f.o, l.o, f.i, l.i: vectorize(16)) root store(workspace)",
    ])
  }

  /// Rule 3a on short rows: a 3-D convolution with 14 output columns (W = 16) fits one vector of columns, so the tile
  /// also spans two output rows i (read by x, not by w): 4 x 2 x 8, eight accumulator chains as in 4 x 16 (before:
  /// 4 x 8, four chains). 18 columns (W = 20) take one vector too (two-vector tiles would cover 32 columns, one-vector
  /// tiles 24); 32 columns (W = 34) keep 4 x 16. (Six output channels: no vector of them, so the tile across the
  /// channels, `anOutputWithShortRowsIsTiledAcrossItsChannels`, does not apply.)
  @Test(arguments: [(16, true), (20, true), (34, false)])
  func aShortRowConvolutionTilesTwoOutputRows(width: Int, oneVector: Bool) throws {
    let lines = try Self.schedule("""
      kernel @conv3d(%x: f32[N, C, D, H, W], %w: f32[F, C, K, K, K]) -> (%y: f32[N, F, ((D - K) + 1), ((H - K) + 1), ((W - K) + 1)]) {
        dims N = 2, C = 3, D = 6, H = 6, W = \(width), F = 6, K = 3
        %y: f32[n < N, f < F, d < ((D - K) + 1), i < ((H - K) + 1), j < ((W - K) + 1)] = sum<f32> [c in 0 .. $C, a in 0 .. $K, p in 0 .. $K, q in 0 .. $K] (%x[n, c, (d + a), (i + p), (j + q)] * %w[f, c, a, p, q])
      }
      """)
    if oneVector {
      let splits = "split(f, f.o, f.i, 4) split(i, i.o, i.i, 2) split(j, j.o, j.i, 8)"
      #expect(lines == [
        "    schedule \(splits) loops(n, d, c, a, p, q, f.o, f.i: unroll, i.o, i.i: unroll, j.o, j.i: vectorize(8)) compute_at(%y, j.o) store(local)",
        "    schedule \(splits) loops(n, d, f.o, i.o, j.o, f.i, i.i, j.i: vectorize(8)) root store(workspace)",
      ])
    } else {
      let splits = "split(f, f.o, f.i, 4) split(j, j.o, j.i, 16)"
      #expect(lines == [
        "    schedule \(splits) loops(n, d, i, c, a, p, q, f.o, f.i: unroll, j.o, j.i: vectorize(16)) compute_at(%y, j.o) store(local)",
        "    schedule \(splits) loops(n, d, i, f.o, j.o, f.i, j.i: vectorize(16)) root store(workspace)",
      ])
    }
  }

  /// Rule 3a across the channels (`DefaultSchedule.channelTile`): a transposed 3-D convolution with 18 output columns
  /// (W = 16) and 16 output channels, on AVX-512, would compute 32 columns per row in two 16-lane tiles (9 of 16
  /// lanes useful per FMA); it vectorizes the channels instead (w copied with f last), 6 output columns x 2 output
  /// rows unrolled (12 accumulators, 18 = 3 tiles of 6), the accumulator stored with f last, the copy-out unrolled.
  /// With AVX2's 8 lanes and 8 channels (the guard machine), a 3-D convolution's 18 columns (6 of 8 lanes useful)
  /// get 4 x 2 rows; its 14 columns (7 of 8 lanes, 81 taps: a lane saved on 1.4 FMAs per output, less than the
  /// store across) keep the plain tile.
  @Test func anOutputWithShortRowsIsTiledAcrossItsChannels() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @t3(%x: f32[N, C, D, H, W], %w: f32[C, F, K, K, K]) -> (%y: f32[N, F, ((D + K) - 1), ((H + K) - 1), ((W + K) - 1)]) {
        dims N = 2, C = 16, D = 4, H = 4, W = 16, F = 16, K = 3
        %y: f32[n < N, f < F, d < ((D + K) - 1), i < ((H + K) - 1), j < ((W + K) - 1)] = sum<f32> [c in 0 .. $C, a in 0 .. $K, p in 0 .. $K, q in 0 .. $K] (%x[n, c, (d - a), (i - p), (j - q)] * %w[c, f, a, p, q])
      }
      """))
    let machine = DefaultSchedule.cpuMachine(llvmFeatures: "+avx2,+fma,+avx512f")
    let trace = DefaultSchedule.cpu(for: kernel, machine: machine)
    #expect(trace.steps.map(TraceText.print) == [
      "pad_input(y, x)", "vectorize(x.pad, d4, 8)",
      "stage(w, y, f, workspace)", "compute_root(w.y)", "layout(w.y, [0, 2, 3, 4, 1])", "reorder(w.y, [d0, d2, d3, d4, d1])",
      "tile(y, [i, j, f], [2, 6, 16])", "reorder(y, [n, d, i.o, j.o, f.o, i.i, j.i, f.i, c, a, p, q])",
      "cache(y, f.o, local)", "layout(y.acc, [0, 2, 3, 4, 1])", "reorder(y.acc, [n, d, c, a, p, q, i, j, f])",
      "unroll(y.acc, i, 2)", "unroll(y.acc, j, 6)", "vectorize(y.acc, f, 16)", "vectorize(y, f.i, 16)",
      "unroll(y, i.i, 2)", "unroll(y, j.i, 6)", "parallel(y, n)",
    ])
    let lines = IRPrinter.print(try trace.apply(to: kernel)).split(separator: "\n").map(String.init)
      .filter { $0.contains("schedule ") }
    let splits = "split(i, i.o, i.i, 2) split(j, j.o, j.i, 6)"
    #expect(lines == [
      "    schedule split(d4, d4.o, d4.i, 8) loops(d0, d1, d2, d3, d4.o, d4.i: vectorize(8)) root store(workspace)",
      "    schedule loops(d0, d2, d3, d4, d1) root store(workspace, permute [0, 2, 3, 4, 1])",
      "    schedule \(splits) loops(n, d, c, a, p, q, i.o, i.i: unroll, j.o, j.i: unroll, f: vectorize(16)) compute_at(%y, f.o) store(local, permute [0, 2, 3, 4, 1])",
      "    schedule \(splits) split(f, f.o, f.i, 16) loops(n: parallel, d, i.o, j.o, f.o, i.i: unroll, j.i: unroll, f.i: vectorize(16)) root store(workspace)",
    ])
    func conv3d(width: Int) -> String {
      """
      kernel @conv3d(%x: f32[N, C, D, H, W], %w: f32[F, C, K, K, K]) -> (%y: f32[N, F, ((D - K) + 1), ((H - K) + 1), ((W - K) + 1)]) {
        dims N = 2, C = 3, D = 6, H = 6, W = \(width), F = 8, K = 3
        %y: f32[n < N, f < F, d < ((D - K) + 1), i < ((H - K) + 1), j < ((W - K) + 1)] = sum<f32> [c in 0 .. $C, a in 0 .. $K, p in 0 .. $K, q in 0 .. $K] (%x[n, c, (d + a), (i + p), (j + q)] * %w[f, c, a, p, q])
      }
      """
    }
    #expect(try Self.schedule(conv3d(width: 20)) == [
      "    schedule loops(d1, d2, d3, d4, d0) root store(workspace, permute [1, 2, 3, 4, 0])",
      "    schedule split(i, i.o, i.i, 2) split(j, j.o, j.i, 4) loops(n, d, c, a, p, q, i.o, i.i: unroll, j.o, j.i: unroll, f: vectorize(8)) compute_at(%y, f.o) store(local, permute [0, 2, 3, 4, 1])",
      "    schedule split(i, i.o, i.i, 2) split(j, j.o, j.i, 4) split(f, f.o, f.i, 8) loops(n, d, i.o, j.o, f.o, i.i: unroll, j.i: unroll, f.i: vectorize(8)) root store(workspace)",
    ])
    #expect(try Self.schedule(conv3d(width: 16)).last?.hasPrefix(
      "    schedule split(f, f.o, f.i, 4) split(i, i.o, i.i, 2) split(j, j.o, j.i, 8)") == true)
  }

  /// Rule 2b: a strided convolution reads its input 3 apart along the output position; it reads the de-interleaved
  /// copy `x.ph` (adjacent along l) instead, and rule 3a register-tiles it as a plain convolution.
  @Test func stridedConvolutionReadsADeinterleavedCopy() throws {
    let text = """
      kernel @conv1d_strided(%x: f32[N, C, L], %w: f32[F, C, K]) -> (%y: f32[N, F, (((L - 9) / 3) + 1)]) {
        dims N = 8, C = 32, L = 4096, F = 64, K = 3
        %y: f32[n < N, f < F, l < (((L - 9) / 3) + 1)] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (%x[n, c, ((3:i64 * l) + (4:i64 * k))] * %w[f, c, k])
      }
      """
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: text))
    #expect(DefaultSchedule.cpu(for: kernel).steps.contains(.deinterleave(tensor: "y", input: "x", axis: "l")))
    let lines = try Self.schedule(text)
    #expect(lines == [
      "    schedule split(d2.m, d2.m.o, d2.m.i, 8) loops(d0: parallel, d1, d2.r, d2.m.o, d2.m.i: vectorize(8)) root store(workspace)",
      "    schedule split(f, f.o, f.i, 4) split(l, l.o, l.i, 16) loops(n, c, k, f.o, f.i: unroll, l.o, l.i: vectorize(16)) compute_at(%y, l.o) store(local)",
      "    schedule split(f, f.o, f.i, 4) split(l, l.o, l.i, 16) loops(n: parallel, f.o, l.o, f.i, l.i: vectorize(16)) root store(workspace)",
    ])
  }

  /// Rule 2c: a transposed convolution reads `x[n, c, i - p, j - q]`, outside `x` near the edges; on rows of 32 it
  /// reads a copy with a border of 2 (in bounds, no masked loads), on rows of 512 it keeps its masked reads. Its 34
  /// output columns take one vector and two output rows (rule 3a on short rows), its 514 two vectors. (30 output
  /// channels: no tile across them.)
  @Test(arguments: [(32, true), (512, false)])
  func paddedConvolutionOnShortRowsReadsABorderedCopy(width: Int, padded: Bool) throws {
    let text = """
      kernel @conv_transposed2d(%x: f32[N, C, H, W], %w: f32[C, F, K, K]) -> (%y: f32[N, F, ((H + K) - 1), ((W + K) - 1)]) {
        dims N = 8, C = 16, H = 16, W = \(width), F = 30, K = 3
        %y: f32[n < N, f < F, i < ((H + K) - 1), j < ((W + K) - 1)] = sum<f32> [c in 0 .. $C, p in 0 .. $K, q in 0 .. $K] (%x[n, c, (i - p), (j - q)] * %w[c, f, p, q])
      }
      """
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: text))
    #expect(DefaultSchedule.cpu(for: kernel).steps.contains(.padInput(tensor: "y", input: "x")) == padded)
    let lines = try Self.schedule(text)
    #expect(lines.count == (padded ? 3 : 2), "\(lines)")
    #expect(lines.last == (padded
      ? "    schedule split(f, f.o, f.i, 4) split(i, i.o, i.i, 2) split(j, j.o, j.i, 8) loops(n: parallel, f.o, i.o, j.o, f.i, i.i, j.i: vectorize(8)) root store(workspace)"
      : "    schedule split(f, f.o, f.i, 4) split(j, j.o, j.i, 16) loops(n: parallel, i, f.o, j.o, f.i, j.i: vectorize(16)) root store(workspace)"))
  }

  /// A gemm with an epilogue: the contraction is not computed per row of its elementwise reader (one horizontal dot
  /// product per output, 0.03x torch) but stays a register-tiled kernel of its own.
  @Test func contractionReadByAnEpilogueStaysAtTheRoot() throws {
    let lines = try Self.schedule("""
      kernel @gemm_tri(%a: f32[N, N], %b: f32[N, N]) -> (%c: f32[N, N]) {
        dims N = 64
        %_r0: f32[i < N, j < N] = sum<f32> [k in 0 .. $N] (%a[i, k] * %b[k, j])
        %c: f32[i < N, j < N] = select((j >= i), %_r0[i, j], 0.0:f32)
      }
      """)
    #expect(lines.count == 3)
    #expect(lines[1].hasSuffix("root store(workspace)") && lines[1].contains("loops(i.o, j.o"))
  }

  /// A matrix times a vector `y[m, z] = sum(k) A[m, k] * B[k, z]` with one z is a row reduction along k,
  /// vectorized (before: k outside a one-iteration z loop, nothing vectorized).
  @Test func matrixVectorReducesAlongTheRow() throws {
    let lines = try Self.schedule("""
      kernel @matvec(%a: f32[M, K], %b: f32[K, 1]) -> (%y: f32[M, 1]) {
        dims M = 8, K = 256
        %y: f32[m < M, z < 1] = sum<f32> [k in 0 .. $K] (%a[m, k] * %b[k, z])
      }
      """)
    #expect(lines == ["    schedule split(k, k.o, k.i, 8) loops(m, z, k.o, k.i: vectorize(8)) root store(workspace)"])
  }

  /// Statistics read by a consumer at an inner loop (a batch norm's per-channel mean, read inside the batch loop)
  /// stay at the root, computed once: computed at the channel loop they were recomputed for every batch item.
  @Test func statisticsAreNotRecomputedPerBatchItem() throws {
    let lines = try Self.schedule("""
      kernel @bn(%x: f32[N, C, W]) -> (%y: f32[N, C, W]) {
        dims N = 8, C = 16, W = 64
        %s: f32[c < C] = sum<f32> [n in 0 .. $N, q in 0 .. $W] %x[n, c, q]
        %y: f32[n < N, c < C, q < W] = (%x[n, c, q] - %s[c])
      }
      """)
    #expect(lines == [
      "    schedule split(q, q.o, q.i, 8) loops(c, n, q.o, q.i: vectorize(8)) root store(workspace)",
      "    schedule split(q, q.o, q.i, 8) loops(n, c, q.o, q.i: vectorize(8)) root store(workspace)",
    ])
  }

  /// Row statistics computed inside the row loop are vectorized along the row (their loads walk it contiguously).
  @Test func rowStatisticsInsideTheRowLoopAreVectorized() throws {
    let lines = try Self.schedule("""
      kernel @rmsnorm(%x: f32[M, N]) -> (%y: f32[M, N]) {
        dims M = 64, N = 256
        %ss: f32[m < M] = sum<f32> [n in 0 .. $N] (%x[m, n] * %x[m, n])
        %y: f32[m < M, n < N] = (%x[m, n] * rsqrt(((%ss[m] / 256.0:f32) + 0.000001:f32)))
      }
      """)
    #expect(lines == [
      "    schedule split(n, n.o, n.i, 8) loops(m, n.o, n.i: vectorize(8)) compute_at(%y, m) store(local)",
      "    schedule split(n, n.o, n.i, 8) loops(m, n.o, n.i: vectorize(8)) root store(workspace)",
    ])
  }
}

extension DefaultScheduleTests {
  /// Rule 2: softmax's row max is read by the sum of exp(x - max) and by the output; the sum is computed in the
  /// output's row loop first, so the max is computed once there for both (before: a second copy `mx._r0` inside the
  /// sum, two passes over the row for one statistic).
  @Test func aStatisticReadBySiblingsIsComputedOnce() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @log_softmax(%x: f32[B, D]) -> (%y: f32[B, D]) {
        dims B = 16, D = 256
        %mx: f32[b < B] = max<f32> [d in 0 .. $D] %x[b, d]
        %s: f32[b < B] = sum<f32> [d in 0 .. $D] exp((%x[b, d] - %mx[b]))
        %y: f32[b < B, d < D] = ((%x[b, d] - %mx[b]) - log(%s[b]))
      }
      """))
    let scheduled = try DefaultSchedule.cpu(for: kernel).apply(to: kernel)
    #expect(scheduled.definitions.map(\.name) == ["mx", "s", "y"])
    #expect(IRPrinter.print(scheduled).split(separator: "\n").filter { $0.contains("schedule ") } == [
      "    schedule split(d, d.o, d.i, 8) loops(b, d.o, d.i: vectorize(8)) compute_at(%y, b) store(local)",
      "    schedule split(d, d.o, d.i, 8) loops(b, d.o, d.i: vectorize(8)) compute_at(%y, b) store(local)",
      "    schedule split(d, d.o, d.i, 8) loops(b, d.o, d.i: vectorize(8)) root store(workspace)",
    ])
  }

  /// Rule 3b: a window reduction (a depthwise convolution: `x[n, c, i + p, j + q]` walks j with the taps q) keeps
  /// two vectors of accumulators along j in registers (`y.acc`, local, cached at the tile loop) while all taps run
  /// over them (images on one thread at this size: 0.3 MFLOP, less than the pool's fork and join); before, j was vectorized innermost with the taps outside, one pass over the output row in memory per
  /// tap.
  @Test func aWindowReductionGetsAnAccumulatorTile() throws {
    let lines = try Self.schedule("""
      kernel @dw(%x: f32[N, C, H, W], %w: f32[C, K, K]) -> (%y: f32[N, C, ((H - K) + 1), ((W - K) + 1)]) {
        dims N = 2, C = 8, H = 34, W = 66, K = 3
        %y: f32[n < N, c < C, i < ((H - K) + 1), j < ((W - K) + 1)] = sum<f32> [p in 0 .. $K, q in 0 .. $K] (%x[n, c, (i + p), (j + q)] * %w[c, p, q])
      }
      """)
    #expect(lines == [
      "    schedule split(j, j.o, j.i, 16) loops(n, c, i, p, q, j.o, j.i: vectorize(16)) compute_at(%y, j.o) store(local)",
      "    schedule split(j, j.o, j.i, 16) loops(n, c, i, j.o, j.i: vectorize(16)) root store(workspace)",
    ])
  }

  /// Rule 3b does not take a reduction whose loads walk the contiguous axis without the reduction (a sum over the
  /// middle axis, `x[b, r, d]`): it keeps accumulating in place along the row.
  @Test func aReductionOverAnOuterAxisKeepsItsRow() throws {
    let lines = try Self.schedule("""
      kernel @colsum(%x: f32[B, R, D]) -> (%y: f32[B, D]) {
        dims B = 4, R = 32, D = 64
        %y: f32[b < B, d < D] = sum<f32> [r in 0 .. $R] %x[b, r, d]
      }
      """)
    #expect(lines == ["    schedule split(d, d.o, d.i, 8) loops(b, r, d.o, d.i: vectorize(8)) root store(workspace)"])
  }

  /// Rule 4: a reduction computed inside a consumer whose loads walk one of its axes contiguously (a mean over the
  /// middle axis, `x[b, r, d]`, computed in y's batch loop) accumulates in place along that axis, vectorized, as at
  /// the root; before, it ran r innermost, a scalar column walk a row apart per step.
  @Test func aReductionInsideAConsumerAccumulatesAlongItsRow() throws {
    let lines = try Self.schedule("""
      kernel @mean1(%x: f32[B, R, D]) -> (%y: f32[B, D]) {
        dims B = 4, R = 32, D = 64
        %s: f32[b < B, d < D] = sum<f32> [r in 0 .. $R] %x[b, r, d]
        %y: f32[b < B, d < D] = (%s[b, d] / 32.0:f32)
      }
      """)
    #expect(lines == [
      "    schedule split(d, d.o, d.i, 8) loops(b, r, d.o, d.i: vectorize(8)) compute_at(%y, b) store(local)",
      "    schedule split(d, d.o, d.i, 8) loops(b, d.o, d.i: vectorize(8)) root store(workspace)",
    ])
  }

  /// A reduction whose bounds read data (a bag of lookups, `j in offsets[b] .. offsets[b + 1]`) counts as length 1
  /// in the work that decides the thread pool, as the cost model counts it: 64 bags of 16 lanes stay on one thread
  /// (guessed 64 long, they went to the pool, whose fork and join cost about 400 us against 1 us of work, 470x the
  /// unscheduled kernel), and 8192 bags of 128 lanes still go to the pool.
  @Test(arguments: [(64, 16, false), (8192, 128, true)])
  func aBagOfDataBoundedLengthCountsAsOneLookup(bags: Int, width: Int, parallel: Bool) throws {
    let lines = try Self.schedule("""
      kernel @bag(%table: f32[V, D], %indices: i32[NNZ] in 0 .. V, %offsets: i32[(B + 1)] sorted in 0 .. (NNZ + 1)) -> (%out: f32[B, D]) {
        dims V = 1000000, D = \(width), NNZ = \(bags), B = \(bags)
        %out: f32[b < B, d < D] = sum<f32> [j in cast<i64>(%offsets[b]) .. cast<i64>(%offsets[(b + 1)])] %table[cast<i64>(%indices[j]), d]
      }
      """)
    #expect(lines == [
      "    schedule split(d, d.o, d.i, 8) loops(b\(parallel ? ": parallel" : ""), j, d.o, d.i: vectorize(8)) root store(workspace)"
    ])
  }

  /// Rule 1: a statistic's finalizer (one load, at most two float operations: `mean = s / K`) is inlined into all
  /// its readers, pointwise or not (y reads `mean[n, c / CG]`); rule 2 then computes the sum once per image,
  /// shared by the variance's sum and y. Kept, the variance's copy of the mean recomputed the sum (`_r0.mean`,
  /// `mean._r1`: two passes for one statistic). Both sums run their rows of 32 fused with h (rule 1b).
  @Test func aStatisticsFinalizerIsInlinedAndItsSumComputedOnce() throws {
    let lines = try Self.schedule("""
      kernel @gn(%x: f32[N, (G * CG), H, W]) -> (%y: f32[N, (G * CG), H, W]) {
        dims N = 4, G = 2, CG = 4, H = 8, W = 32
        %_r0: f32[n < N, g < G] = sum<f32> [j in 0 .. $CG, h in 0 .. $H, q in 0 .. $W] %x[n, ((g * $CG) + j), h, q]
        %mean: f32[n < N, g < G] = (%_r0[n, g] / cast<f32>((($CG * $H) * $W)))
        %_r1: f32[n < N, g < G] = sum<f32> [j in 0 .. $CG, h in 0 .. $H, q in 0 .. $W] ((%x[n, ((g * $CG) + j), h, q] - %mean[n, g]) * (%x[n, ((g * $CG) + j), h, q] - %mean[n, g]))
        %var: f32[n < N, g < G] = (%_r1[n, g] / cast<f32>((($CG * $H) * $W)))
        %y: f32[n < N, c < (G * CG), h < H, q < W] = ((%x[n, c, h, q] - %mean[n, (c / $CG)]) * rsqrt((%var[n, (c / $CG)] + 1e-05:f32)))
      }
      """)
    #expect(lines == [
      "    schedule split(h.q, h.q.o, h.q.i, 8) loops(n, g, j, h.q.o, h.q.i: vectorize(8)) compute_at(%y, n) store(local)",
      "    schedule split(h.q, h.q.o, h.q.i, 8) loops(n, g, j, h.q.o, h.q.i: vectorize(8)) compute_at(%y, n) store(local)",
      "    schedule split(q, q.o, q.i, 8) loops(n, c, h, q.o, q.i: vectorize(8)) root store(workspace)",
    ])
  }

  /// Rule 3: in a reduction, a load that reads no reduction variable (the mean `s[c]` inside a variance's sum) does
  /// not vote for the innermost loop: it is the same on every step. A per-channel variance at the root then walks
  /// its input along q, vectorized; before, `s[c]` and the store outvoted the input and the sum ran along c, a plane
  /// apart per step (its rows of 32 fused with h by rule 1b, one contiguous run of 8 x 32 per image).
  @Test func aLoadInvariantOverTheReductionDoesNotVote() throws {
    let lines = try Self.schedule("""
      kernel @var(%x: f32[N, C, H, W], %s: f32[C]) -> (%v: f32[C]) {
        dims N = 4, C = 8, H = 8, W = 32
        %v: f32[c < C] = sum<f32> [n in 0 .. $N, h in 0 .. $H, q in 0 .. $W] ((%x[n, c, h, q] - %s[c]) * (%x[n, c, h, q] - %s[c]))
      }
      """)
    #expect(lines == ["    schedule split(h.q, h.q.o, h.q.i, 8) loops(c, n, h.q.o, h.q.i: vectorize(8)) root store(workspace)"])
  }
}

extension DefaultScheduleTests {
  /// A mean over `(i, j)` of `x[n, c, i, j]`, rows of `row` (`read` is x's index list, to read it transposed).
  static func blockSum(row: Int, read: String = "i, j", shape: String = "N, C, H, W") -> String {
    """
    kernel @mean2(%x: f32[\(shape)]) -> (%y: f32[N, C]) {
      dims N = 2, C = 16, H = 14, W = \(row)
      %y: f32[n < N, c < C] = sum<f32> [i in 0 .. $H, j in 0 .. $W] %x[n, c, \(read)]
    }
    """
  }

  /// Rule 1b: a sum over (i, j) that every load walks as one row-major block, rows of 30 (3 vectors of 8 and a scalar
  /// remainder of 6 each), has its axes fused first (`fuse_axes(y, [i, j])`) and the fused axis (420 contiguous
  /// elements) vectorized: one remainder per channel instead of one per row.
  @Test func aShortRowOfABlockSumIsFusedWithItsOuterAxes() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.blockSum(row: 30)))
    let trace = DefaultSchedule.cpu(for: kernel)
    #expect(trace.steps.map(TraceText.print) == ["fuse_axes(y, [i, j])", "vectorize(y, i.j, 8)"])
    let lines = IRPrinter.print(try trace.apply(to: kernel)).split(separator: "\n").map(String.init)
    #expect(lines.contains("  %y: f32[n < N, c < C] = sum<f32> [i.j in 0 .. ($H * $W)] %x[n, c, (i.j / $W), (i.j % $W)]"))
    #expect(lines.contains("    schedule split(i.j, i.j.o, i.j.i, 8) loops(n, c, i.j.o, i.j.i: vectorize(8)) root store(workspace)"))
  }

  /// Rule 1b on a row that is a multiple of the vector width (32: four vectors, no remainder): vectorized by itself,
  /// LLVM summed each row into one vector and reduced it across lanes into the scalar accumulator, a chain of
  /// dependent adds per row (group_norm's statistics over rows of 32: 0.30x torch); fused, one run of 14 x 32
  /// with interleaved vector accumulators and one reduction across lanes per channel.
  @Test func aRowOfWholeVectorsIsFusedToo() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.blockSum(row: 32)))
    #expect(DefaultSchedule.cpu(for: kernel).steps.map(TraceText.print) == ["fuse_axes(y, [i, j])", "vectorize(y, i.j, 8)"])
  }

  /// Rule 1b does not fire on a long row (200: 16 vectors or more) or a block read transposed (`x[n, c, j, i]`: j is
  /// not the contiguous index).
  @Test(arguments: [(200, "i, j", "N, C, H, W"), (30, "j, i", "N, C, W, H")])
  func rule1bLeavesOtherReductions(row: Int, read: String, shape: String) throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.blockSum(row: row, read: read, shape: shape)))
    let steps = DefaultSchedule.cpu(for: kernel).steps.map(TraceText.print)
    #expect(!steps.contains { $0.hasPrefix("fuse_axes") }, "\(steps)")
  }

  /// Rule 1b fuses only a contiguous block: a load that also reads the outer axis elsewhere (`w[i]` beside
  /// `x[n, c, i, j]`) leaves nothing to fuse; of a sum over (c, i, j) it fuses the last two axes (i, j) only (LLVM
  /// folds a two-axis fused address back to a linear one, not a deeper block's).
  @Test func rule1bNeedsEveryLoadToWalkTheBlock() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @wsum(%x: f32[N, C, H, W], %w: f32[H]) -> (%y: f32[N, C]) {
        dims N = 2, C = 16, H = 14, W = 30
        %y: f32[n < N, c < C] = sum<f32> [i in 0 .. $H, j in 0 .. $W] (%x[n, c, i, j] * %w[i])
      }
      """))
    #expect(!DefaultSchedule.cpu(for: kernel).steps.map(TraceText.print).contains { $0.hasPrefix("fuse_axes") })
    let groups = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @gsum(%x: f32[N, C, H, W]) -> (%y: f32[N, G]) {
        dims N = 2, C = 16, G = 4, H = 6, W = 10
        %y: f32[n < N, g < G] = sum<f32> [c in 0 .. 4, i in 0 .. $H, j in 0 .. $W] %x[n, ((4:i64 * g) + c), i, j]
      }
      """))
    #expect(DefaultSchedule.cpu(for: groups).steps.map(TraceText.print).first == "fuse_axes(y, [i, j])")
    let cube = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @csum(%x: f32[N, D, H, W]) -> (%y: f32[N]) {
        dims N = 16, D = 14, H = 14, W = 14
        %y: f32[n < N] = sum<f32> [d in 0 .. $D, i in 0 .. $H, j in 0 .. $W] %x[n, d, i, j]
      }
      """))
    #expect(DefaultSchedule.cpu(for: cube).steps.map(TraceText.print) == ["fuse_axes(y, [i, j])", "vectorize(y, i.j, 8)"])
  }

  static func elementwiseRows(row: Int, body: String = "erf(%x[n, c, i, j])", params: String = "") -> String {
    """
    kernel @rows(%x: f32[N, C, H, W]\(params)) -> (%y: f32[N, C, H, W]) {
      dims N = 2, C = 4, H = 14, W = \(row)
      %y: f32[n < N, c < C, i < H, j < W] = \(body)
    }
    """
  }

  /// Rule 1c: an elementwise definition over rows of 30 (3 vectors of 8 and a scalar remainder of 6 each) iterates
  /// its last two axes as one loop (`fuse_axes(y, [i, j])`, the loop form), vectorized: one run of 420 per channel.
  @Test func aShortRowOfAnElementwiseDefinitionIsFusedWithTheAxisOutsideIt() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.elementwiseRows(row: 30)))
    let trace = DefaultSchedule.cpu(for: kernel)
    #expect(trace.steps.map(TraceText.print) == ["fuse_axes(y, [i, j])", "vectorize(y, i.j, 8)"])
    let lines = IRPrinter.print(try trace.apply(to: kernel)).split(separator: "\n").map(String.init)
    #expect(lines.contains(
      "    schedule fuse(i.j, i, j) split(i.j, i.j.o, i.j.i, 8) loops(n, c, i.j.o, i.j.i: vectorize(8)) root store(workspace)"))
  }

  /// Rule 1c does not fire on a row that is a multiple of the vector width (32), a long row (200), a transposed read
  /// (`x[n, c, j, i]`), a broadcast along the row (`b[j]`: a gather through `i.j % W`), a value use of the row's
  /// index, or a body of a few arithmetic operations (no math function: its scalar remainder is cheap).
  @Test(arguments: [
    (32, "erf(%x[n, c, i, j])", ""), (200, "erf(%x[n, c, i, j])", ""), (30, "erf(%x[n, c, j, i])", ""),
    (30, "erf((%x[n, c, i, j] + %b[j]))", ", %b: f32[W]"), (30, "erf((%x[n, c, i, j] * cast<f32>(j)))", ""),
    (30, "(max((%x[n, c, i, j] + 1.0:f32), 0.0:f32) * 0.5:f32)", ""),
  ])
  func rule1cLeavesOtherDefinitions(row: Int, body: String, params: String) throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.elementwiseRows(row: row, body: body, params: params)))
    let steps = DefaultSchedule.cpu(for: kernel).steps.map(TraceText.print)
    #expect(!steps.contains { $0.hasPrefix("fuse_axes") }, "\(steps)")
  }

  /// A load that reads neither axis of the block (a per-channel scale `s[n, c]`) does not stop rule 1c; `pow`
  /// counts as a math function.
  @Test func rule1cAllowsLoadsOutsideTheBlock() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: Self.elementwiseRows(
      row: 30, body: "pow(%x[n, c, i, j], %s[n, c])", params: ", %s: f32[N, C]")))
    #expect(DefaultSchedule.cpu(for: kernel).steps.map(TraceText.print).first == "fuse_axes(y, [i, j])")
  }
}

