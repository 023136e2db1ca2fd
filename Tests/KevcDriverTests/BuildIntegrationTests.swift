/// `kevc compile` as a build system drives it (docs/build.md): per-shape symbols, the checked entry point, the
/// self-contained library, the depfile (through a real ninja), meta, the tuning database rules and the debugging
/// switches. C programs are built with the system's `cc`.
import Foundation
import Testing

@Suite struct BuildIntegrationTests {
  static let softmax = Paths.inRepository("specs/softmax.kev").path

  static func scratch(_ tag: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-build-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  static let env = URL(fileURLWithPath: "/usr/bin/env")
  static func onPath(_ tool: String) -> Bool {
    (try? runProgram(env, ["which", tool]).status) == 0
  }

  /// Two shapes of one spec, each a library with the runtime inside, linked into one program: the symbols differ
  /// (no --name), each checked entry point accepts its own sizes and refuses the other's with KEVC_ERROR_SHAPE,
  /// and both results are right (every softmax row sums to 1). The large shape has a parallel loop.
  @Test func twoShapesLinkAndAWrongShapeCallReturnsAnError() throws {
    let dir = try Self.scratch("shapes")
    for (folder, shape) in [("small", "M=7,N=33"), ("large", "M=512,N=2048")] {
      let r = try runKevc(
        ["compile", Self.softmax, "--shape", shape, "--emit", "lib,header,meta", "--dump-dir", folder], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
    }
    let small = try String(contentsOf: dir.appendingPathComponent("small/softmax.h"), encoding: .utf8)
    let large = try String(contentsOf: dir.appendingPathComponent("large/softmax.h"), encoding: .utf8)
    let symbol = { (h: String) in h.split(separator: "\n").first { $0.hasPrefix("void softmax_") }.map(String.init) ?? "" }
    #expect(symbol(small) != symbol(large) && !symbol(small).isEmpty, "\(symbol(small)) \(symbol(large))")
    #expect(large.contains("kevc_parallel_for"), "the large shape should run in parallel")
    let name = { (h: String) in String(symbol(h).dropFirst(5).prefix { $0 != "(" }) }
    let (s, l) = (name(small), name(large))
    let main = """
      #include "small/softmax.h"
      #include "large/softmax.h"
      #include <math.h>
      #include <stdio.h>
      #include <stdlib.h>
      static int check(int64_t m, int64_t n, int (*call)(int64_t, int64_t, void *const *), int64_t wm, int64_t wn) {
        float *x = malloc(sizeof(float) * m * n), *y = malloc(sizeof(float) * m * n);
        for (int64_t i = 0; i < m * n; i++) x[i] = (float)((i * 37) % 101) / 17.0f;
        void *args[] = {x, y, aligned_alloc(64, 4096)};
        if (call(wm, wn, args) != KEVC_ERROR_SHAPE) { printf("wrong shape accepted\\n"); return 1; }
        if (call(m, n, args) != 0) { printf("right shape refused\\n"); return 1; }
        for (int64_t r = 0; r < m; r++) {
          double sum = 0;
          for (int64_t c = 0; c < n; c++) sum += y[r * n + c];
          if (fabs(sum - 1) > 1e-3) { printf("row %ld sums to %f\\n", (long)r, sum); return 1; }
        }
        return 0;
      }
      int main(void) {
        int bad = check(7, 33, \(s)_checked, 512, 2048) + check(512, 2048, \(l)_checked, 7, 33);
        if (!bad) printf("both shapes ok\\n");
        return bad;
      }
      """
    try Data(main.utf8).write(to: dir.appendingPathComponent("main.c"))
    let cc = try runProgram(
      Self.env, ["cc", "-O1", "main.c", "small/libsoftmax.a", "large/libsoftmax.a", "-pthread", "-lm", "-o", "main"], in: dir)
    #expect(cc.status == 0, "\(cc.stderr)")
    let run = try runProgram(dir.appendingPathComponent("main"), [], in: dir)
    #expect(run.status == 0 && run.stdout.contains("both shapes ok"), "\(run.stdout)\(run.stderr)")
    // The meta file names the symbol and the shape.
    let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("large/softmax.meta.json")))
    let object = try #require(meta as? [String: Any])
    #expect(object["symbol"] as? String == l && object["shape_text"] as? String == "M=512,N=2048", "\(object)")
    #expect(object["schedule_origin"] as? String == "default")
  }

  /// `--db` that does not exist is an error for compile and run; no database is read from the working directory.
  @Test func missingDatabaseFails() throws {
    let dir = try Self.scratch("nodb")
    for command in [["compile"], ["run", "--trials", "1"]] {
      let r = try runKevc(command + [Self.softmax, "--db", "missing.db"], in: dir)
      #expect(r.status == 1 && r.stderr.contains("[kevc.search.no-database]"), "\(command): \(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("missing.db").path))
    // A database in the working directory is not picked up by itself.
    let search = try runKevc(
      ["search", Self.softmax, "--shape", "M=8,N=16", "--budget", "2", "--jobs", "1", "--trials", "1", "--db", "kevc-tuning.db"],
      in: dir)
    #expect(search.status == 0, "\(search.stderr)")
    let plain = try runKevc(["compile", Self.softmax, "--shape", "M=8,N=16", "--emit", "meta"], in: dir, environment: ["KEVC_DB": ""])
    #expect(plain.status == 0 && !plain.stderr.contains("tuned schedule") && plain.stdout.contains("\"default\""), "\(plain.stderr)")
    // kevc run --db runs the tuned kernel.
    let tuned = try runKevc(["run", Self.softmax, "--shape", "M=8,N=16", "--trials", "1", "--db", "kevc-tuning.db"], in: dir)
    #expect(tuned.status == 0 && tuned.stderr.contains("using tuned schedule") && tuned.stdout.contains("PASS"), "\(tuned.stdout)\(tuned.stderr)")
  }

  /// The depfile wires the tuning database into ninja: a second ninja run does nothing, a change to the database
  /// rebuilds the object, and the meta file then names the record used.
  @Test(.enabled(if: onPath("ninja"))) func changingTheDatabaseRebuildsThroughTheDepfile() throws {
    let dir = try Self.scratch("ninja")
    let search = { (shape: String) throws -> ProcessResult in
      try runKevc(
        ["search", Self.softmax, "--shape", shape, "--budget", "2", "--jobs", "1", "--trials", "1", "--db", "t.db"], in: dir)
    }
    #expect(try search("M=8,N=16").status == 0)
    let ninja = """
      rule kevc
        command = \(Paths.kevc.path) compile \(Self.softmax) --shape M=8,N=16 --db t.db --name sm --emit obj,header,meta --dump-dir out --depfile out/sm.d
        depfile = out/sm.d
      build out/sm.o out/sm.h out/sm.meta.json: kevc

      """
    try Data(ninja.utf8).write(to: dir.appendingPathComponent("build.ninja"))
    let first = try runProgram(Self.env, ["ninja"], in: dir)
    #expect(first.status == 0 && first.stdout.contains("[1/1]"), "\(first.stdout)\(first.stderr)")
    let depfile = try String(contentsOf: dir.appendingPathComponent("out/sm.d"), encoding: .utf8)
    #expect(depfile.contains("t.db") && depfile.contains("softmax.kev"), "\(depfile)")
    let second = try runProgram(Self.env, ["ninja"], in: dir)
    #expect(second.stdout.contains("no work to do"), "\(second.stdout)")
    // Another search writes to the database: the object is rebuilt.
    #expect(try search("M=8,N=24").status == 0)
    let third = try runProgram(Self.env, ["ninja"], in: dir)
    #expect(third.status == 0 && third.stdout.contains("[1/1]"), "\(third.stdout)\(third.stderr)")
    let meta = try String(contentsOf: dir.appendingPathComponent("out/sm.meta.json"), encoding: .utf8)
    #expect(meta.contains("\"tuning-database\"") && meta.contains("\"candidate\""), "\(meta)")
  }

  /// The clear errors and conventions of the issue: triton has no object file; header and meta alone go to
  /// standard output; `--name` must be a C identifier; `--cpu x86-64-v3` is recorded in meta.
  @Test func outputConventions() throws {
    let triton = try runKevc(["compile", Self.softmax, "--target", "triton", "--emit", "obj"])
    #expect(triton.status == 1 && triton.stderr.contains("[kevc.driver.stage-unavailable]"), "\(triton.stderr)")
    let header = try runKevc(["compile", Self.softmax, "--emit", "header", "--name", "my_softmax"])
    #expect(header.status == 0 && header.stdout.contains("void my_softmax(void *const *args);"), "\(header.stdout)")
    #expect(header.stdout.contains("#define MY_SOFTMAX_DIM_M ") && header.stdout.contains("my_softmax_checked("))
    let bad = try runKevc(["compile", Self.softmax, "--emit", "header", "--name", "9lives"])
    #expect(bad.status == 1 && bad.stderr.contains("[kevc.driver.bad-name]"), "\(bad.stderr)")
    let meta = try runKevc(["compile", Self.softmax, "--emit", "meta", "--cpu", "x86-64-v3"])
    #expect(meta.status == 0 && meta.stdout.contains("\"cpu\" : \"x86-64-v3\""), "\(meta.stdout)\(meta.stderr)")
  }

  /// `--print-ir-after=PASS` prints only that pass, `--print-ir-before=PASS` the IR it started from; an unknown
  /// name is a warning. `KEVC_DUMP_DIR` receives every stage and the per-pass transcript.
  @Test func debuggingSwitches() throws {
    let after = try runKevc(
      ["compile", Self.softmax, "--emit", "scheduled", "-o", "/dev/null", "--print-ir-after", "bind-shapes",
       "--print-ir-before", "vectorize", "--print-ir-after", "no-such-pass"])
    #expect(after.status == 0, "\(after.stderr)")
    #expect(after.stderr.contains("IR after bind-shapes") && !after.stderr.contains("IR after lower-spec"), "\(after.stderr)")
    #expect(after.stderr.contains("IR before vectorize(") && after.stderr.contains("no pass named 'no-such-pass'"))
    let dir = try Self.scratch("dump")
    let dumped = try runKevc(
      ["compile", Self.softmax, "--emit", "ir", "-o", "/dev/null"], environment: ["KEVC_DUMP_DIR": dir.path])
    #expect(dumped.status == 0, "\(dumped.stderr)")
    let names = Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
    for expected in ["softmax.kir", "softmax.scheduled.kir", "softmax.ll", "softmax.o", "softmax.meta.json", "softmax.passes.txt"] {
      #expect(names.contains(expected), "\(names.sorted())")
    }
  }

  /// `kevc db import` of an export rebuilds the records; importing twice adds nothing.
  @Test func databaseImportRoundTrip() throws {
    let dir = try Self.scratch("import")
    let search = try runKevc(
      ["search", Self.softmax, "--shape", "M=8,N=16", "--budget", "2", "--jobs", "1", "--trials", "1", "--db", "a.db"], in: dir)
    #expect(search.status == 0, "\(search.stderr)")
    #expect(try runKevc(["db", "export", "--db", "a.db", "-o", "a.json"], in: dir).status == 0)
    let first = try runKevc(["db", "import", "a.json", "--db", "b.db"], in: dir)
    #expect(first.status == 0 && first.stdout.contains("2 candidates and 2 evaluations added"), "\(first.stdout)\(first.stderr)")
    let again = try runKevc(["db", "import", "a.json", "--db", "b.db"], in: dir)
    #expect(again.stdout.contains("0 candidates and 0 evaluations added"), "\(again.stdout)")
    #expect(try runKevc(["db", "list", "--db", "a.db"], in: dir).stdout == (try runKevc(["db", "list", "--db", "b.db"], in: dir).stdout))
    try Data("{\"nope\": 1}".utf8).write(to: dir.appendingPathComponent("bad.json"))
    let bad = try runKevc(["db", "import", "bad.json", "--db", "b.db"], in: dir)
    #expect(bad.status == 1 && bad.stderr.contains("[kevc.search.bad-export]"), "\(bad.stderr)")
  }

  static let hasTorch = (try? runProgram(env, ["python3", "-c", "import torch, triton"]).status) == 0

  /// examples/: the C program (a parallel kernel at a large shape), the CMake project (one spec at two shapes), the
  /// SwiftPM package using kevc's build-tool plugin, and the torch op (traced with its fake implementation when
  /// there is no GPU), each built with this kevc and run; each checks its own results.
  static let examples: [(String, String)] =
    [
      ("c-parallel", "worst relative error"), ("cmake-two-shapes", "softmax_wide [M=256,N=1000]"),
      ("swiftpm-plugin", "softmax M=300,N=1000: worst error"),
    ] + (hasTorch ? [("torch-op", "torch op")] : [])

  @Test(.enabled(if: onPath("cmake") && onPath("ninja")), arguments: examples)
  func exampleBuildsAndRuns(example: String, expected: String) throws {
    let dir = try Self.scratch(example)
    let r = try runProgram(
      Self.env, ["bash", Paths.inRepository("examples/\(example)/build.sh").path, Paths.kevc.path],
      environment: ["BUILD_DIR": dir.path])
    #expect(r.status == 0 && r.stdout.contains(expected), "\(example): \(r.stdout)\(r.stderr)")
  }

  static let hasTriton = (try? runProgram(env, ["python3", "-c", "import triton"]).status) == 0

  /// GPU artifacts without a GPU: the cubin is an ELF file, the C launcher compiles with cc against no CUDA header
  /// and links; its checked entry point refuses a wrong shape before touching the driver, and on a machine without
  /// libcuda the right shape reports KEVC_ERROR_NO_DRIVER (3) instead of crashing. A module of two kernels has no
  /// single cubin (a located error), but its launcher builds.
  @Test(.enabled(if: hasTriton)) func gpuArtifactsBuildWithoutAGPU() throws {
    let dir = try Self.scratch("gpu")
    let r = try runKevc(
      ["compile", Self.softmax, "--target", "triton", "--name", "sm", "--emit", "cubin,launcher,header,torch,meta",
       "--dump-dir", "out"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let cubin = try Data(contentsOf: dir.appendingPathComponent("out/sm.cubin"))
    #expect(cubin.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]), "not an ELF file")
    let torch = try String(contentsOf: dir.appendingPathComponent("out/sm_torch.py"), encoding: .utf8)
    #expect(torch.contains("custom_op(OP_NAME") && torch.contains("register_fake"))
    let main = """
      #include "sm.h"
      #include <stdio.h>
      int main(void) {
        void *args[3] = {0, 0, 0};
        int wrong = sm_launch_checked(SM_DIM_M + 1, SM_DIM_N, args, 0);
        int right = sm_launch_checked(SM_DIM_M, SM_DIM_N, args, 0);
        printf("wrong=%d right=%d\\n", wrong, right);
        return wrong == KEVC_ERROR_SHAPE ? 0 : 1;
      }
      """
    try Data(main.utf8).write(to: dir.appendingPathComponent("main.c"))
    let cc = try runProgram(
      Self.env, ["cc", "-Wall", "-Werror", "-Iout", "main.c", "out/sm.launcher.c", "-ldl", "-o", "main"], in: dir)
    #expect(cc.status == 0, "\(cc.stderr)")
    let run = try runProgram(dir.appendingPathComponent("main"), [], in: dir)
    #expect(run.status == 0 && run.stdout.hasPrefix("wrong=1 "), "\(run.stdout)")
    if !FileManager.default.fileExists(atPath: "/dev/nvidiactl") {
      #expect(run.stdout.contains("right=3"), "\(run.stdout)")
    }
    // kevc found through the PATH (argv[0] is just "kevc") finds kevc_gpu relative to its executable.
    let bin = dir.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("kevc"), withDestinationURL: Paths.kevc)
    let onPath = try runProgram(
      Self.env, ["kevc", "compile", Self.softmax, "--target", "triton", "--check-aot", "cuda:90", "-o", "/dev/null"],
      in: dir, environment: ["PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""), "KEVC_PYTHON_DIR": ""])
    #expect(onPath.status == 0, "\(onPath.stderr)")
    let argmax = Paths.inRepository("specs/argmax.kev").path
    let two = try runKevc(["compile", argmax, "--target", "triton", "--emit", "cubin", "-o", "/dev/null"], in: dir)
    #expect(two.status == 1 && two.stderr.contains("[kevc.triton.artifact-error]") && two.stderr.contains("2 kernels"), "\(two.stderr)")
    let launcher = try runKevc(["compile", argmax, "--target", "triton", "--emit", "launcher,header", "--dump-dir", "am"], in: dir)
    #expect(launcher.status == 0, "\(launcher.stderr)")
    let build = try runProgram(Self.env, ["cc", "-Wall", "-Werror", "-c", "am/argmax.launcher.c", "-o", "am.o"], in: dir)
    #expect(build.status == 0, "\(build.stderr)")
  }
}
