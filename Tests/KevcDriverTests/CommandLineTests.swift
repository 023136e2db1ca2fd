import Foundation
import Testing

/// End-to-end tests of the `kevc` executable: stages, pipes, dump folders, diagnostics and exit codes.
@Suite struct CommandLineTests {
  @Test func irRoundTripsThroughAPipe() throws {
    let ir = try runKevc(["compile", "specs/softmax.kev", "--emit", "ir", "-o", "-"])
    #expect(ir.status == 0, "\(ir.stderr)")
    #expect(ir.stdout.contains("kernel @softmax"))
    let llvm = try runKevc(["compile", "-x", "ir", "-", "--emit", "llvm"], stdin: ir.stdout)
    #expect(llvm.status == 0, "\(llvm.stderr)")
    #expect(llvm.stdout.contains("define"))
    // The IR text re-parses to the same IR: printing it again gives the same text.
    let again = try runKevc(["compile", "-x", "ir", "-", "--emit", "ir"], stdin: ir.stdout)
    #expect(again.status == 0)
    #expect(again.stdout == ir.stdout)
  }

  /// `kevc audit`: one line per kernel of the default GPU schedule at the bench shape; exit 1 when a schedule is
  /// flagged (gemm_scale_batch_norm's batch statistics, 128 programs, are `idle`); an error for an unknown sketch;
  /// `--schedule FILE` audits a given trace.
  @Test func auditPrintsKernelsAndFailsOnFlags() throws {
    let ok = try runKevc(["audit", "specs/cumsum.kev", "specs/kernelbench/rms_norm_channels.kev"])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stdout.contains("specs/cumsum.kev [M=8192,N=1024]"), "\(ok.stdout)")
    #expect(ok.stdout.contains("0 of 2 schedules flagged"))
    let flagged = try runKevc(["audit", "specs/kernelbench/gemm_scale_batch_norm.kev"])
    #expect(flagged.status == 1)
    #expect(flagged.stdout.contains(": idle"), "\(flagged.stdout)")
    let bad = try runKevc(["audit", "specs/cumsum.kev", "--sketch", "nope"])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("unknown sketch 'nope'") && bad.stderr.contains("[kevc.driver.unknown-sketch]"), "\(bad.stderr)")
    // `--schedule FILE` audits that trace instead: attention's three-kernel hand trace, not its one-pass default.
    let given = try runKevc(["audit", "specs/attention.kev", "--schedule", "bench/gpu/attention.trace"])
    #expect(given.status == 0, "\(given.stderr)")
    #expect(given.stdout.contains("_r1 (dot): programs") && given.stdout.contains("estimate "), "\(given.stdout)")
    let onePass = try runKevc(["audit", "specs/attention.kev"])
    #expect(!onePass.stdout.contains("_r1 (dot)"), "\(onePass.stdout)")
    let missing = try runKevc(["audit", "specs/attention.kev", "--schedule", "no/such.trace"])
    #expect(missing.status == 1 && missing.stderr.contains("cannot read schedule 'no/such.trace'"), "\(missing.stderr)")
  }

  /// `--cute-mma` picks the CuTe dot's instruction: wgmma by default (auto: the module is built for sm_90a), the
  /// SM80 atoms with `sm80` or where `--check-aot` names another architecture; another value, or the option on
  /// another target, is a located error.
  /// `--gpu` sizes a GPU target's default schedule for one GPU: a 4096^3 bf16 matmul gets 128 x 256 tiles on
  /// cuda:90 (its shared memory holds them at three stages) and keeps 128 x 128 when portable; unknown names and
  /// the CPU target are errors.
  @Test func gpuOptionSizesTheDefault() throws {
    let args = ["compile", "bench/gpu/specs/matmul_bf16.kev", "--target", "triton", "--shape", "M=4096,N=4096,K=4096",
                "--emit", "scheduled", "-o", "-"]
    let portable = try runKevc(args)
    let h100 = try runKevc(args + ["--gpu", "cuda:90"])
    #expect(portable.status == 0 && h100.status == 0, "\(portable.stderr)\(h100.stderr)")
    #expect(portable.stdout.contains("split(n, n.o, n.i, 128)") && h100.stdout.contains("split(n, n.o, n.i, 256)"))
    #expect(try runKevc(args + ["--gpu", "sm_90"]).stdout == h100.stdout)
    let unknown = try runKevc(args + ["--gpu", "volta"])
    #expect(unknown.status != 0 && unknown.stderr.contains("unknown GPU 'volta'") && unknown.stderr.contains("[kevc.driver.unknown-gpu]"))
    let cpu = try runKevc(["compile", "bench/gpu/specs/matmul_bf16.kev", "--gpu", "cuda:90", "--emit", "ir", "-o", "-"])
    #expect(cpu.status != 0 && cpu.stderr.contains("--gpu needs --target triton, hip or cute"))
  }

  @Test func cuteMMAOption() throws {
    let auto = try runKevc(["compile", "specs/batched_matmul.kev", "--target", "cute", "-o", "-"])
    #expect(auto.status == 0, "\(auto.stderr)")
    #expect(auto.stdout.contains("cute.nvgpu.warpgroup.MmaF16BF16Op("))
    let sm80 = try runKevc(["compile", "specs/batched_matmul.kev", "--target", "cute", "--cute-mma", "sm80", "-o", "-"])
    #expect(sm80.status == 0 && sm80.stdout.contains("cute.nvgpu.warp.MmaF16BF16Op(") && !sm80.stdout.contains("warpgroup.MmaF16BF16Op"))
    let bad = try runKevc(["compile", "specs/batched_matmul.kev", "--target", "cute", "--cute-mma", "sm70", "-o", "-"])
    #expect(bad.status != 0 && bad.stderr.contains("--cute-mma must be auto, sm80 or wgmma [kevc.driver.bad-option]"))
    let llvm = try runKevc(["compile", "specs/batched_matmul.kev", "--cute-mma", "wgmma", "--emit", "ir", "-o", "-"])
    #expect(llvm.status != 0 && llvm.stderr.contains("--cute-mma needs --target cute"))
  }

  @Test func dumpDirWritesOneFilePerStage() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-dump-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runKevc(["compile", "specs/rmsnorm.kev", "--dump-dir", dir.path])
    #expect(r.status == 0, "\(r.stderr)")
    let names = Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
    for ext in ["ast.txt", "kir", "scheduled.kir", "loops", "unopt.ll", "ll", "s", "o", "h"] {
      #expect(names.contains("rmsnorm.\(ext)"), "missing rmsnorm.\(ext) in \(names)")
    }
    let object = try Data(contentsOf: dir.appendingPathComponent("rmsnorm.o"))
    #expect(object.starts(with: [0x7f, 0x45, 0x4c, 0x46]))  // ELF
  }

  @Test func errorsAreLocatedAndLeaveNothingBehind() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-bad-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let spec = dir.appendingPathComponent("bad.kev")
    try "kernel bad(x: f32[N]) -> (y: f32[N]) {\n  dims N = 8\n  y[n] = x[n] + zz[n]\n}\n"
      .write(to: spec, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("out")
    let r = try runKevc(["compile", spec.path, "--dump-dir", out.path])
    #expect(r.status == 1)
    #expect(r.stderr.contains("bad.kev:3:17: error:"), "\(r.stderr)")
    #expect(r.stderr.contains("3 |   y[n] = x[n] + zz[n]"))
    #expect(!FileManager.default.fileExists(atPath: out.path))

    let json = try runKevc(["compile", spec.path, "--diagnostics", "json", "--emit", "ir"])
    #expect(json.status == 1)
    let first = try #require(json.stderr.split(separator: "\n").first)
    let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
    #expect(object?["line"] as? Int == 3)
    #expect(object?["column"] as? Int == 17)
    #expect((object?["id"] as? String)?.hasPrefix("kevc.") == true)
  }

  @Test func runChecksAndTimes() throws {
    let r = try runKevc(["run", "specs/softmax.kev", "--shape", "M=7,N=13", "--trials", "3", "--iterations", "2"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("worst error"))
    #expect(r.stdout.contains("time per call"))
    #expect(r.stdout.hasSuffix("PASS\n"))
  }

  @Test func badCommandLinesGiveErrorsNotCrashes() throws {
    let cases: [[String]] = [
      ["compile", "specs/softmax.kev", "--target", "quantum"],
      ["compile", "specs/softmax.kev", "--shape", "M=-3"],
      ["compile", "specs/softmax.kev", "--shape", "Q=3", "--emit", "lowered"],
      ["compile", "does/not/exist.kev"],
      ["compile", "-", "--emit", "ir"],
      ["run", "specs/softmax.kev", "--opt-level", "9"],
    ]
    for args in cases {
      let r = try runKevc(args, stdin: "")
      #expect(r.status == 1, "\(args): \(r.status) \(r.stderr)")
      #expect(r.stderr.contains("error:"), "\(args): \(r.stderr)")
    }
  }

  @Test func printIRAfterAllShowsEveryPass() throws {
    let r = try runKevc(["compile", "specs/rmsnorm.kev", "--emit", "llvm", "-o", "/dev/null", "--print-ir-after-all"])
    #expect(r.status == 0, "\(r.stderr)")
    for pass in ["parse-spec", "lower-spec", "bind-shapes", "lower-to-loops", "emit-llvm", "optimize-llvm"] {
      #expect(r.stderr.contains("// ----- IR after \(pass)"), "missing \(pass)")
    }
  }

  @Test func scheduleDumpsEveryStageAndTraceRoundTripsThroughJSON() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-sched-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let trace = "Tests/Corpus/traces/softmax.trace"
    let r = try runKevc([
      "compile", "specs/softmax.kev", "--schedule", trace, "--emit", "ir,scheduled,llvm", "--dump-dir", dir.path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let scheduled = try String(contentsOf: dir.appendingPathComponent("softmax.scheduled.kir"), encoding: .utf8)
    #expect(scheduled.contains("compute_at(%y, m)"))
    #expect(scheduled.contains("parallel"))
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("softmax.ll").path))

    // The trace as JSON applies to the same IR as the text.
    let json = try runKevc(["opt", "specs/softmax.kev", "--apply", trace, "--emit-trace-json"])
    #expect(json.status == 0, "\(json.stderr)")
    let jsonFile = dir.appendingPathComponent("softmax.trace.json")
    try json.stdout.write(to: jsonFile, atomically: true, encoding: .utf8)
    let fromText = try runKevc(["opt", "specs/softmax.kev", "--apply", trace])
    let fromJSON = try runKevc(["opt", "specs/softmax.kev", "--apply", jsonFile.path])
    #expect(fromText.status == 0 && fromJSON.status == 0)
    #expect(fromText.stdout == fromJSON.stdout)
    #expect(fromText.stdout == scheduled)

    // The scheduled kernel still matches the interpreter.
    let run = try runKevc(["run", "specs/softmax.kev", "--schedule", trace, "--trials", "2", "--iterations", "1"])
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
  }

  @Test func optMarksUnchangedStepsAndLocatesIllegalOnes() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-opt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let good = dir.appendingPathComponent("good.trace")
    try "parallel(y, m)\nlayout(_r0, [0])\n".write(to: good, atomically: true, encoding: .utf8)
    let r = try runKevc(["opt", "specs/softmax.kev", "--apply", good.path, "--print-ir-after-all"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("// ----- IR after 1: parallel(y, m) -----"))
    #expect(r.stderr.contains("// ----- IR after 2: layout(_r0, [0]) (unchanged) -----"))

    let bad = dir.appendingPathComponent("bad.trace")
    try "split(y, n, 8)\nparallel(y, q)\n".write(to: bad, atomically: true, encoding: .utf8)
    let e = try runKevc(["opt", "specs/softmax.kev", "--apply", bad.path])
    #expect(e.status == 1)
    #expect(e.stderr.contains("bad.trace:2:1: error: cannot apply 'parallel(y, q)': 'y' has no loop 'q'"), "\(e.stderr)")
  }

  /// `--matmul-precision` on every command that schedules or checks a spec: it sets the kernel's accuracy contract
  /// (printed in the IR's header), overriding the spec's line; the default schedule follows it (rule 4: tf32x3
  /// under highest, one tf32 pass under high); a precision beyond it is a typed error; an unknown value is a
  /// located `kevc.driver.unknown-matmul-precision`.
  @Test func matmulPrecisionOption() throws {
    let ir = try runKevc(["compile", "specs/matmul.kev", "--emit", "ir", "-o", "-", "--matmul-precision", "high"])
    #expect(ir.status == 0 && ir.stdout.contains(") matmul_precision(high) {"), "\(ir.stderr)")
    let plain = try runKevc(["compile", "specs/matmul.kev", "--emit", "ir", "-o", "-"])
    #expect(plain.status == 0 && !plain.stdout.contains("matmul_precision"))
    let opt = ["opt", "specs/matmul.kev", "--default-schedule", "triton", "--shape", "M=1024,N=1024,K=1024"]
    // specs/matmul.kev reads b[k, n] (MN-major): under highest it stays on the FMA units (rule 4d), no precision.
    let highest = try runKevc(opt)
    #expect(highest.status == 0 && !highest.stdout.contains(" precision("), "\(highest.stderr)")
    let high = try runKevc(opt + ["--matmul-precision", "high"])
    #expect(high.status == 0 && high.stdout.contains(" precision(tf32)"), "\(high.stderr)")
    let medium = try runKevc(opt + ["--matmul-precision", "medium"])
    #expect(medium.status == 0 && medium.stdout.contains(" precision(bf16)"), "\(medium.stderr)")
    // The spec's line, overridden by the option (back to highest).
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-mp-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let spec = dir.appendingPathComponent("mm.kev").path
    try """
      kernel mm(a: f32[M, K], b: f32[N, K]) -> (c: f32[M, N]) {
        matmul_precision high
        dims M = 1024, N = 1024, K = 1024
        c[m, n] = sum(k) a[m, k] * b[n, k]
      }
      """.write(toFile: spec, atomically: true, encoding: .utf8)
    let fromSpec = try runKevc(["opt", spec, "--default-schedule", "triton"])
    #expect(fromSpec.status == 0 && fromSpec.stdout.contains(" precision(tf32)"), "\(fromSpec.stderr)")
    let overridden = try runKevc(["opt", spec, "--default-schedule", "triton", "--matmul-precision", "highest"])
    #expect(overridden.status == 0 && overridden.stdout.contains(" precision(tf32x3)"), "\(overridden.stderr)")
    // A hand trace's tf32 under highest: the transform's typed error.
    let trace = dir.appendingPathComponent("tf32.trace").path
    try "dot(c)\nprecision(c, tf32)\n".write(toFile: trace, atomically: true, encoding: .utf8)
    let refused = try runKevc(["compile", "specs/matmul.kev", "--target", "triton", "--schedule", trace, "-o", "-"])
    #expect(refused.status == 1 && refused.stderr.contains("[kevc.transform.beyond-matmul-precision]"), "\(refused.stderr)")
    let allowed = try runKevc(
      ["compile", "specs/matmul.kev", "--target", "triton", "--schedule", trace, "--matmul-precision", "high", "-o", "-"])
    #expect(allowed.status == 0 && allowed.stdout.contains("\"tolerance\": {\"c\": \"f16\"}"), "\(allowed.stderr)")
    for command in [["compile", "specs/matmul.kev", "-o", "-"], ["run", "specs/matmul.kev"], ["opt", "specs/matmul.kev"],
                    ["audit", "specs/matmul.kev"], ["interpret", "specs/matmul.kev", "--outputs", dir.path],
                    ["agent", "prompt", "specs/matmul.kev"]] {
      let unknown = try runKevc(command + ["--matmul-precision", "low"])
      #expect(
        unknown.status != 0 && unknown.stderr.contains("--matmul-precision:1:1: error: unknown matmul precision 'low'; available: highest, high, medium [kevc.driver.unknown-matmul-precision]"),
        "\(command): \(unknown.stderr)")
    }
    // A sketch beyond the contract is an error, not a schedule that silently drops its precision.
    let sketch = try runKevc(opt + ["--sketch", "split-bf16x3"])
    #expect(sketch.status != 0 && sketch.stderr.contains("[kevc.driver.sketch-beyond-matmul-precision]"), "\(sketch.stderr)")
    let sketchHigh = try runKevc(opt + ["--sketch", "split-bf16x3", "--matmul-precision", "high"])
    #expect(sketchHigh.status == 0 && sketchHigh.stdout.contains(" precision(bf16x3)"), "\(sketchHigh.stderr)")
    let search = try runKevc(["search", "--help"])
    #expect(search.stdout.contains("--matmul-precision"))
    // The agent's prompt shows the kernel and its default under the contract the search would run with.
    let prompt = try runKevc(["agent", "prompt", "specs/matmul.kev", "--target", "triton", "--shape", "M=1024,N=1024,K=1024",
                              "--matmul-precision", "high", "--db", dir.appendingPathComponent("none.db").path])
    #expect(prompt.status == 0 && prompt.stdout.contains(") matmul_precision(high) {") && prompt.stdout.contains("precision(c, tf32)"),
            "\(prompt.stderr)")
  }

  @Test func helpDocumentsEveryFlag() throws {
    let compile = try runKevc(["compile", "--help"])
    for flag in [
      "--shape", "--target", "--emit", "--dump-dir", "-o", "-x", "--print-ir-after-all", "--diagnostics", "--schedule",
      "--matmul-precision",
    ] {
      #expect(compile.stdout.contains(flag), "compile --help lacks \(flag)")
    }
    let run = try runKevc(["run", "--help"])
    for flag in ["--shape", "--trials", "--seed", "--iterations", "--repeats"] {
      #expect(run.stdout.contains(flag), "run --help lacks \(flag)")
    }
  }
}

/// `kevc opt --default-schedule triton --sketch NAME` prints one of the search's structural roots; an unknown name
/// is a diagnostic that lists the sketches.
@Test func optPrintsASketchOfTheDefaultGPUSchedule() throws {
  let plain = try runKevc(["opt", "specs/layernorm.kev", "--default-schedule", "triton"])
  let rows2 = try runKevc(["opt", "specs/layernorm.kev", "--default-schedule", "triton", "--sketch", "rows2"])
  #expect(plain.status == 0 && rows2.status == 0, "\(rows2.stderr)")
  #expect(rows2.stdout != plain.stdout)
  let unknown = try runKevc(["opt", "specs/layernorm.kev", "--default-schedule", "triton", "--sketch", "nope"])
  #expect(unknown.status != 0)
  #expect(unknown.stderr.contains("unknown sketch 'nope'") && unknown.stderr.contains("[kevc.driver.unknown-sketch]"))
}
