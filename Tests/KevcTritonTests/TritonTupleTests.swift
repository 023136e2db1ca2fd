/// Tuple reductions on Triton: the combiner becomes one `@triton.jit` combine function used by `tl.reduce` over a
/// block and across the serial reduction loop; a fused softmax normaliser (blocked and one block) runs under
/// Triton's interpreter (`TRITON_INTERPRET=1`, CPU torch) against torch.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms
import KevcTriton
import Testing

@Suite struct TritonTupleTests {
  static func roundtrip(_ file: String) throws -> Kernel {
    let url = TritonTestSupport.inRepository("ir/roundtrip").appendingPathComponent(file)
    return try IRParser.parse(SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)))
  }

  @Test func aTupleReductionBecomesACombineFunctionAndATupleReduce() throws {
    let kernel = try Self.roundtrip("tuple_logsumexp.kir")
    let module = try TritonEmitter.emit(try DefaultSchedule.gpu(for: kernel).apply(to: kernel))
    #expect(module.kernels.count == 1)
    #expect(module.source.contains("def _kevc_combine_lse(a_m, a_s, b_m, b_s):"))
    #expect(module.source.contains("t_m, t_s = tl.reduce((t_m, t_s), None, _kevc_combine_lse)"))
    // Masked lanes contribute the identity of each component.
    #expect(module.source.contains("tl.where(k_ok, (x_v).to(tl.float32), -float(\"inf\"))"))
    #expect(module.source.contains("tl.log(t_s)"))
  }

  @Test func aSerialReductionLoopCarriesTheStateThroughTheCombineFunction() throws {
    let trace = try Trace.parse(SourceFile(path: "trace", text: "fuse_reductions(_r0)\nbind(_r0, m, grid.x)\nsplit(_r0, j, 16)\nbind(_r0, j.i, block.x)\n"))
    let module = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/softmax.kev"), trace: trace)
    #expect(module.contains("acc_m = tl.full([], -float(\"inf\"), tl.float32)"))
    #expect(module.contains("acc_m, acc_w = _kevc_combine__r0(acc_m, acc_w, t_m, t_w)"))
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

  @Test func theFusedAttentionIsOneKernel() throws {
    let url = TritonTestSupport.inRepository("bench/gpu/attention.fused.trace")
    let trace = try Trace.parse(SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)))
    let module = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/attention.kev"), trace: trace)
    #expect(module.components(separatedBy: "@triton.jit\ndef kevc_").count == 2)
    #expect(module.contains("def _kevc_combine_o("))
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
    let script = """
      import torch
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
