/// The reliability tools through the command line (docs/reliability.md): a tiny `kevc difftest` run, its accounting
/// of compiles past `--compile-seconds` as failures, and the sharded long-run script with its merge.
import Foundation
import KevcBasic
import Testing

@Suite struct ReliabilityCommandLineTests {
  func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kevc-rel-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  func json(_ url: URL) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
  }

  /// A tiny run: the programs asked for, from `--first`, all passing, the figures in the results file.
  @Test func difftestRunsProgramsAndWritesItsResults() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let results = dir.appendingPathComponent("r.json")
    let r = try runKevc([
      "difftest", "--programs", "6", "--seed", "5", "--first", "10", "--results", results.path, "--mismatches",
      dir.appendingPathComponent("mm").path, "--label", "test",
    ])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("6 programs: "), "\(r.stdout)")
    let out = try json(results)
    let stats = try #require(out["statistics"] as? [String: Any])
    #expect(stats["programs"] as? Int == 6)
    #expect(stats["mismatches"] as? Int == 0)
    #expect(out["firstProgram"] as? Int == 10)
    #expect(out["requestedPrograms"] as? Int == 6)
    #expect(out["crashes"] as? Int == 0 && out["hangs"] as? Int == 0 && out["compileTimeouts"] as? Int == 0)
    #expect(out["label"] as? String == "test")
  }

  /// A compile that runs past `--compile-seconds` is a compile timeout: saved, counted apart from crashes and
  /// hangs, and a failure of the run (here the limit is far below any compile).
  @Test func difftestCountsCompileTimeoutsAsFailures() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let results = dir.appendingPathComponent("r.json")
    let mismatches = dir.appendingPathComponent("mm")
    let r = try runKevc([
      "difftest", "--programs", "2", "--seed", "5", "--compile-seconds", "0.001", "--results", results.path,
      "--mismatches", mismatches.path,
    ])
    #expect(r.status == 1)
    #expect(r.stderr.contains("(a compile timeout), saved as"), "\(r.stderr)")
    let out = try json(results)
    #expect(out["compileTimeouts"] as? Int == 2, "\(out)")
    #expect(out["crashes"] as? Int == 0)
    let saved = try FileManager.default.contentsOfDirectory(atPath: mismatches.path)
    #expect(saved.sorted() == ["s5-p0.compile-timeout.kev", "s5-p1.compile-timeout.kev"])
  }

  /// bench/reliability/run-sharded.sh from a copy of the repository without .build: disjoint fuzz seeds and
  /// difftest program ranges per shard, merged into the single-run results format with the shards listed.
  @Test func shardedRunsMergeIntoTheSingleRunResults() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let copy = dir.appendingPathComponent("repo")
    for folder in ["specs", "ir", "bench/reliability", "lowering", "Tests/Corpus"] {
      let target = copy.appendingPathComponent(folder)
      try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try FileManager.default.copyItem(at: Paths.inRepository(folder), to: target)
    }
    let out = dir.appendingPathComponent("out")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [copy.appendingPathComponent("bench/reliability/run-sharded.sh").path, Paths.kevc.path, out.path, "60"]
    process.environment = ProcessInfo.processInfo.environment.merging(
      ["SHARDS": "2", "FUZZ_EXECUTIONS": "40", "DIFFTEST_PROGRAMS": "4", "LABEL": "test"]) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try ChildProcesses.start(process)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    for target in ["spec", "ir", "trace"] {
      let r = try json(out.appendingPathComponent("fuzz-results-\(target).json"))
      let t = try #require((r["targets"] as? [[String: Any]])?.first)
      let stats = try #require(t["statistics"] as? [String: Any])
      #expect(stats["executions"] as? Int == 40, "\(target)")
      #expect(t["crashes"] as? Int == 0 && t["hangs"] as? Int == 0)
      #expect(Set(r["seeds"] as? [Int] ?? []) == [1000, 1001])
      #expect((r["shards"] as? [Any])?.count == 2)
      #expect(r["machine"] != nil)
    }
    let d = try json(out.appendingPathComponent("difftest-results.json"))
    #expect((d["statistics"] as? [String: Any])?["programs"] as? Int == 4)
    let firsts = (d["shards"] as? [[String: Any]] ?? []).compactMap { $0["firstProgram"] as? Int }
    #expect(firsts.sorted() == [0, 2])
  }
}
