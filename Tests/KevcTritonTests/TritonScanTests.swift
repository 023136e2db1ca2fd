/// Scans on Triton: a scan whose axis is one block becomes `tl.cumsum` (sum) or `tl.associative_scan` (max, a tuple
/// combiner's generated function), checked under Triton's interpreter (`TRITON_INTERPRET=1`, CPU torch) against
/// torch; a serial scan axis is refused with `kevc.triton.unsupported-scan`.
import Foundation
import KevcBasic
import KevcIR
import KevcTransforms
import KevcTriton
import Testing

@Suite struct TritonScanTests {
  static func kernel(_ file: String, _ trace: String) throws -> Kernel {
    let url = TritonTestSupport.inRepository(file)
    var text = try String(contentsOf: url, encoding: .utf8)
    if let r = text.range(of: "// expect:") { text = String(text[..<r.lowerBound]) }
    let k = try IRParser.parse(SourceFile(path: url.path, text: text))
    return try Trace.parse(SourceFile(path: "trace", text: trace)).apply(to: k)
  }

  /// The bench trace (one block per row) and a blocked scan (16-wide blocks, a carried prefix).
  @Test(arguments: [nil, "to_scan(y)\nbind(y, m, grid.x)\nsplit(y, n, 16)\nbind(y, n.i, block.x)\n"])
  func aPrefixSumIsACumsumAndRunsUnderTritonsInterpreter(_ text: String?) throws {
    let file = TritonTestSupport.inRepository("bench/gpu/cumsum.scan.trace")
    let trace = try Trace.parse(SourceFile(path: "trace", text: try text ?? String(contentsOf: file, encoding: .utf8)))
    let module = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/cumsum.kev"), trace: trace, overrides: ["M": 3, "N": 50])
    #expect(module.contains("tl.cumsum(t, axis=0)"))
    guard TritonTestSupport.tritonVersion != nil else { return }
    let (status, log) = try TritonTestSupport.interpret(module: module, named: "cumsum", script: """
      import torch, cumsum
      x = torch.randn(3, 50)
      y = torch.empty(3, 50)
      cumsum.launch(x=x, y=y)
      err = (y.double() - torch.cumsum(x.double(), 1)).abs().max().item()
      assert err < 1e-4, err
      """)
    #expect(status == 0, "\(log)")
  }

  /// The KernelBench prefix sums under their default GPU schedule (to_scan; the exclusive one shifted by one, the
  /// reversed one a scan of the reversed row read reversed),
  /// blocked (16-wide blocks: the bench shape's 1024-wide split scaled down) with the prefix carried, against torch.
  @Test(arguments: [
    ("scan_cumsum", "torch.cumsum(x, 1)"),
    ("scan_cumsum_exclusive", "torch.cumsum(x, 1) - x"),
    ("scan_masked_cumsum", "torch.cumsum(torch.where(mask, x, 0), 1)"),
    ("scan_cumsum_reverse", "torch.flip(torch.cumsum(torch.flip(x, [1]), 1), [1])"),
  ])
  func corpusPrefixSumsAreScansUnderTheDefaultSchedule(_ name: String, _ reference: String) throws {
    let spec = TritonTestSupport.inRepository("specs/kernelbench/\(name).kev")
    let kernel = try TritonTestSupport.bound(spec, ["B": 3, "N": 50])
    let trace = DefaultSchedule.gpu(for: kernel)
    #expect(trace.steps.first == .toScan(tensor: "y"))
    let text = trace.steps.map(TraceText.print).joined(separator: "\n")
      .replacingOccurrences(of: "bind(y, n, block.x)", with: "split(y, n, 16)\nbind(y, n.i, block.x)")
    let module = try TritonTestSupport.module(
      spec, trace: try Trace.parse(SourceFile(path: "t", text: text)), overrides: ["B": 3, "N": 50])
    #expect(module.contains("tl.cumsum"))
    guard TritonTestSupport.tritonVersion != nil else { return }
    let (status, log) = try TritonTestSupport.interpret(module: module, named: name, script: """
      import torch, \(name)
      torch.manual_seed(0)
      x = torch.randn(3, 50).double()
      mask = torch.rand(3, 50) > 0.5
      y = torch.empty(3, 50)
      args = dict(x=x.float(), y=y\(name.contains("mask") ? ", mask=mask" : ""))
      \(name).launch(**args)
      err = (y.double() - (\(reference))).abs().max().item()
      assert err < 1e-4, err
      """)
    #expect(status == 0, "\(log)")
  }

  /// In one block, and blocked (4-wide blocks, the last one partial) with the prefix carried across blocks.
  @Test(arguments: ["bind(y, i, block.x)\n", "split(y, i, 4)\nbind(y, i.i, block.x)\n"])
  func aRunningLogSumExpIsATupleAssociativeScan(_ schedule: String) throws {
    let k = try Self.kernel("ir/transforms/to_scan/tuple.kir", "to_scan(y)\n" + schedule)
    let module = try TritonEmitter.emit(k).source
    #expect(module.contains("tl.associative_scan((t, t_1), 0, _kevc_combine_y)"))
    #expect(module.contains("carry") == schedule.contains("split"))
    guard TritonTestSupport.tritonVersion != nil else { return }
    let (status, log) = try TritonTestSupport.interpret(module: module, named: "lse", script: """
      import torch, lse
      x = torch.randn(11) * 10
      y = torch.empty(11)
      lse.launch(x=x, y=y)
      err = (y.double() - torch.logcumsumexp(x.double(), 0)).abs().max().item()
      assert err < 1e-4, err
      """)
    #expect(status == 0, "\(log)")
  }

  @Test func aSerialScanAxisIsRefused() throws {
    let k = try Self.kernel("ir/transforms/to_scan/cumsum.kir", "to_scan(y)\n")
    do throws(DiagnosticError) {
      _ = try TritonEmitter.emit(k)
      Issue.record("a serial scan was emitted")
    } catch {
      #expect(error.diagnostics.first?.id == DiagnosticID("triton", "unsupported-scan"))
      #expect(error.diagnostics.first?.message.contains("block.x") == true)
    }
  }
}
