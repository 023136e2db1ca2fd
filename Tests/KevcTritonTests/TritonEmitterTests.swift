import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms
import KevcTriton
import Testing

/// The Triton emitter: golden modules for a few specs under the default GPU schedule, what the default schedule
/// decides, diagnostics for schedules the target cannot express.
@Suite struct TritonEmitterTests {
  static let goldenSpecs = ["argmax", "cumsum", "embedding_bag", "matmul", "rmsnorm", "rmsnorm_backward", "softmax"]

  /// `lowering/triton/<spec>.py` is the module for the spec at its default shape under the default GPU schedule.
  /// Re-record with `KEVC_RECORD=1 swift test --filter TritonEmitterTests` (the recording run fails).
  @Test(arguments: goldenSpecs)
  func goldenModule(_ name: String) throws {
    let spec = TritonTestSupport.inRepository("specs/\(name).kev")
    let text = try TritonTestSupport.module(spec)
    try TritonTestSupport.checkGolden(text, "lowering/triton/\(name).py")
  }

  /// `lowering/triton/matmul.bf16x3.py`: a dot in three bf16 passes of split operands (`precision(c, bf16x3)`,
  /// `lowering/triton/traces/matmul.bf16x3.trace`) at the default shape (every tile ragged). Its numerics, also
  /// through Triton's interpreter: python/tests/test_bf16x3_numerics.py.
  @Test func goldenBf16x3Dot() throws {
    let url = TritonTestSupport.inRepository("lowering/triton/traces/matmul.bf16x3.trace")
    let t = try Trace.parse(SourceFile(path: "lowering/triton/traces/matmul.bf16x3.trace", text: try String(contentsOf: url, encoding: .utf8)))
    let text = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/matmul.kev"), trace: t)
    try TritonTestSupport.checkGolden(text, "lowering/triton/matmul.bf16x3.py")
  }

  /// Index width (`IndexWidth`, shown by `--emit scheduled`): int32 program ids, lanes and loop variables while
  /// every offset fits (the goldens), int64 past 2^31 elements (only compiled: nothing runs at that size).
  @Test func indexWidthFollowsTheOffsets() throws {
    let spec = TritonTestSupport.inRepository("specs/kernelbench/matmul_transposed_b.kev")
    let small = try TritonTestSupport.module(spec, overrides: ["M": 2048, "K": 8192, "N": 4096])
    #expect(small.contains("n_o = tl.program_id(0)\n") && small.contains("m_i = tl.arange(0, BLOCK_m_i)\n"))
    #expect(small.contains("k_o = tl.cast(k_o_, tl.int32)") && !small.contains("tl.int64"))
    // A: 65536 x 32768 = 2^31 elements.
    let large = try TritonTestSupport.module(spec, overrides: ["M": 65536, "K": 32768, "N": 64])
    #expect(large.contains("m_o = tl.program_id(0).to(tl.int64)"))
    #expect(large.contains("tl.arange(0, BLOCK_m_i).to(tl.int64)") && large.contains("tl.cast(k_o_, tl.int64)"))
    var request = CompileRequest(
      source: try TritonTestSupport.source(spec), kind: .spec, shapeOverrides: ["M": 65536, "K": 32768, "N": 64],
      stages: [.scheduled])
    request.target = .triton
    let scheduled = String(decoding: try Compiler.compile(request).artifacts[.scheduled] ?? Data(), as: UTF8.self)
    #expect(scheduled.contains("// %C: index width i64 ('A' has 2147483648 elements)"))
  }

  @Test func rowStatisticsLiveInRegisters() throws {
    let text = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/rmsnorm.kev"))
    // One kernel: the row's sum of squares is reduced in y's program and kept in a register.
    #expect(text.components(separatedBy: "@triton.jit\ndef kevc_").count == 2)
    #expect(text.contains("in a register"))
    #expect(text.contains("tl.sum("))
    #expect(text.contains("tl.program_id(0)"))
  }

  @Test func contractionsUseTensorCores() throws {
    let text = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/matmul.kev"))
    #expect(text.contains("tl.dot("))
    #expect(text.contains("input_precision=\"ieee\""))
    let bf16 = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/batched_matmul.kev"))
    #expect(bf16.contains("tl.dot("))
    #expect(!bf16.contains("input_precision"))
  }

  /// A contraction computed inside its epilogue's tile stays in registers: one kernel, no scratch, no workspace;
  /// a convolution's accumulator, which tl.dot produces as [l, f], is transposed into the consumer's [f, l] block.
  @Test func fusedEpiloguesKeepTheAccumulatorInRegisters() throws {
    for (spec, trace, transposed) in [
      ("matmul_bias_gelu", "matmul_bias_gelu.fused", false), ("conv1d", "conv1d.fused", true),
    ] {
      let t = try Trace.parse(
        SourceFile(path: trace, text: try String(contentsOf: TritonTestSupport.inRepository("lowering/triton/traces/\(trace).trace"), encoding: .utf8)))
      for shape in [[:], bench(spec)] {
        let text = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/\(spec).kev"), trace: t, overrides: shape)
        #expect(text.components(separatedBy: "@triton.jit\ndef kevc_").count == 2, "\(spec): one kernel")
        #expect(text.contains("in a register block") && !text.contains("in scratch"), "\(spec) \(shape)")
        #expect(text.contains("_r0_tile = \(transposed ? "tl.trans(acc)" : "acc")"), "\(spec) \(shape)")
        #expect(text.contains("tl.dot(") && !text.contains("ws__r0"), "\(spec) \(shape)")
      }
    }
  }

  /// The rewrites of issue 16: a fused channel-tap axis makes one tl.dot per block of it, loaded at `//` and `%`
  /// offsets, with the filter's digits merged back into contiguous offsets; `precision` sets the dot's input
  /// precision (or casts to bf16) and names the looser tolerance; grouped and persistent programs decompose one
  /// launch axis.
  @Test func rewritesLowerToOneDotInputPrecisionsAndProgramOrder() throws {
    func module(_ spec: String, _ trace: String, _ shape: [String: Int] = [:]) throws -> String {
      let url = TritonTestSupport.inRepository("lowering/triton/traces/\(trace).trace")
      let t = try Trace.parse(SourceFile(path: url.path, text: try String(contentsOf: url, encoding: .utf8)))
      return try TritonTestSupport.module(TritonTestSupport.inRepository("specs/\(spec).kev"), trace: t, overrides: shape)
    }
    let conv1d = try module("conv1d", "conv1d.fused_axes", bench("conv1d"))
    #expect(conv1d.components(separatedBy: "tl.dot(").count == 2, "one dot in the kernel")
    #expect(conv1d.contains("for c_k_o_ in tl.range(0, 24)"))
    #expect(conv1d.contains("// 3) * 2048") && conv1d.contains("% 3)) - 1)"), "x read at c.k // 3 and l + c.k % 3 - 1")
    #expect(conv1d.contains("w_ptr + (f[None, :] * 1536 + ((c_k_o * 64) + c_k_i[:, None]))"), "w's c, k merged back")
    #expect(!conv1d.contains("_kevc_floordiv"))
    let conv2d = try module("conv2d", "conv2d.fused_axes", bench("conv2d"))
    #expect(conv2d.components(separatedBy: "tl.dot(").count == 2)
    #expect(conv2d.contains("w_ptr + (f_1[None, :] * 576 + ((c_p_q_o * 64) + c_p_q_i[:, None]))"))
    let tf32 = try module("matmul", "matmul.tf32x3", ["M": 1000, "N": 1000, "K": 64])
    // The tf32 part rounded to nearest (the truncated one where that overflows or the operand is NaN).
    #expect(tf32.contains("a_hi = ((a_bits + 4096) & -8192).to(tl.float32, bitcast=True)"))
    #expect(tf32.contains("a_hi = tl.where((a != a) | (tl.abs(a_hi) == float(\"inf\")), (a_bits & -8192).to(tl.float32, bitcast=True), a_hi)"))
    #expect(tf32.components(separatedBy: "input_precision=\"tf32\"").count == 4, "three tf32 passes")
    // Each step's three passes go into a fresh partial that an ordinary f32 add takes into the running sum (the
    // tensor cores' accumulation truncates; chained over the whole contraction its error grew past f32 tolerance).
    #expect(tf32.contains("acc_step = tl.dot(a_lo, b_hi, input_precision=\"tf32\", out_dtype=tl.float32)"))
    #expect(tf32.contains("acc = acc + acc_step"))
    #expect(!tf32.contains("acc = tl.dot("), "no pass chains into the running sum")
    #expect(tf32.contains("\"tolerance\": {\"c\": \"f32\"}") && !tf32.contains("matmul_precision"))
    #expect(tf32.contains("for round_ in tl.range(0, 1):"), "8 x 8 tiles, at most 132 programs: one round")
    #expect(tf32.contains("pid = tl.program_id(0) + 64 * tl.cast(round_, tl.int32)"), "offsets fit: int32 indices")
    #expect(tf32.contains("first_y = (pid_xy // 64) * 8"), "groups of 8 rows of 8 tiles")
    #expect(tf32.contains("\"grid\": [64, 1, 1]"))
    // compute_with: rmsnorm backward's dx and dw partials in one kernel (two kernels in all, with dw's combine).
    let rms = try module("rmsnorm_backward", "rmsnorm_backward.with", ["M": 8192, "N": 4096])
    #expect(rms.components(separatedBy: "@triton.jit\ndef kevc_").count == 3)
    #expect(rms.contains("# then _r2.rf, computed with dx by the same program"))
    #expect(rms.contains("\"grid\": [512, 1, 1]"))
    // compute_with at the loop over the rows (rule 2c's default at the bench shape): one loop carries dx's rows and
    // dw's partial sums, the partial's iteration first (every load of the iteration before its one store), its
    // accumulator stored once after the loop as the program's contiguous row.
    let onePass = try TritonTestSupport.module(
      TritonTestSupport.inRepository("specs/rmsnorm_backward.kev"), overrides: ["M": 8192, "N": 4096])
    let rows = String(onePass[onePass.range(of: "def kevc_rmsnorm_backward_dx(")!.lowerBound...].prefix { _ in true })
    let body = rows[..<rows.range(of: "\n\n\n")!.lowerBound]
    #expect(body.components(separatedBy: "tl.range(").count == 2, "one loop")
    #expect(body.contains("    for m_o_ in tl.range(0, 14):\n        m_o = tl.cast(m_o_, tl.int32)\n        # _r2.rf: its iteration of m.o, fused into dx's (compute_with)\n        m_o_1_ = m_o_\n"))
    #expect(body.hasSuffix("    tl.store(ws__r2_rf + (n_3 + m_i_1 * 4096), (acc).to(tl.float32))"))
    #expect(onePass.components(separatedBy: "@triton.jit\ndef kevc_").count == 3)
    // bf16x3: the bf16 part rounded to nearest (16 low bits), the truncated one where that overflows or the operand
    // is NaN, both parts converted to bf16, three bf16 passes (no input_precision) into a fresh partial per step.
    let bf16x3 = try module("matmul", "matmul.bf16x3")
    #expect(bf16x3.contains("a_hi = ((a_bits + 32768) & -65536).to(tl.float32, bitcast=True)"))
    #expect(bf16x3.contains("a_hi = tl.where((a != a) | (tl.abs(a_hi) == float(\"inf\")), (a_bits & -65536).to(tl.float32, bitcast=True), a_hi)"))
    #expect(bf16x3.contains("a_lo = a - a_hi\n") && bf16x3.contains("b_lo = b_lo.to(tl.bfloat16)\n"))
    #expect(bf16x3.contains("acc_step = tl.dot(a_lo, b_hi, out_dtype=tl.float32)"))
    #expect(bf16x3.components(separatedBy: "tl.dot(").count == 4 && !bf16x3.contains("input_precision"))
    #expect(bf16x3.contains("acc = acc + acc_step") && !bf16x3.contains("acc = tl.dot("))
    // bf16x3 needs matmul_precision high, whose tolerance (tf32's, f16's) the result is checked at: the contract's,
    // not the precision's.
    #expect(bf16x3.contains("\"tolerance\": {\"c\": \"f16\"},\n    \"matmul_precision\": \"high\","),
      "the contract's tolerance, and the contract the harness measures PyTorch's own error under")
    let bf16 = try module("matmul", "matmul.bf16_operands")
    #expect(bf16.contains("(a_v).to(tl.bfloat16)") && !bf16.contains("input_precision"))
    #expect(bf16.contains("\"tolerance\": {\"c\": \"bf16\"},\n    \"matmul_precision\": \"medium\","))
  }

  /// Several rows per program: each row statistic is a [rows] register block (the reduction's kept dimension
  /// reshaped away), also the max computed inside the sum, whose lane starts at the region of the sum.
  @Test func rowsPerProgramKeepRowStatisticsInRegisters() throws {
    let t = try Trace.parse(
      SourceFile(path: "softmax.rows2", text: try String(contentsOf: TritonTestSupport.inRepository("lowering/triton/traces/softmax.rows2.trace"), encoding: .utf8)))
    for shape in [[:], ["M": 8192, "N": 8192]] {
      let text = try TritonTestSupport.module(TritonTestSupport.inRepository("specs/softmax.kev"), trace: t, overrides: shape)
      #expect(text.components(separatedBy: "in a register block").count == 4, "\(shape)")
      #expect(!text.contains("in scratch") && text.contains("tl.reshape("), "\(shape)")
    }
  }

  /// A region that does not line up with the consumer's blocks (a 64-wide producer block under a 128-wide
  /// consumer block) still goes through per-program scratch.
  @Test func misalignedRegionsUseScratch() throws {
    let text = try TritonTestSupport.module(
      TritonTestSupport.inRepository("specs/matmul_bias_gelu.kev"),
      trace: try Trace.parse(SourceFile(path: "t", text: """
        inline(h)
        split(y, m, 128)
        split(y, n, 64)
        reorder(y, [m.o, n.o, m.i, n.i])
        bind(y, n.o, grid.x)
        bind(y, m.o, grid.y)
        bind(y, m.i, block.y)
        bind(y, n.i, block.x)
        compute_at(_r0, y, n.o)
        split(_r0, m, 64)
        bind(_r0, m.i, block.y)
        bind(_r0, n, block.x)
        """)), overrides: ["M": 256, "N": 256, "K": 64])
    #expect(text.contains("in scratch") && !text.contains("register block"))
  }

  func bench(_ spec: String) -> [String: Int] {
    guard let text = try? String(contentsOf: TritonTestSupport.inRepository("specs/\(spec).kev"), encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("bench ") })
    else { return [:] }
    var out: [String: Int] = [:]
    for part in line.trimmingCharacters(in: .whitespaces).dropFirst(6).split(separator: ",") {
      let kv = part.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
      if kv.count == 2, let v = Int(kv[1]) { out[kv[0]] = v }
    }
    return out
  }

  @Test func defaultScheduleBindsEveryRootDefinition() throws {
    for spec in TritonTestSupport.specs {
      let kernel = try TritonTestSupport.bound(spec)
      let scheduled = try DefaultSchedule.gpu(for: kernel).apply(to: kernel)
      for d in scheduled.definitions where d.effectiveSchedule.placement == .root {
        let kinds = d.effectiveSchedule.loops.map(\.kind)
        let grid = kinds.filter { if case .gpu(let g) = $0 { return g.rawValue.hasPrefix("grid") } else { return false } }
        let blocks = kinds.filter { if case .gpu(let g) = $0 { return g.rawValue.hasPrefix("block") } else { return false } }
        // Every root kernel either spreads over programs or works on blocks (a 0-d result may do only the latter).
        #expect(!grid.isEmpty || !blocks.isEmpty || d.effectiveSchedule.loops.isEmpty, "\(spec.lastPathComponent): \(d.name)")
        // A definition computed with another runs in that one's launch.
        #expect(d.effectiveSchedule.launch != nil || d.effectiveSchedule.computeWith != nil, "\(spec.lastPathComponent): \(d.name) has no launch")
      }
    }
  }

  @Test func threadBindingsAreRejectedWithADiagnostic() throws {
    let spec = TritonTestSupport.inRepository("specs/transpose.kev")
    let kernel = try TritonTestSupport.bound(spec)
    guard let d = kernel.definitions.last, let loop = d.axes.first?.name else {
      Issue.record("transpose has no definition")
      return
    }
    let trace = Trace([.bind(tensor: d.name, loop: loop, dimension: .threadX)])
    do {
      _ = try TritonTestSupport.module(spec, trace: trace)
      Issue.record("a thread binding was accepted")
    } catch let error as DiagnosticError {
      let diag = try #require(error.diagnostics.first)
      #expect(diag.id == DiagnosticID("triton", "unsupported-schedule"))
      #expect(diag.message.contains("thread.x"))
      #expect(diag.location.file == "specs/transpose.kev")
    }
  }

  @Test func gridLoopsMustBeOutermost() throws {
    let spec = TritonTestSupport.inRepository("specs/softmax.kev")
    let trace = Trace([.bind(tensor: "y", loop: "n", dimension: .gridX)])
    #expect(throws: DiagnosticError.self) { try TritonTestSupport.module(spec, trace: trace) }
  }

  /// A split whose outer loop is a block dimension, with a tail (301 = 4 x 64 + 45): the tail is a guard on the
  /// split loop's value, not a bound of the inner lanes that would read the outer lanes outside their block (the
  /// search's mutant bind(_r0, l.o, grid.z) -> block.z hit an internal error at the spec's odd shape; this module
  /// passed `kevc run --target triton` under Triton's interpreter).
  @Test func aBlockOfSplitLanesWithATailIsGuarded() throws {
    let spec = TritonTestSupport.inRepository("specs/depthwise_conv1d.kev")
    let trace = try Trace.parse(
      SourceFile(
        path: "lanes.trace",
        text: """
          split(_r0, l, 64)
          reorder(_r0, [c, n, l.o, k, l.i])
          bind(_r0, c, grid.x)
          bind(_r0, n, grid.y)
          bind(_r0, l.o, block.z)
          bind(_r0, l.i, block.x)
          bind(_r0, k, block.y)
          launch(_r0, 4, 2)
          split(y, l, 1024)
          bind(y, c, grid.x)
          bind(y, n, grid.y)
          bind(y, l.o, grid.z)
          bind(y, l.i, block.x)
          launch(y, 4, 2)
          """))
    for shape in [[:], ["L": 2000], ["L": 320]] {
      let text = try TritonTestSupport.module(spec, trace: trace, overrides: shape)
      #expect(text.contains("def launch(**tensors):"), "\(shape)")
    }
  }

  /// A frame of lanes is one Triton tensor, at most 2^20 elements: a whole 8192 x 4096 layernorm row block is
  /// rejected with the sizes (it was a Triton compile error on the GPU, after the worker's start-up).
  @Test func aBlockBeyondTritonsTensorLimitIsRejected() throws {
    let spec = TritonTestSupport.inRepository("specs/layernorm.kev")
    let trace = try Trace.parse(
      SourceFile(path: "whole.trace", text: "bind(_r0, m, block.y)\nbind(_r0, n, block.x)\nlaunch(_r0, 8, 2)\n"))
    do {
      _ = try TritonTestSupport.module(spec, trace: trace, overrides: ["M": 8192, "N": 4096])
      Issue.record("a block of 2^25 elements was accepted")
    } catch let error as DiagnosticError {
      let diag = try #require(error.diagnostics.first)
      #expect(diag.id == DiagnosticID("triton", "unsupported-schedule"))
      #expect(diag.message.contains("has 33554432 elements (m: 8192, n: 4096)"), "\(diag.message)")
      #expect(diag.message.contains("at most 1048576"))
    }
    // The same binding at the spec's small shape fits.
    _ = try TritonTestSupport.module(spec, trace: trace)
  }

  /// Variants the Triton builder refuses with a located diagnostic (never wrong code), each with the reason; a
  /// refusal not listed here, or a listed one that starts lowering, fails the test.
  /// (None now: the CPU-style schedule of gemm_scale_batch_norm, whose window start was clamped, `max(_r1_mean_o, 0)`,
  /// lowers since the shared `ScheduledBounds` drops a clamp the ranges prove unneeded.)
  static let knownRefusals: [String: String] = [:]

  @Test func everySpecLowersUnderEveryVariant() throws {
    for spec in TritonTestSupport.specs {
      _ = try TritonTestSupport.module(spec)
      for v in try TritonTestSupport.variants(spec) {
        let key = "\(spec.lastPathComponent) \(v.name)"
        if let reason = Self.knownRefusals[key] {
          do {
            _ = try TritonTestSupport.module(spec, trace: v.trace)
            Issue.record("\(key) now lowers: remove it from knownRefusals")
          } catch let error as DiagnosticError {
            #expect(error.diagnostics.first?.id == DiagnosticID("triton", "unsupported-schedule"))
            #expect(error.diagnostics.first?.message.contains(reason) == true, "\(error)")
          }
          continue
        }
        let text = try TritonTestSupport.module(spec, trace: v.trace)
        #expect(text.contains("def launch(**tensors):"), "\(key)")
      }
    }
  }

  /// Every KernelBench spec lowers to a Triton module with its default GPU schedule, at its small default shape and
  /// at the problem's real (bench) shape, where the emitter's limits (Triton's tensor-size limit) bite.
  @Test func kernelBenchSpecsLowerWithTheDefaultScheduleAtBothShapes() throws {
    let specs = TritonTestSupport.kernelBenchSpecs
    #expect(specs.count >= 30)
    for spec in specs {
      let kernel = try TritonTestSupport.bound(spec)
      let bench = Dictionary(uniqueKeysWithValues: kernel.dims.compactMap { d in d.benchValue.map { (d.name, $0) } })
      for overrides in [[:], bench] {
        do {
          let text = try TritonTestSupport.module(spec, overrides: overrides)
          #expect(text.contains("def launch(**tensors):"), "\(spec.lastPathComponent) \(overrides)")
        } catch {
          Issue.record("\(spec.lastPathComponent) \(overrides): \(error)")
        }
      }
    }
  }
}
