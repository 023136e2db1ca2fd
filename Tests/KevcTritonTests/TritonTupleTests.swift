/// Tuple reductions on Triton: the combiner becomes one `@triton.jit` combine function used by `tl.reduce` over a
/// block and across the serial reduction loop; a max-rescaled combiner folds a block in closed form (a contraction
/// block is one `tl.dot`). A fused softmax normaliser (blocked and one block) and the fused attention (one kernel,
/// two `tl.dot` per key block) run under Triton's interpreter (`TRITON_INTERPRET=1`, CPU torch) against torch.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms
import KevcTriton
import Testing

@Suite struct TritonTupleTests {
  /// Rule O2 (`fuse_siblings`) at cosine_similarity_loss's bench shape: the three row sums are one tuple reduction
  /// whose kernel streams each row once, one loop over tiles of 2048 loading both inputs once per tile and carrying
  /// three accumulators, and stores the row's cosine (the yield); the mean over the rows is a second kernel.
  /// Golden: `lowering/triton/cosine_similarity_loss.bench.py` (re-record with KEVC_RECORD=1); it runs under
  /// Triton's interpreter in python/tests/test_sibling_sums.py.
  @Test func siblingSumsStreamEachRowOnce() throws {
    let spec = TritonTestSupport.inRepository("specs/kernelbench/cosine_similarity_loss.kev")
    let text = try TritonTestSupport.module(spec, overrides: ["B": 16384, "D": 16384])
    try TritonTestSupport.checkGolden(text, "lowering/triton/cosine_similarity_loss.bench.py")
    guard let start = text.range(of: "def kevc_cosine_similarity_loss__r0_rows("),
      let end = text.range(of: "\n\n", range: start.upperBound..<text.endIndex)
    else {
      Issue.record("no kernel for _r0.rows")
      return
    }
    let rows = String(text[start.lowerBound..<end.lowerBound])
    #expect(rows.components(separatedBy: "tl.range(").count == 2, "one loop over the row")
    #expect(rows.components(separatedBy: "tl.load(predictions_ptr").count == 2)
    #expect(rows.components(separatedBy: "tl.load(targets_ptr").count == 2)
    #expect(rows.contains("acc_dot, acc_pp, acc_tt = _kevc_combine__r0_rows(acc_dot, acc_pp, acc_tt, t_dot, t_pp, t_tt)"))
    #expect(text.components(separatedBy: "@triton.jit\ndef kevc_").count == 4, "rows, the mean, the division")
  }

  static func roundtrip(_ file: String) throws -> Kernel {
    let url = TritonTestSupport.inRepository("ir/roundtrip").appendingPathComponent(file)
    return try IRParser.parse(SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)))
  }

  @Test func argmaxReducesABlockWithSingleOperandReductions() throws {
    // argmax's tuple (Combiner.argExtreme, by structure): a block is reduced with tl.min/tl.max of one operand each
    // (TritonArgExtreme.swift: the two-operand tl.reduce returned wrong indices on an H100 and an H200).
    let kernel = try Self.roundtrip("tuple_argmax.kir")
    let module = try TritonEmitter.emit(try DefaultSchedule.gpu(for: kernel).apply(to: kernel))
    #expect(module.kernels.count == 1)
    #expect(!module.source.contains("tl.reduce((t_v, t_i)"))
    #expect(module.source.contains("nan_i = tl.min(tl.where(ok & (t_v != t_v), t_i, 2147483647))"))
    #expect(module.source.contains("best = tl.max(tl.where(ok & (t_v == t_v), t_v, -float(\"inf\")))"))
    #expect(module.source.contains("best_i = tl.min(tl.where(ok & (t_v == t_v) & (t_v == best), t_i, 2147483647))"))
    // Masked lanes contribute the identity of each component.
    #expect(module.source.contains("tl.where(n_ok, (x_v).to(tl.float32), -float(\"inf\"))"))
    // The ascending index component travels in int32 (the kernel's indices fit 32 bits), widened at the store.
    #expect(module.source.contains("tl.where(n_ok, (n).to(tl.int32), -1)"))
    #expect(module.source.contains("(t_i).to(tl.int64))"))
    #expect(!module.source.contains("block fold"))
  }

  @Test func aTupleReductionBecomesACombineFunctionAndATupleReduce() throws {
    // The same tuple with the LAST index winning a tie is no argmax: the generic path, the combiner as one
    // @triton.jit function folding a block with tl.reduce.
    let text = """
      kernel @last_argmax(%x: f32[B, N]) -> (%i: i64[B]) {
        dims B = 7, N = 33
        %i: i64[b < B] = reduce<v: f32 = -inf:f32, i: i64 = -1:i64> [n in 0 .. $N] (%x[b, n], n) combine (select(((%b.i != -1:i64) and ((%a.i == -1:i64) or select(isnan(%a.v), (isnan(%b.v) and (%b.i > %a.i)), (isnan(%b.v) or ((%b.v > %a.v) or ((%b.v == %a.v) and (%b.i > %a.i))))))), %b.v, %a.v), select(((%b.i != -1:i64) and ((%a.i == -1:i64) or select(isnan(%a.v), (isnan(%b.v) and (%b.i > %a.i)), (isnan(%b.v) or ((%b.v > %a.v) or ((%b.v == %a.v) and (%b.i > %a.i))))))), %b.i, %a.i)) yield %i
      }
      """
    let kernel = try IRParser.parse(SourceFile(path: "last_argmax.kir", text: text))
    #expect(kernel.definitions[0].reduction?.argExtremeSpelling == nil)
    let module = try TritonEmitter.emit(try DefaultSchedule.gpu(for: kernel).apply(to: kernel))
    #expect(module.kernels.count == 1)
    #expect(module.source.contains("def _kevc_combine_i(a_v, a_i, b_v, b_i):"))
    // By named axis, never `None` (Triton 3.6 flattens each operand of a `None` reduce on its own).
    #expect(module.source.contains("t_v, t_i = tl.reduce((t_v, t_i), 0, _kevc_combine_i)"))
    #expect(!module.source.contains("), None, "))
    // A select-form combiner: its condition once, one tl.where per component.
    #expect(module.source.contains("    return tl.where(take, b_v, a_v), tl.where(take, b_i, a_i)\n"))
    #expect(module.source.components(separatedBy: "(a_v != a_v)").count == 2, "the condition is emitted once")
  }

  @Test func aMaxRescaledTupleReductionFoldsABlockInClosedForm() throws {
    // log-sum-exp: M = max of the block, p = r(x, M), S = sum of p; no element-by-element combine on the block.
    let kernel = try Self.roundtrip("tuple_logsumexp.kir")
    let module = try TritonEmitter.emit(try DefaultSchedule.gpu(for: kernel).apply(to: kernel))
    #expect(module.kernels.count == 1)
    #expect(module.source.contains("# lse: block fold of a max-rescaled tuple reduction"))
    #expect(module.source.contains("blk_m = tl.reduce(blk_m, 0, _kevc_max_nan)"))
    // p = r(x, M) as exp2 with log2(e) folded, against the row's safe maximum (0 where M is -inf) instead of a
    // select per element.
    #expect(module.source.contains("m_s = tl.where(tl.broadcast_to(blk_m, (1,)) == -float(\"inf\"), 0.0, tl.broadcast_to(blk_m, (1,))) * 1.4426950408889634"))
    #expect(module.source.contains("p = tl.where(k_ok, tl.exp2(t_m * 1.4426950408889634 - m_s), 0.0)"))
    #expect(!module.source.contains("tl.exp("))
    #expect(module.source.contains("blk_s = tl.sum(blk_s, 0)"))
    #expect(module.source.contains("tl.log(blk_s)"))
    #expect(!module.source.contains("tl.reduce((t_m"))
  }

  @Test func aSerialReductionLoopCarriesTheStateThroughTheCombineFunction() throws {
    let trace = try Trace.parse(SourceFile(path: "trace", text: "fuse_reductions(_r0)\nbind(_r0, m, grid.x)\nsplit(_r0, j, 16)\nbind(_r0, j.i, block.x)\n"))
    let module = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/softmax.kev"), trace: trace)
    #expect(module.contains("acc_m = tl.full([], -float(\"inf\"), tl.float32)"))
    // Each block joins the running state directly: the new maximum, the state rescaled by r(m, M), plus the block.
    #expect(module.contains("m_new = tl.maximum(acc_m, blk_m, propagate_nan=tl.PropagateNan.ALL)"))
    #expect(module.contains("m_s = tl.where(m_new == -float(\"inf\"), 0.0, m_new) * 1.4426950408889634"))
    #expect(module.contains("alpha = tl.exp2(acc_m * 1.4426950408889634 - m_s)"))
    #expect(module.contains("blk = acc_w * alpha + blk_w"))
    #expect(module.contains("acc_m, acc_w = m_new, blk"))
  }

  /// A cumulative argmax/argmin (a tuple scan, ir/roundtrip/tuple_cumargmax.kir) is one `tl.associative_scan` of
  /// (value, index) with the generated combine function; the index is stored as i64 (the Triton interpreter's run:
  /// python/tests/test_reference_vs_interpreter.py and `kevc run --target triton`).
  @Test func aCumulativeArgmaxIsATupleScan() throws {
    let kernel = try Self.roundtrip("tuple_cumargmax.kir")
    let module = try TritonEmitter.emit(try DefaultSchedule.gpu(for: kernel).apply(to: kernel))
    #expect(module.kernels.count == 2)
    for name in ["y", "z"] {
      #expect(module.source.contains("def _kevc_combine_\(name)(a_v, a_i, b_v, b_i):"))
      #expect(module.source.contains("tl.associative_scan((t, t_1), 0, _kevc_combine_\(name))"))
    }
  }

  /// `lowering/triton/<name>.py` is the module of a spec under a trace with tuple reductions (or a scan), at its
  /// default shape.
  /// Re-record with `KEVC_RECORD=1 swift test --filter TritonTupleTests` (the recording run fails).
  @Test(arguments: [
    ("attention", "bench/gpu/attention.fused.trace", "attention.fused"),
    ("softmax", "lowering/triton/traces/softmax.online.trace", "softmax.online"),
    ("cumsum", "bench/gpu/cumsum.scan.trace", "cumsum.scan"),
  ])
  func goldenModule(_ spec: String, _ tracePath: String, _ name: String) throws {
    let url = TritonTestSupport.inRepository(tracePath)
    let trace = try Trace.parse(SourceFile(path: tracePath, text: try String(contentsOf: url, encoding: .utf8)))
    let text = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/\(spec).kev"), trace: trace)
    try TritonTestSupport.checkGolden(text, "lowering/triton/\(name).py")
  }

  @Test func theFusedAttentionIsOneKernelWithTwoDotsPerKeyBlock() throws {
    let url = TritonTestSupport.inRepository("bench/gpu/attention.fused.trace")
    let trace = try Trace.parse(SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)))
    let module = try TritonTestSupport.module(
      TritonTestSupport.inRepository("specs/attention.kev"), trace: trace, overrides: ["S": 2048, "D": 128])
    #expect(module.components(separatedBy: "@triton.jit\ndef kevc_").count == 2)
    // Two loops over key blocks (below the diagonal, without the causal select; then the diagonal blocks, with it),
    // each with the two products: the scores Q K^T and the block's P V, which accumulates into the rescaled state
    // (FlashAttention-2's update). Key blocks past the diagonal are skipped.
    let loops = module.components(separatedBy: "for j_o_").dropFirst()
    #expect(loops.count == 2)
    #expect(loops.allSatisfy { $0.components(separatedBy: "tl.dot(").count == 3 })
    #expect(loops.first.map { !$0.contains("<= e_4") } == true)
    #expect(loops.last.map { $0.contains("tl.where((e_2 <= e_4)") } == true)
    #expect(module.contains("(p).to(tl.bfloat16)"))
    // The scores' operands load unmasked: the region of the consumer's block is one block (`64 i_o .. 64 i_o + 64`,
    // bounds one block apart), so its lanes need no mask (at the spec's dims, S = 37, they keep it: the golden).
    #expect(!module.contains("i_ok = i < ") && !module.contains("j_ok = j < "))
    #expect(module.contains("q_v = tl.load(q_ptr + (_r0_b * 786432 + _r0_h * 262144 + i[:, None] * 128 + d[None, :]))"))
    // The scale 1/sqrt(D) folded: the block's maximum of the unscaled scores scaled once per row, and p one exp2 of
    // scores * (scale * log2(e)) minus the row's offset; no select per score, no scaled score tensor.
    #expect(module.contains("t_m = tl.broadcast_to((_r0_tile).to(tl.float32), (BLOCK_i_i, BLOCK_j_i))"))
    #expect(module.contains("blk_m = blk_m * tl.rsqrt((tl.full([], 128, tl.int32)).to(tl.float32))"))
    #expect(module.contains("scale_log2e = tl.rsqrt((tl.full([], 128, tl.int32)).to(tl.float32)) * 1.4426950408889634"))

    #expect(!module.contains("tl.exp(") && !module.contains("(t_m == m_new)"))
    #expect(module.contains("blk_w0 = acc_w0 * alpha[:, None]"))
    #expect(module.contains("blk_w0 = tl.dot(a_1, b_3, blk_w0)"))
    // The state: the running max and the normaliser per row (1-D: one value per row, not one per output column of
    // the row in each thread), the output rows [64, D]; the row statistics meet the rows' blocks as [:, None].
    #expect(module.contains("acc_m = tl.full([BLOCK_i_i], -float(\"inf\"), tl.float32)"))
    #expect(module.contains("acc_w1 = tl.full([BLOCK_i_i], 0.0, tl.float32)"))
    #expect(module.contains("p = tl.exp2(t_m * scale_log2e - m_s[:, None])"))
    #expect(module.contains("alpha = tl.exp2(acc_m * 1.4426950408889634 - m_s)"))
    #expect(module.contains("(acc_w0 / acc_w1[:, None])"))
    #expect(module.contains("acc_w0 = tl.full([BLOCK_i_i, BLOCK_e], 0.0, tl.float32)"))
    // Causal: the first loop ends where a block reaches the diagonal, the second at the program's last row.
    #expect(module.contains("(_kevc_floordiv((-63 - (-64 * i_o)), tl.full([], 64, tl.int32)) + 1)"))
    #expect(module.contains("tl.minimum(tl.full([], 32, tl.int32), (((63 - (-64 * i_o)) // 64) + 1))):"))
  }

  /// The fused attention under Triton's interpreter against the float64 softmax(Q K^T / sqrt(D)) V with the causal
  /// mask: one block of keys, and many blocks of 16 keys with tails and skipped blocks at odd shapes.
  @Test(arguments: [
    ("bench/gpu/attention.fused.trace", [String: Int]()),
    ("split(o, i, 32)\nsplit(o, j, 16)\n", ["B": 1, "H": 2, "S": 77, "D": 24]),
  ])
  func fusedAttentionRunsUnderTritonsInterpreter(_ traceText: String, _ overrides: [String: Int]) throws {
    guard TritonTestSupport.tritonVersion != nil else {
      print("skipped: \(TritonAOT.python) cannot import triton")
      return
    }
    let url = TritonTestSupport.inRepository("bench/gpu/attention.fused.trace")
    var text = try String(contentsOf: url, encoding: .utf8)
    if traceText.hasPrefix("split") {
      text = text.replacingOccurrences(of: "split(o, i, 64)\nsplit(o, j, 64)\n", with: traceText)
    }
    let trace = try Trace.parse(SourceFile(path: url.path, text: text))
    let module = try TritonTestSupport.module(
      TritonTestSupport.inRepository("specs/attention.kev"), trace: trace, overrides: overrides)
    let python = TritonTestSupport.inRepository("python").path
    let script = """
      import math, sys
      sys.path.insert(0, "\(python)")
      from kevc_gpu import interpreter_fixes
      interpreter_fixes.apply()
      import torch
      import fused
      B, H, S, D = (fused.KEVC["dims"][n] for n in "BHSD")
      torch.manual_seed(0)
      q, k, v = (torch.randn(B, H, S, D).to(torch.bfloat16) for _ in range(3))
      o = torch.empty(B, H, S, D, dtype=torch.bfloat16)
      fused.launch(q=q, k=k, v=v, o=o)
      s = (q.double() @ k.double().transpose(-1, -2)) / math.sqrt(D)
      s = s.masked_fill(torch.ones(S, S, dtype=torch.bool).triu(1), float("-inf"))
      ref = torch.softmax(s, -1) @ v.double()
      err = ((o.double() - ref).abs() / (6e-2 + 3e-2 * ref.abs())).max().item()
      assert err <= 1, err
      """
    let (status, log) = try TritonTestSupport.interpret(module: module, named: "fused", script: script)
    #expect(status == 0, "\(log)")
  }

  /// A masked log-sum-exp (`select(k <= i, x[0, k], -inf)`: the element reads fewer lanes than its condition) in
  /// blocks of rows and keys: the loop of key blocks runs the unmasked blocks, then the masked ones, and stops at
  /// the last block with a kept key; under Triton's interpreter against torch.logsumexp of each prefix.
  @Test func aMaskedLogSumExpFoldsItsBlocksInTwoPasses() throws {
    guard TritonTestSupport.tritonVersion != nil else {
      print("skipped: \(TritonAOT.python) cannot import triton")
      return
    }
    let r = { (s: String) in "select((%\(s).m == max(%a.m, %b.m)), 1.0:f32, exp((%\(s).m - max(%a.m, %b.m))))" }
    let kernel = try IRParser.parse(SourceFile(path: "mlse.kir", text: """
      kernel @mlse(%x: f32[M, N]) -> (%lse: f32[M]) {
        dims M = 37, N = 53
        %lse: f32[i < M] = reduce<m: f32 = -inf:f32, s: f32 = 0.0:f32> [k in 0 .. $N] (select((k <= i), %x[0, k], -inf:f32), 1.0:f32) combine (max(%a.m, %b.m), ((%a.s * \(r("a"))) + (%b.s * \(r("b"))))) yield (%m + log(%s))
      }
      """))
    let trace = try Trace.parse(SourceFile(path: "trace", text: "split(lse, i, 16)\nbind(lse, i.o, grid.x)\nbind(lse, i.i, block.y)\nsplit(lse, k, 16)\nbind(lse, k.i, block.x)\n"))
    let module = try TritonEmitter.emit(try trace.apply(to: kernel)).source
    #expect(module.components(separatedBy: "for k_o_").count == 3)
    let python = TritonTestSupport.inRepository("python").path
    let script = """
      import sys
      sys.path.insert(0, "\(python)")
      from kevc_gpu import interpreter_fixes
      interpreter_fixes.apply()
      import torch
      import masked
      torch.manual_seed(0)
      x = torch.randn(37, 53) * 4
      out = torch.empty(37)
      masked.launch(x=x, lse=out)
      ref = torch.stack([torch.logsumexp(x[0, :i + 1].double(), 0) for i in range(37)])
      err = (out.double() - ref).abs().max().item()
      assert err < 1e-5, err
      """
    let (status, log) = try TritonTestSupport.interpret(module: module, named: "masked", script: script)
    #expect(status == 0, "\(log)")
  }

  /// The guard of the rescaling taken once per row (the safe maximum, 0 where the running maximum is -inf) in a
  /// weighted softmax whose rows start with blocks of -inf only (`select(k >= i, ..)`: no pass split, the key blocks
  /// before a row's first kept key are all -inf) and whose last rows are -inf throughout: the rows with a kept key
  /// against torch.softmax, the others NaN like the unfused kernel (0 / 0; the element-by-element guarded combiner
  /// would have averaged `y`). Under Triton's interpreter.
  @Test func rowsOfMinusInfinityKeepTheRunningStateClean() throws {
    guard TritonTestSupport.tritonVersion != nil else {
      print("skipped: \(TritonAOT.python) cannot import triton")
      return
    }
    let r = { (s: String) in "select((%\(s).m == max(%a.m, %b.m)), 1.0:f32, exp((%\(s).m - max(%a.m, %b.m))))" }
    let kernel = try IRParser.parse(SourceFile(path: "wsm.kir", text: """
      kernel @wsm(%x: f32[M, N], %y: f32[M, N]) -> (%o: f32[M]) {
        dims M = 60, N = 53
        %o: f32[i < M] = reduce<m: f32 = -inf:f32, w: f32 = 0.0:f32, s: f32 = 0.0:f32> [k in 0 .. $N] (select((k >= i), %x[i, k], -inf:f32), %y[i, k], 1.0:f32) combine (max(%a.m, %b.m), ((%a.w * \(r("a"))) + (%b.w * \(r("b")))), ((%a.s * \(r("a"))) + (%b.s * \(r("b"))))) yield (%w / %s)
      }
      """))
    let trace = try Trace.parse(SourceFile(path: "trace", text: "split(o, i, 16)\nbind(o, i.o, grid.x)\nbind(o, i.i, block.y)\nsplit(o, k, 16)\nbind(o, k.i, block.x)\n"))
    let module = try TritonEmitter.emit(try trace.apply(to: kernel)).source
    #expect(module.contains("m_s = tl.where(m_new == -float(\"inf\"), 0.0, m_new) * 1.4426950408889634"))
    let python = TritonTestSupport.inRepository("python").path
    let script = """
      import sys
      sys.path.insert(0, "\(python)")
      from kevc_gpu import interpreter_fixes
      interpreter_fixes.apply()
      import torch
      import wsm
      torch.manual_seed(0)
      x = torch.randn(60, 53) * 4
      y = torch.randn(60, 53)
      out = torch.empty(60)
      wsm.launch(x=x, y=y, o=out)
      keep = torch.arange(53)[None, :] >= torch.arange(60)[:, None]
      ref = (torch.softmax(x.double().masked_fill(~keep, float("-inf")), 1) * y.double()).sum(1)
      assert torch.isnan(out[53:]).all(), out[53:]
      err = (out[:53].double() - ref[:53]).abs().max().item()
      assert err < 1e-5, err
      """
    let (status, log) = try TritonTestSupport.interpret(module: module, named: "wsm", script: script)
    #expect(status == 0, "\(log)")
  }

  /// The fused softmax under Triton's interpreter, against torch.softmax: the normaliser blocked over j (a serial
  /// loop of 16-wide blocks with a tail) and in one block.
  @Test(arguments: [
    "fuse_reductions(_r0)\nbind(_r0, m, grid.x)\nsplit(_r0, j, 16)\nbind(_r0, j.i, block.x)\n",
    "fuse_reductions(_r0)\nbind(_r0, m, grid.x)\nbind(_r0, j, block.x)\n",
  ])
  func fusedSoftmaxRunsUnderTritonsInterpreter(_ text: String) throws {
    guard TritonTestSupport.tritonVersion != nil else {
      print("skipped: \(TritonAOT.python) cannot import triton")
      return
    }
    let trace = try Trace.parse(SourceFile(path: "trace", text: text))
    let module = try TritonTestSupport.module(
      TritonTestSupport.inRepository("specs/softmax.kev"), trace: trace, overrides: ["M": 5, "N": 37])
    let script = """
      import torch
      import fused
      torch.manual_seed(0)
      x = torch.randn(5, 37) * 8
      y = torch.empty(5, 37)
      fused.launch(x=x, y=y)
      err = (y.double() - torch.softmax(x.double(), dim=1)).abs().max().item()
      assert err < 1e-6, err
      """
    let (status, log) = try TritonTestSupport.interpret(module: module, named: "fused", script: script)
    #expect(status == 0, "\(log)")
  }

  /// The online sketch of attention (`fuse_reductions(o)`, then the default rules: j split into serial blocks of
  /// 16): the tuple's other elements read `j` (the causal mask, `v[b, h, j, e]`), which are its split parts' values
  /// there (before, `index 'j' is used before its loop is emitted`). Under Triton's interpreter against torch.
  @Test func onlineAttentionWithASplitReductionAxisRuns() throws {
    guard TritonTestSupport.tritonVersion != nil else {
      print("skipped: \(TritonAOT.python) cannot import triton")
      return
    }
    let spec = TritonTestSupport.inRepository("specs/attention.kev")
    let trace = try Trace.parse(SourceFile(path: "trace", text: """
      fuse_reductions(o)
      split(o, j, 16)
      reorder(o, [i, h, b, e, j.o, j.i])
      bind(o, i, grid.x)
      bind(o, h, grid.y)
      bind(o, b, grid.z)
      bind(o, e, block.y)
      bind(o, j.i, block.x)
      """))
    let module = try TritonTestSupport.module(spec, trace: trace, overrides: ["B": 1, "H": 1, "S": 19, "D": 16])
    let python = TritonTestSupport.inRepository("python").path
    let script = """
      import sys
      sys.path.insert(0, "\(python)")
      import torch
      from kevc_gpu import interpreter_fixes
      interpreter_fixes.apply()
      import online
      torch.manual_seed(0)
      q, k, v = (torch.randn(1, 1, 19, 16).to(torch.bfloat16) for _ in range(3))
      o = torch.empty(1, 1, 19, 16, dtype=torch.bfloat16)
      online.launch(q=q, k=k, v=v, o=o)
      s = (q.double() @ k.double().transpose(-1, -2)) / 4.0
      s = s.masked_fill(torch.ones(19, 19, dtype=torch.bool).triu(1), float("-inf"))
      ref = torch.softmax(s, -1) @ v.double()
      err = (o.double() - ref).abs().max().item()
      assert err < 3e-2, err
      """
    let (status, log) = try TritonTestSupport.interpret(module: module, named: "online", script: script)
    #expect(status == 0, "\(log)")
  }
}
