/// The CPU default's rules that change how a kernel is computed (a statistic shared between siblings, a window
/// reduction's accumulator tile, fused rows) match the float64 interpreter on the kernel as written, at shapes whose tiles have
/// tails, and the loop IR shows the rule was taken. Compiled for this machine's CPU with AVX-512 off
/// (`cpuFeatures: "-avx512f"`), so that the default schedule's tiles are AVX2's on every host (the AVX-512 tile:
/// `RegressionTests.avx512TileMatchesTheInterpreter`, `DefaultScheduleTests.avx512MachinesGetAnEightByThirtyTwoTile`).
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import Testing

@Suite struct DefaultScheduleNumericTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var spec: String
    var shape: [String: Int]
    /// Substrings the loop IR must contain (the rule was taken); `absent`: substrings it must not contain.
    var loopsContain: [String]
    var absent: [String] = []
    var testDescription: String { "\(spec) \(shape.sorted { $0.key < $1.key })" }
  }

  static let cases: [Case] = [
    // Rule 3b: an accumulator tile of 16 along the output width (a 37-wide output: two full tiles and a tail).
    Case(spec: "specs/kernelbench/conv_depthwise2d.kev", shape: ["N": 2, "C": 3, "H": 7, "W": 39, "K": 3],
      loopsContain: ["local %y.acc: f32[1, 1, 1, 16]"]),
    // The same on a max with padded (-inf) window reads at both ends.
    Case(spec: "specs/kernelbench/max_pool2d.kev", shape: ["N": 1, "C": 2, "H": 9, "W": 41],
      loopsContain: ["local %y.acc: f32[1, 1, 1, 16]"]),
    // A dilated padded window (`x[n, c, l + 3 k - 4] else -inf`): the tile is versioned on its interior (tiles 1 to 3
    // of 5 read without bounds checks; FullTiles), the edge tiles keep their -inf padding.
    Case(spec: "specs/kernelbench/max_pool1d.kev", shape: ["N": 2, "C": 3, "L": 93],
      loopsContain: ["local %y.acc: f32[1, 1, 16]"]),
    // Rule 4: the mean over the middle axis accumulates in place along d inside y's batch loop (a tail of 5).
    Case(spec: "specs/kernelbench/reduce_mean_dim1.kev", shape: ["B": 3, "R": 7, "D": 21],
      loopsContain: ["for r in 0 .. 7 {\n          for _r0.d.o"]),
    // Rule 2: the row max computed once per row, shared by the sum and the output (no copy `mx._r0`).
    Case(spec: "specs/kernelbench/log_softmax.kev", shape: ["B": 5, "D": 45], loopsContain: ["local %mx"],
      absent: ["mx._r0"]),
    Case(spec: "specs/kernelbench/matmul_gelu_softmax.kev", shape: [:], loopsContain: ["local %g"],
      absent: ["g.mx", "g._r1"]),
    // Rule 1: group_norm's mean and variance finalizers are inlined; the mean's sum is computed once per image
    // (no copy for the variance's sum).
    Case(spec: "specs/kernelbench/group_norm.kev", shape: [:], loopsContain: ["local %_r0: f32[1, 3]"],
      absent: ["_r0.mean", "mean._r1"]),
    // Rule 3's vote: batch_norm2d's variance at the root walks the input along q, vectorized (rows of 136, 17
    // vectors, which rule 1b leaves; at shorter rows it fuses (h, q)).
    Case(spec: "specs/kernelbench/batch_norm2d.kev", shape: ["N": 3, "C": 5, "H": 7, "W": 136], loopsContain: ["for q in 0 .. 136 vectorize(8) {\n            %_r1"]),
    // The convolution before a group norm is computed once (its copies `_r0.h...` recomputed it per statistic).
    Case(spec: "specs/kernelbench/conv3d_group_norm_mean.kev", shape: [:], loopsContain: ["local %_r1"], absent: ["_r0.h"]),
    // A bag reduction (data-dependent bounds) of a few points stays on one thread.
    Case(spec: "specs/embedding_bag.kev", shape: [:], loopsContain: ["vectorize(8)"], absent: ["parallel"]),
    // Rule 1b: the mean of the GELU over rows of 11 is one fused run of 7 x 11 = 77 per channel (9 vectors and a
    // tail of 5), reading h at the fused axis's div and mod.
    Case(spec: "specs/kernelbench/conv2d_gelu_global_avg_pool.kev", shape: ["N": 2, "C": 3, "H": 9, "W": 13, "F": 5, "K": 3],
      loopsContain: ["for i.j in 0 .. 77 vectorize(8)"]),
    // Not on instance norm's mean and variance: they read the convolution h computed inside y's image loop, stored
    // over the region y's vectorized rows read (rows of 11 rounded up to 16), so a fused (i, j) would not be one
    // contiguous run; h stays shared by the siblings (no copies).
    Case(spec: "specs/kernelbench/conv2d_instance_norm_divide.kev", shape: ["N": 2, "C": 3, "H": 9, "W": 13, "F": 5, "K": 3],
      loopsContain: ["local %h: f32[1, 5, 7, 16]"], absent: ["for i.j", "h._r1", "h._r2"]),
    // A group norm's statistics over (e, d, i, j) and the mean over (f, d, i, j) fuse their last two axes (i, j):
    // rows of 3 (less than a vector) become runs of 15; d stays a loop (a deeper block's address is not folded).
    Case(spec: "specs/kernelbench/conv3d_group_norm_mean.kev", shape: [:],
      loopsContain: ["for _r1.i.j in 0 .. 15 vectorize(8)", "for i.j in 0 .. 15 vectorize(8)"], absent: ["d.i.j"]),
    // Rule 1 into a reduction: layernorm's centred row `xc` is inlined into the variance's sum over the row and into
    // y (never stored); the mean's sum is computed once per row, shared by both (rows of 45: vectors and a tail).
    Case(spec: "specs/layernorm.kev", shape: ["M": 5, "N": 45], loopsContain: ["local %_r0: f32[1]", "local %_r1: f32[1]"],
      absent: ["%xc", "_r0._r1"]),
    // The same into a full reduction: huber_loss's difference `e` read at both axes of the sum.
    Case(spec: "specs/kernelbench/huber_loss.kev", shape: ["B": 3, "D": 37], loopsContain: ["vectorize(8)"], absent: ["%e"]),
    // Rule 3a on a column operand read a row apart (`B[n, k]`): B is copied once into a buffer stored [k, n], which
    // the 4 x 16 tile reads along n (tails in m, n and a short k).
    Case(spec: "specs/kernelbench/matmul_transposed_b.kev", shape: ["M": 37, "K": 29, "N": 43],
      loopsContain: ["workspace %B.C: f32[29, 43]", "for d1 in 0 .. 29 {\n    for d0 in 0 .. 43 {\n      %B.C[d1, d0] = %B[d0, d1]",
        "local %C.acc: f32[4, 16]"]),
    // The same on a Linear layer's weight `weight[o, i]` before an epilogue.
    Case(spec: "specs/kernelbench/gemm_multiply_leaky_relu.kev", shape: ["B": 19, "I": 33, "O": 21],
      loopsContain: ["workspace %weight._r0: f32[33, 21]", "local %_r0.acc: f32[4, 16]"]),
    // Rule 1b on rows of whole vectors (16): group_norm's statistics over (h, q) are one run of 7 x 16 per channel.
    Case(spec: "specs/kernelbench/group_norm.kev", shape: ["N": 2, "G": 3, "CG": 5, "H": 7, "W": 16],
      loopsContain: ["for h.q in 0 .. 112 vectorize(8)"]),
    // Rule 1 with a contraction read at a reduction variable: the bias add `h = conv + cb[f]` is inlined into the
    // pool's sum (the convolution stays at the root, register-tiled), not copied per image.
    Case(spec: "specs/kernelbench/conv2d_gelu_global_avg_pool.kev", shape: ["N": 2, "C": 3, "H": 9, "W": 12, "F": 5, "K": 3],
      loopsContain: ["for i.j in 0 .. 70 vectorize(8)"], absent: ["%h"]),
    // A short vectorized row inside a multi-axis sum (layer_norm3d's statistics, rows of 9 with a tail).
    Case(spec: "specs/kernelbench/layer_norm3d.kev", shape: ["B": 2, "F": 3, "D1": 5, "D2": 20], loopsContain: ["local %_r0"]),
  ]

  @Test(arguments: cases)
  func defaultScheduleMatchesTheInterpreter(_ c: Case) throws {
    let url = Paths.inRepository(c.spec)
    var request = CompileRequest(
      source: SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)), kind: .spec,
      shapeOverrides: c.shape, stages: [.lowered, .llvm], optimizationLevel: 1, schedule: nil)
    request.cpuFeatures = "-avx512f"
    let result = try Compiler.compile(request)
    let loopText = String(decoding: result.artifacts[.lowered] ?? Data(), as: UTF8.self)
    for s in c.loopsContain { #expect(loopText.contains(s), "loop IR lacks '\(s)':\n\(loopText)") }
    for s in c.absent { #expect(!loopText.contains(s), "loop IR has '\(s)':\n\(loopText)") }
    let original = try result.kernel.binding(c.shape, location: .unknown)
    let jit = try #require(result.module).jit()
    let report = try KernelCheck.run(
      original, jit: jit, options: KernelCheck.Options(trials: 2, seed: 11, timingIterations: 0))
    #expect(report.passed, "\(c.spec):\n\(RunReportText.render(report, kernel: original))")
  }

  /// A register tile computed at the column tile loop inside a parallel loop (`for y.acc.n in n .. (n + 1)`): its
  /// index arithmetic is `nsw` (the interval analysis bounds it), so LLVM knows the loop runs once and keeps no
  /// path along which the previous tile's accumulators survive (they were carried across every loop and spilled:
  /// bench/cpu/conv-transposed/README.md). A transposed convolution whose 66 columns end in a shifted last tile, at
  /// O3, against the interpreter.
  @Test func aRegisterTileInsideAParallelLoopHasNoZeroTripPath() throws {
    let shape = ["N": 16, "C": 16, "L": 64, "F": 32, "K": 3]  // enough work for the thread pool
    let url = Paths.inRepository("specs/kernelbench/conv_transposed1d.kev")
    var request = CompileRequest(
      source: SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)), kind: .spec,
      shapeOverrides: shape, stages: [.lowered, .llvm], optimizationLevel: 3, schedule: nil)
    request.cpuFeatures = "-avx512f"
    let result = try Compiler.compile(request)
    let loopText = String(decoding: result.artifacts[.lowered] ?? Data(), as: UTF8.self)
    #expect(loopText.contains("parallel") && loopText.contains("for y.acc.n in n .. (n + 1:i64)"), "\(loopText)")
    let llvm = String(decoding: result.artifacts[.llvm] ?? Data(), as: UTF8.self)
    #expect(!llvm.contains("9223372036854775807"), "a compare against Int64.max is left")
    guard let module = result.module else {
      Issue.record("no module")
      return
    }
    let original = try result.kernel.binding(shape, location: .unknown)
    let report = try KernelCheck.run(
      original, jit: try module.jit(), options: KernelCheck.Options(trials: 2, seed: 53, timingIterations: 0))
    #expect(report.passed, "\(RunReportText.render(report, kernel: original))")
  }

  /// The LLVM target keeps one vector of an elementwise row stored along its variable a loop (unroll disabled):
  /// group_norm's output over rows of 32, split by 8, was fully unrolled and LLVM vectorized the row loop h instead,
  /// gathering x (65 `llvm.masked.gather`s) and storing lane by lane (512 `extractelement`s); none after. At O3,
  /// against the interpreter.
  @Test func oneVectorOfAnElementwiseRowStaysVectorizedAlongTheRow() throws {
    let shape = ["N": 2, "G": 2, "CG": 4, "H": 8, "W": 32]
    let url = Paths.inRepository("specs/kernelbench/group_norm.kev")
    let request = CompileRequest(
      source: SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)), kind: .spec,
      shapeOverrides: shape, stages: [.llvm], optimizationLevel: 3, schedule: nil)
    let result = try Compiler.compile(request)
    let llvm = String(decoding: result.artifacts[.llvm] ?? Data(), as: UTF8.self)
    #expect(!llvm.contains("llvm.masked.gather") && !llvm.contains("extractelement"), "the row loop was vectorized")
    guard let module = result.module else {
      Issue.record("no module")
      return
    }
    let original = try result.kernel.binding(shape, location: .unknown)
    let report = try KernelCheck.run(
      original, jit: try module.jit(), options: KernelCheck.Options(trials: 2, seed: 17, timingIterations: 0))
    #expect(report.passed, "\(RunReportText.render(report, kernel: original))")
  }

  /// The LLVM target keeps a short vectorized row of a multi-axis sum a loop (unroll disabled, interleaved):
  /// layer_norm3d's statistics over rows of 64 were fully unrolled by LLVM and the enclosing loop vectorized,
  /// gathering each vector with scalar loads and `insertelement`s (2056 of them; 12 after).
  @Test func aShortRowOfAMultiAxisSumStaysVectorizedAlongTheRow() throws {
    let url = Paths.inRepository("specs/kernelbench/layer_norm3d.kev")
    let request = CompileRequest(
      source: SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)), kind: .spec,
      shapeOverrides: ["B": 2, "F": 4, "D1": 16, "D2": 64], stages: [.llvm], optimizationLevel: 3, schedule: nil)
    let llvm = String(decoding: try Compiler.compile(request).artifacts[.llvm] ?? Data(), as: UTF8.self)
    let inserts = llvm.components(separatedBy: "insertelement").count - 1
    #expect(inserts < 100, "\(inserts) insertelements")
  }
}
