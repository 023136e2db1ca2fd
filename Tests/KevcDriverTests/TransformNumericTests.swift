import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms
import Testing

/// Every schedule transform, applied through `Compiler.compile(... schedule:)`, compiled by LLVM (opt level 1) and
/// run on random inputs, matches the float64 interpreter on the *unscheduled* kernel (so rewrites such as inline,
/// rfactor, cache and stage are checked against the original semantics, not against themselves). Shapes are small
/// and chosen so that split factors leave tails. Each case also checks that the loop IR shows what the trace asked
/// for (a loop kind, a local buffer, an in-place accumulation), so a transform that silently did nothing fails.
@Suite struct TransformNumericTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    /// A path under the repository (`specs/matmul.kev`) or inline IR text (starting with `kernel`).
    var source: String
    var shape: [String: Int]
    var trace: String
    /// Substrings the loop IR text must contain.
    var loopsContain: [String] = []
    /// Substrings the scheduled kernel IR text must contain.
    var irContains: [String] = []
    var testDescription: String { name }
  }

  // MARK: - Kernels written as IR (producers that the specs do not have)

  /// conv1d with an elementwise producer read at `l + k - 1` (regions of successive tiles overlap; reads outside
  /// `xf`'s domain are padding).
  static let conv1dProducer = """
    kernel @conv1d_producer(%x: bf16[N, C, L], %w: bf16[F, C, K]) -> (%y: bf16[N, F, L]) {
      dims N = 2, C = 3, L = 29, F = 5, K = 3
      %xf: f32[n < N, c < C, l < L] = (cast<f32>(%x[n, c, l]) * 2.0:f32)
      %acc: f32[n < N, f < F, l < L] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (%xf[n, c, ((l + k) - 1)] * cast<f32>(%w[f, c, k]))
      %y: bf16[n < N, f < F, l < L] = cast<bf16>(%acc[n, f, l])
    }
    """

  /// Rows of 7 (not a multiple of the vector width) of two elementwise definitions, the second reading the first.
  static let fusedRows = """
    kernel @fused_rows(%x: f32[N, H, W], %b: f32[N]) -> (%y: f32[N, H, W]) {
      dims N = 3, H = 5, W = 7
      %h: f32[n < N, i < H, j < W] = (erf(%x[n, i, j]) * %b[n])
      %y: f32[n < N, i < H, j < W] = ((%h[n, i, j] * 0.5:f32) + cast<f32>(j))
    }
    """

  /// Prefix sums along the first axis, and from below zero (the pad value 1 counts).
  static let prefixAlongRows = """
    kernel @colsum(%x: f32[N, C]) -> (%y: f32[N, C]) {
      dims N = 37, C = 5
      %y: f32[i < N, c < C] = sum<f32> [j in 0 .. (i + 1)] %x[j, c]
    }
    """
  static let runningLSE = """
    kernel @running_lse(%x: f32[R, N]) -> (%y: f32[R, N]) {
      dims R = 3, N = 41
      %y: f32[r < R, i < N] = reduce<m: f32 = -inf:f32, s: f32 = 0.0:f32> [j in 0 .. (i + 1)] (%x[r, j], 1.0:f32) combine (max(%a.m, %b.m), ((%a.s * select((%a.m == max(%a.m, %b.m)), 1.0:f32, exp((%a.m - max(%a.m, %b.m))))) + (%b.s * select((%b.m == max(%a.m, %b.m)), 1.0:f32, exp((%b.m - max(%a.m, %b.m))))))) yield (%m + log(%s))
    }
    """
  static let prefixFromBelow = """
    kernel @from_below(%x: f32[N]) -> (%y: f32[N]) {
      dims N = 23
      %y: f32[i < N] = sum<f32> [j in -2 .. (i + 1)] %x[j] else 1.0:f32
    }
    """

  /// A 1-d stencil over an elementwise producer: inlining must keep the zero padding at both ends.
  static let shift = """
    kernel @shift(%x: f32[N]) -> (%y: f32[N]) {
      dims N = 23
      %t: f32[n < N] = exp(%x[n])
      %y: f32[n < N] = (%t[(n - 1)] + %t[(n + 1)])
    }
    """

  /// A transposed convolution of stride 3 (input position l feeds outputs 3 l - 1 + k): each phase keeps one
  /// residue of the taps modulo 3; 7 taps, an output extent of 3 L + 4 (not a multiple of 3).
  static let stride3Transposed = """
    kernel @ct3(%x: f32[C, L], %w: f32[C, K]) -> (%y: f32[(((3 * L) + K) - 3)]) {
      dims C = 3, L = 8, K = 7
      %y: f32[t < (((3 * L) + K) - 3)] = sum<f32> [c in 0 .. $C, k in 0 .. $K] (select(((((t + 1:i64) - k) % 3:i64) == 0:i64), %x[c, (((t + 1:i64) - k) / 3:i64)], 0.0:f32) * %w[c, k])
    }
    """

  /// A 2-d window of stride 2 read from one row before and one column before the output's own (padded reads).
  static let stridedWindow = """
    kernel @window(%x: f32[N, H, W], %w: f32[P, Q]) -> (%y: f32[N, Ho, Wo]) {
      dims N = 2, H = 13, W = 15, P = 3, Q = 4, Ho = 7, Wo = 7
      %y: f32[n < N, i < Ho, j < Wo] = sum<f32> [p in 0 .. $P, q in 0 .. $Q] (%x[n, (((2:i64 * i) + p) - 1:i64), (((2:i64 * j) + q) - 1:i64)] * %w[p, q])
    }
    """

  /// A producer with two readers (compute_at gives one of them its own recomputed copy).
  static let twoReaders = """
    kernel @two_readers(%x: f32[M, N]) -> (%y: f32[M, N], %z: f32[M]) {
      dims M = 7, N = 29
      %ss: f32[m < M] = sum<f32> [n in 0 .. $N] %x[m, n]
      %y: f32[m < M, n < N] = (%x[m, n] - %ss[m])
      %z: f32[m < M] = (%ss[m] * 0.5:f32)
    }
    """

  /// An elementwise intermediate whose storage can be transposed, padded and moved.
  static let chain = """
    kernel @chain(%x: f32[M, N]) -> (%y: f32[M, N]) {
      dims M = 9, N = 21
      %t: f32[m < M, n < N] = exp(%x[m, n])
      %y: f32[m < M, n < N] = ((%t[m, n] * 2.0:f32) + %t[m, (n + 1)])
    }
    """

  /// Row maximum: rfactor of a max with in-place vectorized partials.
  static let rowMax = """
    kernel @rowmax(%x: f32[M, K]) -> (%s: f32[M]) {
      dims M = 5, K = 37
      %s: f32[m < M] = max<f32> [k in 0 .. $K] %x[m, k]
    }
    """

  static let small = ["M": 13, "N": 11, "K": 19]

  static let cases: [Case] = [
    // fuse_reductions (online softmax; the rewrite is checked against the interpreter on the unrewritten kernel)
    Case(
      name: "fuse_reductions: causal attention as one tuple reduction", source: "specs/attention.kev",
      shape: ["B": 1, "H": 2, "S": 19, "D": 8], trace: "fuse_reductions(o)", loopsContain: ["%o.s.2"],
      irContains: ["reduce<m: f32 = -inf:f32, w0: f32 = 0.0:f32, w1: f32 = 0.0:f32>", "yield cast<bf16>((%w0 / %w1))"]),
    Case(
      name: "fuse_reductions, the scores computed in the key loop (one loop nest)", source: "specs/attention.kev",
      shape: ["B": 1, "H": 2, "S": 19, "D": 8], trace: "fuse_reductions(o)\ncompute_at(_r0, o, j)",
      loopsContain: ["local %_r0"]),
    Case(
      name: "fuse_reductions, FlashAttention's blocks on the CPU (bench/gpu/attention.fused.trace without its bindings)",
      source: "specs/attention.kev", shape: ["B": 1, "H": 2, "S": 37, "D": 8],
      trace: "fuse_reductions(o)\nsplit(o, i, 16)\nsplit(o, j, 16)\ncompute_at(_r0, o, j.o)", loopsContain: ["local %_r0"]),
    // welford (a one-pass variance; against the interpreter on the unrewritten kernel, heavy-tailed inputs among the
    // distributions)
    Case(
      name: "welford: layernorm's variance as a Welford tuple reduction", source: "specs/layernorm.kev",
      shape: ["M": 5, "N": 37], trace: "welford(_r1)", loopsContain: ["%_r1.s.2"],
      irContains: ["reduce<mu: f32 = 0.0:f32, n: i64 = 0:i64, m2: f32 = 0.0:f32>"]),
    Case(
      name: "welford over three axes (group_norm), odd sizes", source: "specs/kernelbench/group_norm.kev",
      shape: ["N": 2, "G": 3, "CG": 2, "H": 5, "W": 7], trace: "welford(_r1)", irContains: ["yield %m2"]),
    Case(
      name: "welford, then split and computed inside the output's channel loop", source: "specs/kernelbench/instance_norm2d.kev",
      shape: ["N": 2, "C": 3, "H": 5, "W": 7], trace: "welford(_r1)\ninline(var)\nsplit(_r1, q, 4)\ncompute_at(_r1, y, c)",
      loopsContain: ["local %_r1"]),
    Case(
      name: "welford in a backward pass (the variance inside rstd)", source: "specs/layernorm_backward.kev",
      shape: ["M": 5, "N": 37], trace: "welford(_r1)", irContains: ["yield %m2"]),
    // fuse_siblings (sibling sums as one tuple reduction; checked against the interpreter on the unrewritten kernel)
    Case(
      name: "fuse_siblings: a cosine similarity loss's three row sums in one loop",
      source: "specs/kernelbench/cosine_similarity_loss.kev", shape: ["B": 7, "D": 53], trace: "fuse_siblings(_r0)",
      loopsContain: ["%_r0.rows.s.2"], irContains: ["reduce<dot: f32 = 0.0:f32, pp: f32 = 0.0:f32, tt: f32 = 0.0:f32>"]),
    Case(
      name: "fuse_siblings, the rows split and their tuple computed inside the mean's loop",
      source: "specs/kernelbench/cosine_similarity_loss.kev", shape: ["B": 7, "D": 53],
      trace: "fuse_siblings(_r0)\nsplit(_r0.rows, d, 16)\ncompute_at(_r0.rows, _r0, b)", loopsContain: ["local %_r0.rows"]),
    Case(
      name: "fuse_reductions: softmax's normaliser without the maximum", source: "specs/softmax.kev",
      shape: ["M": 5, "N": 37], trace: "fuse_reductions(_r0)", irContains: ["reduce<m: f32 = -inf:f32, w: f32"]),
    Case(
      name: "fuse_reductions: a log-sum-exp reading the maximum itself (kl_div_loss's rows), the maximum folded in",
      source: "specs/kernelbench/kl_div_loss.kev", shape: ["R": 5, "D": 37],
      trace: "fuse_reductions(la)\nfuse_reductions(lb)", irContains: ["yield (%m + log(%w0))"]),
    // to_scan (a scan against the interpreter on the triangular reduction)
    Case(
      name: "to_scan: prefix sum", source: "specs/cumsum.kev", shape: ["M": 5, "N": 61], trace: "to_scan(y)",
      loopsContain: ["for j in max(0:i64, n) .. (n + 1:i64)"], irContains: ["scan(n) sum<f32>"]),
    Case(
      name: "to_scan: prefix along the first axis, the other axis parallel", source: prefixAlongRows, shape: [:],
      trace: "to_scan(y)\nparallel(y, c)", loopsContain: ["for c in 0 .. 5 parallel"]),
    Case(
      name: "to_scan of a running log-sum-exp (a tuple combiner)", source: runningLSE, shape: [:], trace: "to_scan(y)",
      loopsContain: ["for j in max(0:i64, i) .. (i + 1:i64)"], irContains: ["scan(i) reduce<m: f32"]),
    Case(
      name: "to_scan of a prefix that starts below zero", source: prefixFromBelow, shape: [:], trace: "to_scan(y)",
      loopsContain: ["for j in -2 .. 0"]),
    Case(
      // The scan of a cache computed per tile of n starts at the tile: the prefix before it is accumulated, not
      // stored (a scan loop from 0 once stored below the tile's buffer, a stack overwrite).
      name: "to_scan of a cache computed over a tile of the scan axis", source: "specs/cumsum.kev",
      shape: ["M": 3, "N": 29], trace: "split(y, n, 8)\ncache(y, n.o, local)\nto_scan(y.acc)",
      loopsContain: ["for n in 0 .. (8:i64 * n.o) {", "%y.acc[(y.acc.m - m), (n - (8:i64 * n.o))]"],
      irContains: ["scan(n) sum<f32>"]),
    // phase_split (each phase against the interpreter on the guarded, unsplit convolution), at output extents that
    // are not multiples of the stride, with more taps than the stride and fewer
    Case(
      name: "phase_split: transposed conv1d, stride 2, odd length", source: "specs/kernelbench/conv_transposed1d_strided.kev",
      shape: ["N": 2, "C": 3, "L": 12, "F": 4, "K": 3], trace: "phase_split(y, [t])", irContains: ["%y.ph1"]),
    Case(
      name: "phase_split: transposed conv1d, one tap (K < s)", source: "specs/kernelbench/conv_transposed1d_strided.kev",
      shape: ["N": 1, "C": 2, "L": 9, "F": 3, "K": 1], trace: "phase_split(y, [t])", irContains: ["%y.ph1"]),
    Case(
      name: "phase_split: transposed conv2d, both axes, K = 4 and odd sizes",
      source: "specs/kernelbench/conv_transpose2d_subtract_tanh.kev",
      shape: ["N": 1, "C": 3, "H": 5, "W": 6, "F": 2, "K": 4], trace: "phase_split(_r0, [s, t])",
      irContains: ["%_r0.ph0_0", "%_r0.ph1_1"]),
    Case(
      name: "phase_split: transposed conv2d, K = 5 (K > s, odd) then tiled and vectorized",
      source: "specs/kernelbench/conv_transpose2d_subtract_tanh.kev",
      shape: ["N": 2, "C": 2, "H": 4, "W": 7, "F": 3, "K": 5],
      trace: "phase_split(_r0, [s, t])\ninline(_r0)\nsplit(_r0.ph1_0, t, 4)\nreorder(_r0.ph1_0, [c, p, q, t.i])\nvectorize(_r0.ph1_0, t.i, 4)",
      loopsContain: ["vectorize(4)"], irContains: ["%_r0.ph1_0"]),
    Case(
      name: "phase_split: transposed conv2d, K = 1 (K < s: phases without taps)",
      source: "specs/kernelbench/conv_transpose2d_subtract_tanh.kev",
      shape: ["N": 1, "C": 2, "H": 3, "W": 5, "F": 2, "K": 1], trace: "phase_split(_r0, [s, t])", irContains: ["%_r0.ph1_1"]),
    Case(
      name: "phase_split: stride 3, a tap coefficient of 1", source: stride3Transposed, shape: [:],
      trace: "phase_split(y, [t])", irContains: ["%y.ph0", "%y.ph2"]),
    // store_phases (the phases' values stored at stride s into the output, which emits no loops; against the
    // interpreter, which computes the output from its interleaving), ragged last phases, a dead phase, an epilogue
    Case(
      name: "store_phases: transposed conv1d, stride and dilation 2 (a dead phase), odd length",
      source: "specs/kernelbench/conv_transposed1d_strided.kev", shape: ["N": 2, "C": 3, "L": 12, "F": 4, "K": 3],
      trace: "phase_split(y, [t])\nstore_phases(y)", irContains: ["into %y stride [1, 1, 2] offset [0, 0, 1]"]),
    Case(
      name: "store_phases: transposed conv2d under its epilogue, K = 4 and odd sizes",
      source: "specs/kernelbench/conv_transpose2d_subtract_tanh.kev",
      shape: ["N": 1, "C": 3, "H": 5, "W": 6, "F": 2, "K": 4],
      trace: "phase_split(_r0, [s, t])\ninline(_r0)\nphase_split(y, [s, t])\nstore_phases(y)",
      irContains: ["into %y stride [1, 1, 2, 2] offset [0, 0, 1, 1]"]),
    Case(
      name: "store_phases: K = 5, the phases computed in their epilogues, tiled, vectorized and parallel",
      source: "specs/kernelbench/conv_transpose2d_subtract_tanh.kev",
      shape: ["N": 2, "C": 2, "H": 4, "W": 7, "F": 3, "K": 5],
      trace: """
        phase_split(_r0, [s, t])
        inline(_r0)
        phase_split(y, [s, t])
        store_phases(y)
        compute_at(_r0.ph1_0, y.ph1_0, s)
        split(y.ph1_0, t, 4)
        vectorize(y.ph1_0, t.i, 4)
        parallel(y.ph0_1, n)
        """,
      loopsContain: ["vectorize(4)", "parallel"], irContains: ["into %y stride [1, 1, 2, 2] offset [0, 0, 1, 0]"]),
    // deinterleave (against the interpreter on the strided reads), at lengths that are not multiples of the stride
    Case(
      name: "deinterleave: conv1d of stride 3 and dilation 4, odd length", source: "specs/kernelbench/conv1d_dilated_strided.kev",
      shape: ["N": 2, "C": 3, "L": 38, "F": 5, "K": 4], trace: "deinterleave(y, x, l)", irContains: ["%x.ph["]),
    Case(
      name: "deinterleave then the register tile", source: "specs/kernelbench/conv1d_dilated_strided.kev",
      shape: ["N": 2, "C": 3, "L": 100, "F": 9, "K": 3],
      trace: "deinterleave(y, x, l)\ntile(y, [f, l], [4, 8])\nreorder(y, [n, f.o, l.o, c, k, f.i, l.i])\nvectorize(y, l.i, 8)",
      loopsContain: ["vectorize(8)"], irContains: ["%x.ph["]),
    Case(
      name: "deinterleave: a strided window reading before the start (padding)", source: stridedWindow, shape: [:],
      trace: "deinterleave(y, x, j)", irContains: ["%x.ph["]),
    // pad_input (the padded reads against the interpreter's zero padding)
    Case(
      name: "pad_input: transposed conv2d, odd sizes", source: "specs/kernelbench/conv_transposed2d.kev",
      shape: ["N": 2, "C": 3, "H": 7, "W": 9, "F": 5, "K": 3], trace: "pad_input(y, x)", irContains: ["%x.pad[", "inbounds"]),
    Case(
      name: "pad_input then the register tile", source: "specs/kernelbench/conv2d_dilated_padded.kev",
      shape: ["N": 1, "C": 2, "H": 11, "W": 13, "F": 5, "KH": 3, "KW": 4],
      trace: "pad_input(y, x)\ntile(y, [f, j], [4, 8])\nreorder(y, [n, i, f.o, j.o, c, p, q, f.i, j.i])\nvectorize(y, j.i, 8)",
      loopsContain: ["vectorize(8)"], irContains: ["%x.pad["]),
    Case(
      name: "deinterleave then pad_input of the copy (a strided window reading before the start)", source: stridedWindow,
      shape: [:], trace: "deinterleave(y, x, j)\npad_input(y, x.ph)", irContains: ["%x.ph.pad["]),
    // split
    Case(
      name: "split by 8 of 61", source: "specs/matmul.kev", shape: ["M": 5, "N": 61, "K": 7], trace: "split(c, n, 8)",
      loopsContain: ["for n.i in 0 .. min(8:i64, (61:i64 - (n.o * 8:i64)))"]),
    Case(
      name: "split a reduction axis with a tail, then its inner part", source: "specs/matmul.kev", shape: small,
      trace: "split(c, k, 8)\nsplit(c, k.i, 3)",
      // k.i.o * 3 + k.i.i reaches 8, past k.i's extent: those points are skipped.
      loopsContain: ["(((k.i.o * 3:i64) + k.i.i) < 8:i64)"]),
    Case(
      name: "split with the inner part outside the outer one (guarded points)", source: "specs/matmul.kev",
      shape: small, trace: "split(c, n, 4)\nreorder(c, [n.i, n.o])", loopsContain: ["if ("]),
    // tile
    Case(
      name: "tile a matmul with tails", source: "specs/matmul.kev", shape: small, trace: "tile(c, [m, n], [4, 8])",
      loopsContain: ["for m.i", "for n.i"]),
    Case(
      name: "tile three loops of a conv", source: "specs/conv1d.kev", shape: ["N": 2, "C": 5, "L": 29, "F": 6],
      trace: "tile(_r0, [f, l, c], [4, 8, 2])", loopsContain: ["for c.i"]),
    // reorder
    Case(
      name: "in-place reduction after reorder(c, [k, n])", source: "specs/matmul.kev", shape: small,
      trace: "reorder(c, [k, n])", irContains: ["loops(m, k, n)"]),
    Case(
      name: "in-place reduction over a split axis with a tail", source: "specs/matmul.kev", shape: small,
      trace: "split(c, n, 8)\nreorder(c, [k, n.o, n.i])", loopsContain: ["%c[m, ((n.o * 8:i64) + n.i)] = 0.0:f32"],
      irContains: ["loops(m, k, n.o, n.i)"]),
    Case(
      name: "in-place max over rows", source: "specs/softmax.kev", shape: ["M": 7, "N": 19],
      trace: "reorder(mx, [n, m])", irContains: ["loops(n, m)"]),
    // inline
    Case(
      name: "inline an elementwise chain", source: "specs/elementwise_chain.kev", shape: ["M": 5, "N": 13],
      trace: "inline(t)\ninline(e)\ninline(s)", irContains: ["tanh("]),
    Case(
      name: "inline reads that fall outside the producer (padding kept)", source: shift, shape: [:],
      trace: "inline(t)", irContains: ["select("]),
    // compute_at
    Case(
      name: "compute_at a row reduction inside the row loop", source: "specs/rmsnorm.kev", shape: ["M": 7, "N": 33],
      trace: "compute_at(ss, y, m)", loopsContain: ["local %ss"]),
    Case(
      name: "compute_at a producer at a conv's tile loop (overlapping regions)", source: conv1dProducer, shape: [:],
      trace: "split(acc, l, 8)\ncompute_at(xf, acc, l.o)", loopsContain: ["local %xf: f32[1, 3, 10]"]),
    Case(
      name: "compute_at at the channel loop of a conv", source: conv1dProducer, shape: [:],
      trace: "reorder(acc, [c, l])\ncompute_at(xf, acc, c)", loopsContain: ["local %xf: f32[1, 1, 31]", "%acc[n, f, l] = 0.0:f32"]),
    Case(
      name: "compute_at a producer with two readers (recomputed copy)", source: twoReaders, shape: [:],
      trace: "compute_at(ss, y, m)", loopsContain: ["local %ss.y"], irContains: ["%ss.y:"]),
    Case(
      name: "compute_at the statistics of softmax, rows in parallel", source: "specs/softmax.kev",
      shape: ["M": 7, "N": 37],
      trace: "compute_at(_r0, y, m)\ncompute_at(mx, _r0, m)\ncompute_at(mx, y, m)\nparallel(y, m)\nvectorize(y, n, 8)",
      loopsContain: [" parallel", "vectorize(8)"]),
    Case(
      name: "compute_at shares the row max between the row's sum and the output (no copy)", source: "specs/softmax.kev",
      shape: ["M": 7, "N": 37],
      trace: "compute_at(_r0, y, m)\ncompute_at(mx, y, m)\nvectorize(mx, n, 8)\nvectorize(_r0, j, 8)\nparallel(y, m)",
      loopsContain: [" parallel", "local %mx", "local %_r0"], irContains: ["%mx: f32[m < M]", "compute_at(%y, m)"]),
    // compute_root
    Case(
      name: "compute_root after compute_at", source: "specs/rmsnorm.kev", shape: ["M": 7, "N": 33],
      trace: "split(ss, n, 4)\ncompute_at(ss, y, m)\ncompute_root(ss)", loopsContain: ["workspace %ss"]),
    // store_in
    // The CPU lowering keeps a root definition in the workspace whatever its scope (ScheduledNests.swift,
    // `placedInWorkspace`): only the numbers are checked here.
    Case(name: "store_in local of a small root intermediate", source: chain, shape: [:], trace: "store_in(t, local)"),
    Case(
      name: "store_in shared of a producer computed at a tile loop", source: chain, shape: [:],
      trace: "split(y, m, 4)\ncompute_at(t, y, m.o)\nstore_in(t, shared)", loopsContain: ["shared %t: f32[4, 22]"]),
    Case(
      name: "store_in workspace of a producer computed at a loop", source: "specs/rmsnorm.kev",
      shape: ["M": 7, "N": 33], trace: "compute_at(ss, y, m)\nstore_in(ss, workspace)", loopsContain: ["workspace %ss"]),
    // layout
    Case(
      name: "layout: a transposed intermediate", source: chain, shape: [:], trace: "layout(t, [1, 0])",
      loopsContain: ["workspace %t: f32[21, 9]"]),
    Case(
      name: "layout of a region buffer", source: conv1dProducer, shape: [:],
      trace: "split(acc, l, 8)\ncompute_at(xf, acc, l.o)\nlayout(xf, [2, 1, 0])",
      loopsContain: ["local %xf: f32[10, 3, 1]"]),
    // pad
    Case(
      name: "pad an intermediate", source: chain, shape: [:], trace: "pad(t, [1, 3])",
      loopsContain: ["workspace %t: f32[10, 24]"]),
    Case(
      name: "pad and transpose a staged tile", source: "specs/matmul.kev", shape: small,
      trace: "split(c, k, 8)\nstage(b, c, k.o, local)\nlayout(b.c, [1, 0])\npad(b.c, [0, 1])",
      loopsContain: ["local %b.c: f32[1, 9]"]),
    // stage
    Case(
      name: "stage a matmul operand at k.o into local", source: "specs/matmul.kev", shape: small,
      trace: "split(c, k, 8)\nstage(b, c, k.o, local)", loopsContain: ["local %b.c: f32[8, 1]"]),
    Case(
      name: "stage both operands of a tiled matmul", source: "specs/matmul.kev", shape: small,
      trace: "tile(c, [m, n, k], [4, 8, 4])\nstage(a, c, k.o, local)\nstage(b, c, k.o, local)",
      loopsContain: ["local %a.c: f32[4, 4]", "local %b.c: f32[4, 8]"]),
    Case(
      name: "stage the overlapping input window of a conv", source: "specs/conv1d.kev",
      shape: ["N": 2, "C": 3, "L": 29, "F": 5], trace: "split(_r0, l, 8)\nstage(x, _r0, l.o, local)",
      loopsContain: ["local %x._r0: bf16[1, 3, 10]"]),
    // cache
    Case(
      name: "cache a matmul accumulator at a tile loop", source: "specs/matmul.kev", shape: small,
      trace: "tile(c, [m, n], [4, 8])\ncache(c, n.o, local)", loopsContain: ["local %c.acc: f32[4, 8]"]),
    Case(
      name: "cache, then reorder, vectorize and unroll c.acc", source: "specs/matmul.kev", shape: small,
      trace: "tile(c, [m, n], [4, 8])\ncache(c, n.o, local)\nreorder(c.acc, [k, m, n])\nvectorize(c.acc, n, 8)\nunroll(c.acc, m, 4)",
      loopsContain: ["local %c.acc: f32[4, 8]", "vectorize(8)", " unroll"]),
    // vectorize
    Case(
      name: "vectorize with a tail", source: "specs/matmul.kev", shape: small,
      trace: "reorder(c, [k, n])\nvectorize(c, n, 8)", loopsContain: ["vectorize(8)"]),
    Case(
      name: "vectorize a sum reduction loop", source: "specs/matmul.kev", shape: small, trace: "vectorize(c, k, 4)",
      loopsContain: ["vectorize(4)"]),
    Case(
      name: "vectorize a loop whose extent is the width", source: "specs/matmul.kev", shape: ["M": 3, "N": 16, "K": 5],
      trace: "reorder(c, [k, n])\nvectorize(c, n, 16)", loopsContain: ["for n in 0 .. 16 vectorize(16)"]),
    // unroll
    Case(
      name: "unroll a reduction loop with a tail", source: "specs/matmul.kev", shape: small, trace: "unroll(c, k, 4)",
      loopsContain: [" unroll"]),
    Case(
      name: "unroll an axis loop with a tail", source: "specs/softmax.kev", shape: ["M": 7, "N": 19],
      trace: "unroll(y, m, 4)", loopsContain: [" unroll"]),
    // parallel
    Case(
      name: "parallel rows", source: "specs/matmul.kev", shape: small, trace: "parallel(c, m)",
      loopsContain: [" parallel"]),
    Case(
      name: "parallel outer tile loop, with a tail", source: "specs/matmul.kev", shape: small,
      trace: "tile(c, [m, n], [4, 8])\nparallel(c, m.o)", loopsContain: ["for m.o in 0 .. 4 parallel"]),
    // rfactor
    Case(
      name: "rfactor of a sum with a tail", source: "specs/matmul.kev", shape: small, trace: "rfactor(c, k, 4)",
      irContains: ["%c.rf:"]),
    Case(
      name: "rfactor of a max, partials vectorized in place", source: rowMax, shape: [:],
      trace: "rfactor(s, k, 8)\nreorder(s.rf, [k.o, k.i])\nvectorize(s.rf, k.i, 8)\nparallel(s.rf, m)",
      loopsContain: ["vectorize(8)", " parallel"]),
    Case(
      name: "rfactor of a row sum, partials parallel", source: "specs/rmsnorm.kev", shape: ["M": 3, "N": 45],
      trace: "rfactor(ss, n, 16)\nparallel(ss.rf, n.i)", irContains: ["%ss.rf:"]),
    // dot (a mark only) and launch (ignored by the CPU)
    Case(
      name: "dot marks a contraction; the CPU computes it as before", source: "specs/matmul.kev", shape: small,
      trace: "tile(c, [m, n], [4, 8])\ndot(c)", irContains: [" dot"]),
    Case(
      name: "launch parameters are ignored by the CPU", source: "specs/matmul.kev", shape: small,
      trace: "launch(c, 4, 2)", irContains: ["launch(warps 4, stages 2)"]),
    // fuse_axes (a rewrite: checked against the unfused kernel), precision and program order (GPU only)
    Case(
      name: "fuse_axes of a conv's channels and taps, split with a tail", source: "specs/conv1d.kev",
      shape: ["N": 2, "C": 5, "L": 29, "F": 6], trace: "fuse_axes(_r0, [c, k])\nsplit(_r0, c.k, 4)\ndot(_r0)",
      loopsContain: ["for c.k.o"], irContains: ["[c.k in 0 .. ($C * $K)]", "(c.k / $K)"]),
    Case(
      name: "fuse_axes of three conv2d axes, taps first", source: "specs/conv2d.kev", shape: [:],
      trace: "fuse_axes(_r0, [q, c, p])\nreorder(_r0, [q.c.p, n, f, i, j])", irContains: ["q.c.p"]),
    Case(
      name: "fuse_axes with a producer computed over the fused axis (div/mod regions)", source: conv1dProducer,
      shape: [:], trace: "fuse_axes(acc, [c, k])\ncompute_at(xf, acc, l)",
      loopsContain: ["local %xf", "(c.k / $K)"]),
    // fuse_axes, the loop form: output axes of an elementwise definition iterated as one loop (the same points)
    Case(
      name: "fuse_axes of two output axes, vectorized with a tail and parallel", source: fusedRows, shape: [:],
      trace: "fuse_axes(y, [i, j])\nvectorize(y, i.j, 8)\nparallel(y, n)",
      loopsContain: ["for i.j.o", "vectorize(8)", " parallel", "(((i.j.o * 8:i64) + i.j.i) / 7:i64)"],
      irContains: ["schedule fuse(i.j, i, j)"]),
    Case(
      name: "fuse_axes of the outer output axes, reading a root producer", source: fusedRows, shape: [:],
      trace: "fuse_axes(h, [n, i])\nfuse_axes(y, [i, j])\nsplit(y, i.j, 4)",
      loopsContain: ["for n.i in 0 .. 15", "for i.j.o"], irContains: ["schedule fuse(n.i, n, i)"]),
    Case(
      name: "a dot's input precision is ignored by the CPU", source: "specs/matmul.kev", shape: small,
      trace: "tile(c, [m, n], [4, 8])\ndot(c)\nprecision(c, tf32)", irContains: ["matmul_precision(high)", "dot precision(tf32)"]),
  ]

  static func request(_ c: Case, stages: Set<Stage>) throws -> CompileRequest {
    let source: SourceFile
    let kind: InputKind
    if c.source.hasPrefix("kernel") {
      source = SourceFile(path: "\(c.name).kir", text: c.source)
      kind = .ir
    } else {
      let url = Paths.inRepository(c.source)
      source = SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8))
      kind = .spec
    }
    let trace = try TraceText.parse(SourceFile(path: "\(c.name).trace", text: c.trace))
    // A trace's precisions need the contract that allows them (`precision(c, tf32)`: matmul_precision high).
    return CompileRequest(
      source: source, kind: kind, shapeOverrides: c.shape, stages: stages, optimizationLevel: 1, schedule: trace,
      matmulPrecision: trace.leastMatmulPrecision)
  }

  @Test(arguments: cases)
  func scheduledKernelMatchesTheInterpreter(_ c: Case) throws {
    let result = try Compiler.compile(try Self.request(c, stages: [.lowered, .llvm]))
    let scheduled = try #require(result.boundKernel)
    // The oracle is the kernel as written, bound to the same shape but not scheduled.
    let original = try result.kernel.binding(c.shape, location: .unknown)
    #expect(scheduled != original, "the trace changed nothing")
    let irText = IRPrinter.print(scheduled)
    for s in c.irContains { #expect(irText.contains(s), "scheduled IR lacks '\(s)':\n\(irText)") }
    let loopText = String(decoding: result.artifacts[.lowered] ?? Data(), as: UTF8.self)
    for s in c.loopsContain { #expect(loopText.contains(s), "loop IR lacks '\(s)':\n\(loopText)") }

    let jit = try #require(result.module).jit()
    let report = try KernelCheck.run(
      original, jit: jit, options: KernelCheck.Options(trials: 2, seed: 7, timingIterations: 0))
    #expect(report.passed, "\(c.name):\n\(RunReportText.render(report, kernel: original))\n\(loopText)")
  }

  static func compileError(_ request: CompileRequest) -> DiagnosticError? {
    do throws(DiagnosticError) {
      _ = try Compiler.compile(request)
      return nil
    } catch {
      return error
    }
  }

  @Test func theCPUTargetRejectsGPUBindings() throws {
    let c = Case(
      name: "bind", source: "specs/matmul.kev", shape: Self.small, trace: "tile(c, [m, n], [4, 8])\nbind(c, m.o, grid.x)")
    // The binding is legal IR and lowers to loop IR with the bound loop ...
    let lowered = try Compiler.compile(try Self.request(c, stages: [.lowered]))
    let loopText = String(decoding: lowered.artifacts[.lowered] ?? Data(), as: UTF8.self)
    #expect(loopText.contains("for m.o in 0 .. 4 bind(grid.x)"))
    // ... but the CPU emitter refuses it with a diagnostic naming the GPU dimension.
    guard let error = Self.compileError(try Self.request(c, stages: [.llvm])) else {
      Issue.record("a loop bound to grid.x compiled for the CPU")
      return
    }
    #expect(error.description.contains("grid.x"), "\(error)")
    #expect(error.description.contains("CPU"), "\(error)")
  }

  /// A scan whose scan loop is bound to a GPU block keeps the binding in the loop IR, so the CPU emitter refuses it
  /// (before, the scan lowering made the loop serial and the CPU compiled a trace that asked for a GPU block).
  @Test func theCPUTargetRejectsABoundScanLoop() throws {
    let c = Case(name: "bound scan", source: "specs/cumsum.kev", shape: ["M": 10, "N": 9], trace: "bind(y, n, block.x)\nto_scan(y)")
    let lowered = try Compiler.compile(try Self.request(c, stages: [.lowered]))
    let loopText = String(decoding: lowered.artifacts[.lowered] ?? Data(), as: UTF8.self)
    #expect(loopText.contains("bind(block.x)"), "\(loopText)")
    guard let error = Self.compileError(try Self.request(c, stages: [.llvm])) else {
      Issue.record("a scan loop bound to block.x compiled for the CPU")
      return
    }
    #expect(error.description.contains("block.x"), "\(error)")
  }

  @Test func anIllegalStepIsReportedAtItsTraceLine() throws {
    let c = Case(
      name: "illegal", source: "specs/matmul.kev", shape: Self.small, trace: "tile(c, [m, n], [4, 8])\nparallel(c, k)")
    guard let error = Self.compileError(try Self.request(c, stages: [.llvm])) else {
      Issue.record("parallel on a reduction loop was accepted")
      return
    }
    do {
      let d = try #require(error.diagnostics.first)
      #expect(d.id == DiagnosticID("transform", "reduction-loop"))
      #expect(d.location.line == 2)
      #expect(
        d.message
          == "cannot apply 'parallel(c, k)': 'k' is a reduction loop of 'c'; parallel iterations would race on the accumulator (rfactor first)"
      )
    }
  }
}
