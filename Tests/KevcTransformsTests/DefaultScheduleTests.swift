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

  /// A contraction accumulates in place with the output's contiguous axis innermost and vectorized (i-k-j).
  @Test func contractionVectorizesTheContiguousAxis() throws {
    let lines = try Self.schedule("""
      kernel @matmul(%a: f32[M, K], %b: f32[K, N]) -> (%c: f32[M, N]) {
        dims M = 64, K = 64, N = 64
        %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[m, k] * %b[k, n])
      }
      """)
    #expect(lines == ["    schedule split(n, n.o, n.i, 8) loops(m: parallel, k, n.o, n.i: vectorize(8)) root store(workspace)"])
  }

  /// A convolution's window `x[n, c, l + k - 1]` is contiguous in l (and k): l, an axis, is vectorized innermost and
  /// the (c, k) reduction accumulates in place around it; before, k won the vote and nothing was vectorized.
  @Test func convolutionVectorizesTheWindowAxis() throws {
    let lines = try Self.schedule("""
      kernel @conv1d(%x: f32[N, C, L], %w: f32[F, C, K]) -> (%y: f32[N, F, L]) {
        dims N = 8, C = 128, L = 4096, F = 128, K = 3
        %y: f32[n < N, f < F, l < L] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (%x[n, c, ((l + k) - 1)] * %w[f, c, k])
      }
      """)
    #expect(lines == ["    schedule split(l, l.o, l.i, 8) loops(n: parallel, f, c, k, l.o, l.i: vectorize(8)) root store(workspace)"])
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
