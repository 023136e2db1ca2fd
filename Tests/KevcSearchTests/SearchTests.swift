import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcSearch
import KevcTransforms
import Testing

/// A proposer that only returns garbage: text that does not parse, unknown transforms, names that do not exist,
/// illegal parameters, an absurdly long trace. The search must survive it and record every rejection.
struct GarbageProposer: Proposer {
  let name = "garbage"
  var calls = 0
  mutating func propose(parent: CandidateView, history: SearchHistory, count: Int) -> [ProposedTrace] {
    calls += 1
    return [
      .text("this is not a trace ((("),
      .text("frobnicate(c, m)"),
      .text("{\"steps\": [{\"nope\": 1}]}"),
      .text("split(c, m, 0)"),
      .trace(Trace([.vectorize(tensor: "nowhere", loop: "q", width: 3)])),
      .trace(Trace([.parallel(tensor: "c", loop: "k")])),
      .trace(Trace(Array(repeating: .dot(tensor: "c"), count: 100))),
      .text(String(repeating: "\u{0}\u{1}garbage", count: 50)),
      // Issue 13: nested lists past any limit, as text and as JSON (a stack overflow before the limits).
      .text("split(c, m, " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + ")"),
      .text("{\"steps\": " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"),
    ]
  }
}

func matmulInput(_ n: Int) throws -> SearchInput {
  SearchInput(
    specPath: "specs/matmul.kev", specText: try Paths.text("specs/matmul.kev"), kind: .spec,
    shape: ["M": n, "N": n, "K": n])
}

func smallOptions(budget: Int) -> SearchOptions {
  var o = SearchOptions(workerExecutable: Paths.kevc)
  o.budget = budget
  o.jobs = 2
  o.trials = 1
  o.measureMachine = false
  o.secondsPerRepeat = 0.002
  o.repeats = 3
  o.evalTimeout = 120
  return o
}

@Suite(.serialized) struct SearchTests {
  @Test func smallSearchRecordsEverythingAndCompileFindsTheBest() throws {
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("s.db").path)
    var events: [String] = []
    let engine = SearchEngine(db: db, input: try matmulInput(32), options: smallOptions(budget: 6)) { e in
      if case .evaluated(let c, let ev, _) = e { events.append("\(c.id) \(ev.status.rawValue)") }
    }
    let summary = try engine.run()
    #expect(summary.stopReason == .budget)
    #expect(summary.stats.evaluated == 6)
    let evals = try db.evaluations(workload: summary.workloadID, target: summary.targetID)
    #expect(evals.count == 6)
    let cands = try db.candidates(workload: summary.workloadID, target: summary.targetID)
    // The default schedule is the first candidate evaluated and the baseline.
    #expect(cands.first?.proposer == "default")
    #expect(evals.first?.candidateID == cands.first?.id)
    #expect(evals.first?.status == .ok)
    #expect(Set(cands.map(\.irHash)).count == cands.count)
    let best = try #require(try db.best(workload: summary.workloadID, target: summary.targetID))
    #expect(best.1.status == .ok)
    #expect(best.1.speedup != nil)

    // The compile-side lookup finds it for the same spec and shape, and not for another shape.
    let source = SourceFile(path: "specs/matmul.kev", text: try Paths.text("specs/matmul.kev"))
    let front = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding(["M": 32, "N": 32, "K": 32], location: .unknown)
    let tuned = try #require(try TunedSchedule.lookup(databasePath: db.path, kernel: front, bound: bound))
    #expect(tuned.candidateID == best.0.id)
    #expect(tuned.note.hasPrefix("using tuned schedule from DB (candidate #\(best.0.id), "))
    let other = try front.binding(["M": 48, "N": 32, "K": 32], location: .unknown)
    #expect(try TunedSchedule.lookup(databasePath: db.path, kernel: front, bound: other) == nil)
    // Another target's records are never used.
    var elsewhere = HostTarget.current()
    elsewhere.device = "some other cpu"
    #expect(try TunedSchedule.lookup(databasePath: db.path, kernel: front, bound: bound, target: elsewhere) == nil)

    let html = try SearchReport.html(
      db: db, workload: try #require(try db.workloads().first), target: try #require(try db.targets().first))
    #expect(html.contains("<svg") && html.contains("Lineage of the best candidate") && !html.contains("http://cdn"))

    // Timing you can trust (issue 17): every time has its spread (IQR) stored, and every correct candidate after
    // the default was timed beside a fresh measurement of the default (paired), which its speedup divides.
    let correct = evals.filter { $0.status == .ok }
    #expect(correct.allSatisfy { $0.timeIQR != nil }, "\(correct.map(\.workerReport))")
    for e in correct where e.candidateID != cands.first?.id {
      #expect(e.pairedBaseline && e.pairedBaselineIQR != nil, "\(e.workerReport ?? "")")
      if let b = e.baselineTime, let t = e.medianTime, let s = e.speedup { #expect(abs(s - b / t) < 1e-9) }
    }
    #expect(try db.describeCandidate(best.0.id)?.contains(" ± ") == true)
    // References once per (shape, seed) on the CPU too (issue 17): the candidates of a reference epoch share their
    // trial seeds and read the spec's float64 references from the shared cache instead of interpreting them again;
    // every CPU worker says where its time went.
    let reports = evals.compactMap { $0.workerReport }.compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    let cached = reports.compactMap { ($0["references_cached"] as? NSNumber)?.intValue }.reduce(0, +)
    #expect(cached > 0, "\(reports)")
    #expect(evals.filter { $0.status == .ok }.allSatisfy { $0.phaseSeconds["compile"] != nil && $0.phaseSeconds["timing"] != nil })
    // A result above 100% of the roofline floor is flagged: never the best, never a speedup.
    var flagged = best.1
    flagged.workerReport = #"{"flag": "250% of the roofline floor (faster than the floor allows)"}"#
    try db.insertEvaluation(flagged)
    let next = try db.best(workload: summary.workloadID, target: summary.targetID)
    #expect(next?.0.id != best.0.id)
    #expect(try db.describeCandidate(best.0.id)?.contains("FLAGGED: 250% of the roofline floor") == true)
  }

  @Test func aHarnessErrorIsRetriedAloneThenRecordedNeverBlamed() throws {
    // Candidate 2's evaluation fails in the harness every time: it is evaluated once more with nothing else in
    // flight, then recorded as harness_error (not crash), and the search goes on to its budget.
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("h.db").path)
    var options = smallOptions(budget: 4)
    options.jobs = 2
    options.faults = [2: "harness_error"]
    var messages: [String] = []
    let engine = SearchEngine(db: db, input: try matmulInput(16), options: options) { e in
      if case .message(let m) = e { messages.append(m) }
    }
    let summary = try engine.run()
    #expect(summary.stats.evaluated == 4)
    let evals = try db.evaluations(workload: summary.workloadID, target: summary.targetID)
    let two = try #require(evals.first { $0.candidateID == 2 })
    #expect(two.status == .harnessError && two.error?.contains("injected") == true)
    #expect(messages.filter { $0.contains("candidate #2: harness error") && $0.contains("again alone") }.count == 1)
    #expect(evals.filter { $0.candidateID != 2 }.allSatisfy { $0.status != .harnessError })
  }

  @Test func interquartileRangeMatchesTheHarness() {
    // python/kevc_gpu/worker.py _stats: linear interpolation between order statistics.
    #expect(WorkerEvaluation.iqr([1, 2, 3, 4, 5]) == 2)
    #expect(WorkerEvaluation.iqr([4, 1, 3, 2]) == 1.5)
    #expect(WorkerEvaluation.iqr([7]) == 0)
    #expect(WorkerEvaluation.iqr([]) == nil)
  }

  @Test func aDeviceTimeBudgetStopsTheSearchAndCountsEarlierRuns() throws {
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("d.db").path)
    var options = smallOptions(budget: 20)
    options.deviceTime = 0.001  // less than any evaluation: the baseline (alone first) spends it
    let summary = try SearchEngine(db: db, input: try matmulInput(16), options: options).run()
    #expect(summary.stopReason == .deviceTime)
    #expect(summary.stats.evaluated == 1 && summary.stats.deviceSeconds > 0.001)
    // The same command again: the budget was spent by the earlier run, nothing new is evaluated.
    let again = try SearchEngine(db: db, input: try matmulInput(16), options: options).run()
    #expect(again.stopReason == .deviceTime && again.stats.evaluatedThisRun == 0)
    // A GPU worker's device time is its phases on the GPU: not start-up, loading or waiting for the lock.
    var gpu = try #require(try db.evaluations(workload: summary.workloadID, target: summary.targetID).first)
    gpu.workerSeconds = 30
    gpu.workerReport = #"{"phase_seconds":{"start":3,"load-kernel":1,"compile ahead":2,"waiting for the device":20,"trial 1":4,"timing":1.5,"roofline":0.5}}"#
    #expect(gpu.deviceSeconds == 6)
  }

  @Test func aTimeLimitShorterThanOneEvaluationStillRecordsTheDefaultAndWhatIsInFlight() throws {
    // Issue 17: `--time-limit 15` stopped 42 of 66 KernelBench searches while their first evaluation (the default)
    // was still running, and recorded nothing. The limit stops new proposals; evaluations in flight finish.
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("t.db").path)
    var options = smallOptions(budget: 20)
    options.timeLimit = 0.001  // up before the first evaluation even starts
    var messages: [String] = []
    let summary = try SearchEngine(db: db, input: try matmulInput(16), options: options) { e in
      if case .message(let m) = e { messages.append(m) }
    }.run()
    #expect(summary.stopReason == .timeLimit)
    let evals = try db.evaluations(workload: summary.workloadID, target: summary.targetID)
    let cands = try db.candidates(workload: summary.workloadID, target: summary.targetID)
    #expect(evals.count == 1 && summary.stats.evaluated == 1)
    #expect(evals.first?.candidateID == cands.first { $0.proposer == "default" }?.id)
    #expect(evals.first?.status == .ok && evals.first?.medianTime != nil)
    #expect(messages.contains { $0.hasPrefix("time limit reached: waiting for 1 evaluation(s) in flight") })

    // The default's harness error is still retried alone past the limit, then recorded (never lost).
    let db2 = try TuningDatabase(path: dir.appendingPathComponent("t2.db").path)
    let d = try #require(cands.first { $0.proposer == "default" }?.id)
    options.faults = [d: "harness_error"]
    let failing = try SearchEngine(db: db2, input: try matmulInput(16), options: options).run()
    let recorded = try db2.evaluations(workload: failing.workloadID, target: failing.targetID)
    #expect(failing.stopReason == .timeLimit && recorded.count == 1)
    #expect(recorded.first?.candidateID == d && recorded.first?.status == .harnessError)
  }

  @Test func garbageProposersCannotStopTheSearch() throws {
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("g.db").path)
    var options = smallOptions(budget: 5)
    options.islands = 2
    let engine = SearchEngine(
      db: db, input: try matmulInput(16), options: options, proposers: [(GarbageProposer(), 1)])
    let summary = try engine.run()
    #expect(summary.stopReason == .budget || summary.stopReason == .exhausted)
    let calls = try db.proposerCalls(workload: summary.workloadID, target: summary.targetID)
    #expect(!calls.isEmpty)
    #expect(calls.allSatisfy { $0.proposer == "garbage" && $0.new == 0 && $0.illegal == $0.proposed })
    let reasons = calls.map(\.reasons).joined()
    #expect(reasons.contains("does not parse"))
    #expect(reasons.contains("more than 64 steps"))
    #expect(reasons.contains("lists nest more than 8 levels deep") && reasons.contains("JSON trace nests more than"))
    // Garbage was never evaluated; the roots were.
    let cands = try db.candidates(workload: summary.workloadID, target: summary.targetID)
    #expect(cands.allSatisfy { $0.proposer != "garbage" })
    #expect(try db.evaluations(workload: summary.workloadID, target: summary.targetID).contains { $0.status == .ok })
  }

  @Test func seedTracesAreEvaluatedAfterTheDefaultOnceAndIllegalOnesAreReported() throws {
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("seed.db").path)
    var options = smallOptions(budget: 3)
    options.jobs = 1
    let hand = try Trace.parse(SourceFile(path: "hand.trace", text: "tile(c, [m, n], [8, 8])\nparallel(c, m.o)\n"))
    let bad = try Trace.parse(SourceFile(path: "bad.trace", text: "vectorize(nowhere, q, 4)\n"))
    options.seedTraces = [("hand", hand), ("bad", bad)]
    var messages: [String] = []
    let engine = SearchEngine(db: db, input: try matmulInput(24), options: options) { e in
      if case .message(let m) = e { messages.append(m) }
    }
    let summary = try engine.run()
    let cands = try db.candidates(workload: summary.workloadID, target: summary.targetID)
    let evals = try db.evaluations(workload: summary.workloadID, target: summary.targetID)
    let seed = try #require(cands.first { $0.proposer == "seed:hand" }, "\(messages)")
    #expect(seed.parentID == nil)
    // The default first, the seed second: both evaluated, in that order.
    #expect(evals.count >= 2)
    #expect(evals[0].candidateID == cands.first { $0.proposer == "default" }?.id)
    #expect(evals[1].candidateID == seed.id)
    #expect(evals[1].status == .ok)
    #expect(!cands.contains { $0.proposer == "seed:bad" })
    #expect(messages.contains { $0.contains("seed trace bad is illegal here") })
    // A resumed search does not insert the seed again.
    var more = options
    more.budget = 4
    _ = try SearchEngine(db: db, input: try matmulInput(24), options: more) { _ in }.run()
    let again = try db.candidates(workload: summary.workloadID, target: summary.targetID)
    #expect(again.filter { $0.proposer == "seed:hand" }.count == 1)
  }

  @Test func seedTraceFilesThatCannotBeReadOrParsedAreLocatedErrors() throws {
    let dir = try Paths.temporaryDirectory()
    let bad = dir.appendingPathComponent("bad.trace")
    try "tile(c, [m, n], [8, 8])\nfrobnicate(c)\n".write(to: bad, atomically: true, encoding: .utf8)
    // Issue 13: a 20 KB seed trace of nested lists overflowed the search process's stack.
    let deep = dir.appendingPathComponent("deep.trace")
    try ("split(c, m, " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + ")\n")
      .write(to: deep, atomically: true, encoding: .utf8)
    for (file, expected) in [
      (dir.appendingPathComponent("missing.trace").path, "cannot read seed trace"), (bad.path, "bad.trace:2:1: error"),
      (deep.path, "deep.trace:1:21: error: lists nest more than 8 levels deep [kevc.trace.too-deep]"),
    ] {
      let p = Process()
      p.executableURL = Paths.kevc
      p.arguments = [
        "search", Paths.inRepository("specs/matmul.kev").path, "--budget", "1", "--db",
        dir.appendingPathComponent("s.db").path, "--seed-trace", file,
      ]
      let err = Pipe()
      p.standardError = err
      p.standardOutput = FileHandle.nullDevice
      try ChildProcesses.start(p)
      let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      #expect(p.terminationStatus != 0)
      #expect(text.contains(expected), "\(text)")
    }
  }

  @Test func schedulesTritonCannotProgramAreIllegalThereOnly() throws {
    let source = SourceFile(path: "specs/softmax.kev", text: try Paths.text("specs/softmax.kev"))
    let front = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding(["M": 64, "N": 256], location: .unknown)
    let gpuDefault = try DefaultSchedule.gpu(for: bound).apply(to: bound)
    #expect(SearchEngine.targetRejection(of: gpuDefault, target: "triton") == nil)
    // What the search's mutations proposed on the H200 (bench/search/gpu-h200): a block loop rebound to a warp.
    let warp = try Trace.parse(SourceFile(path: "warp.trace", text: "bind(y, m, grid.x)\nbind(y, n, warp)\n"))
    let bad = try warp.apply(to: bound)
    let reason = try #require(SearchEngine.targetRejection(of: bad, target: "triton"))
    #expect(reason.hasPrefix("not lowerable to Triton: ") && reason.contains("warp"))
    #expect(SearchEngine.targetRejection(of: bad, target: "hip") == nil)
    // The CPU refuses any bound loop before compiling (its emitter would, after).
    let cpu = try #require(SearchEngine.targetRejection(of: bad, target: "llvm"))
    #expect(cpu.hasPrefix("not lowerable to loops: ") && cpu.contains("grid.x") && cpu.contains("[kevc.llvm.unsupported-loop-kind]"))
    #expect(SearchEngine.targetRejection(of: try DefaultSchedule.cpu(for: bound).apply(to: bound), target: "llvm") == nil)
  }

  /// One search for every target: a trace Triton programs (a scan whose split inner loop is one block) is rejected
  /// on the loop-level GPU targets with the refusing step's id, and one they program (a warp binding) is accepted.
  @Test func everyTargetChecksTheSameTrace() throws {
    let source = SourceFile(path: "specs/cumsum.kev", text: try Paths.text("specs/cumsum.kev"))
    let front = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding([:], location: .unknown)
    let text = "to_scan(y)\nbind(y, m, grid.x)\nsplit(y, n, 16)\nbind(y, n.i, block.x)\n"
    let scanned = try Trace.parse(SourceFile(path: "scan.trace", text: text)).apply(to: bound)
    #expect(SearchEngine.targetRejection(of: scanned, target: "triton") == nil)
    for target in ["hip", "cute"] {
      let reason = try #require(SearchEngine.targetRejection(of: scanned, target: target))
      #expect(reason.hasPrefix(target == "hip" ? "not lowerable to HIP: " : "not lowerable to CuTe DSL: "))
      #expect(reason.contains("[kevc.lower.bad-schedule]"))
    }
    let warp = try Trace.parse(SourceFile(path: "warp.trace", text: "bind(y, m, grid.x)\nbind(y, n, warp)\n"))
    let softmax = SourceFile(path: "specs/softmax.kev", text: try Paths.text("specs/softmax.kev"))
    let k = try Compiler.compile(CompileRequest(source: softmax, kind: .spec, stages: [.ir])).kernel
    let warped = try warp.apply(to: try k.binding(["M": 64, "N": 256], location: .unknown))
    #expect(SearchEngine.targetRejection(of: warped, target: "hip") == nil)
    #expect(SearchEngine.targetRejection(of: warped, target: "cute") == nil)
    // Loop-level GPU targets draw every binding, and no CPU thread loops or launch shapes.
    #expect(SearchHistory.bindDimensions(target: "hip") == GPUDimension.allCases)
    let kinds = RooflineGuided.kinds(memoryBound: true, target: "cute")
    #expect(kinds.contains(.bind) && !kinds.contains(.parallel) && !kinds.contains(.launch))
  }

  @Test func aWorkerWhoseSearchDiedExits() throws {
    // A shell stands in for the search: it starts a worker whose stdin is a pipe this test holds open (the worker
    // waits for a request for as long as the test runs; only the orphan check can end it) and is then killed; the
    // orphaned worker must exit by itself, within 5 s. (Before, `sleep 8 | kevc worker` held its stdin: the test
    // took 8 s, as the killed shell's exit was seen only once `sleep` ended, and by then end of input alone would
    // have ended a worker without the check.) The pipe reaches the background worker through fd 3: sh gives an
    // asynchronous command /dev/null as stdin, and `<&0` would copy that.
    let shell = Process()
    shell.executableURL = URL(fileURLWithPath: "/bin/sh")
    shell.arguments = ["-c", "exec 3<&0; '\(Paths.kevc.path)' worker <&3 >/dev/null 2>&1 & echo $!; wait"]
    let input = Pipe()
    shell.standardInput = input
    let out = Pipe()
    shell.standardOutput = out
    try ChildProcesses.start(shell)
    defer { try? input.fileHandleForWriting.close() }
    let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
    let pid = try #require(Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)))
    Thread.sleep(forTimeInterval: 0.5)
    #expect(kill(pid, 0) == 0)
    kill(shell.processIdentifier, SIGKILL)
    var gone = false
    for _ in 0..<50 where !gone {
      Thread.sleep(forTimeInterval: 0.1)
      gone = kill(pid, 0) != 0 || (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?
        .split(separator: ")").last?.split(separator: " ").first == "Z"
    }
    #expect(gone, "the worker outlived its search")
    if !gone { kill(pid, SIGKILL) }
    shell.waitUntilExit()
  }

  /// A CPU search (target llvm) draws no step only a GPU expresses (`TransformKind.gpuOnly`: bind, launch, dot,
  /// precision, group_programs, persistent, compute_with): from the CPU default and from the empty trace, in every
  /// built-in proposer, mutations of its steps included. Before, the random proposer drew `bind(..., grid.x)` and
  /// launch shapes for the CPU (a compile error or an equivalent schedule per draw).
  @Test func proposersForTheCPUProposeNoGPUSteps() throws {
    let source = SourceFile(path: "specs/softmax.kev", text: try Paths.text("specs/softmax.kev"))
    let front = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding(["M": 64, "N": 256], location: .unknown)
    func kinds(target: String) throws -> Set<TransformKind> {
      var seen = Set<TransformKind>()
      let parents = try [DefaultSchedule.cpu(for: bound), Trace([])].enumerated().map { i, trace in
        CandidateView(id: i + 1, trace: trace, kernel: bound, scheduled: try trace.apply(to: bound))
      }
      for parent in parents {
        var history = SearchHistory(
          evaluated: 1, baselineTime: nil, best: parent, elite: parents, cost: WorkloadCost(bound),
          machine: nil, recentFailures: [])
        history.target = target
        var proposers: [any Proposer] = [
          ParameterMutation(seed: 3), StructuralEdit(seed: 4), Crossover(seed: 5), RooflineGuided(seed: 6),
        ]
        for i in proposers.indices {
          for p in proposers[i].propose(parent: parent, history: history, count: 300) {
            guard case .trace(let t) = p else { continue }
            seen.formUnion(t.steps.map(\.kind))
          }
        }
      }
      return seen
    }
    let cpu = try kinds(target: "llvm")
    #expect(cpu.isDisjoint(with: TransformKind.gpuOnly), "\(cpu.intersection(TransformKind.gpuOnly))")
    #expect(cpu.contains(.parallel) && cpu.contains(.vectorize))
    // A GPU search draws them from the same parents (the test sees the difference).
    #expect(!(try kinds(target: "hip")).isDisjoint(with: TransformKind.gpuOnly))
    #expect(SearchHistory.proposableKinds(target: "llvm").isDisjoint(with: TransformKind.gpuOnly))
    for memoryBound in [true, false] {
      #expect(Set(RooflineGuided.kinds(memoryBound: memoryBound, target: "llvm")).isDisjoint(with: TransformKind.gpuOnly))
    }
  }

  @Test func proposersForTritonNeverBindThreadsOrWarps() throws {
    let source = SourceFile(path: "specs/softmax.kev", text: try Paths.text("specs/softmax.kev"))
    let front = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding(["M": 64, "N": 256], location: .unknown)
    let trace = DefaultSchedule.gpu(for: bound)
    let parent = CandidateView(id: 1, trace: trace, kernel: bound, scheduled: try trace.apply(to: bound))
    func binds(target: String) -> Set<GPUDimension> {
      var history = SearchHistory(
        evaluated: 1, baselineTime: nil, best: parent, elite: [parent], cost: WorkloadCost(bound), machine: nil,
        recentFailures: [])
      history.target = target
      var proposers: [any Proposer] = [
        ParameterMutation(seed: 3), StructuralEdit(seed: 4), Crossover(seed: 5), RooflineGuided(seed: 6),
      ]
      var seen = Set<GPUDimension>()
      for i in proposers.indices {
        for p in proposers[i].propose(parent: parent, history: history, count: 300) {
          guard case .trace(let t) = p else { continue }
          for case .bind(_, _, let d) in t.steps { seen.insert(d) }
        }
      }
      return seen
    }
    let triton = binds(target: "triton")
    #expect(!triton.isEmpty && triton.isSubset(of: Set(GPUDimension.blockLevel)), "\(triton)")
    // On a loop-level target every dimension stays in the draw (the test sees the difference).
    #expect(!binds(target: "hip").isSubset(of: Set(GPUDimension.blockLevel)))
    // The roofline proposer maps loops onto the GPU instead of CPU threads there.
    for memoryBound in [true, false] {
      #expect(!RooflineGuided.kinds(memoryBound: memoryBound, target: "triton").contains(.parallel))
      #expect(RooflineGuided.kinds(memoryBound: memoryBound, target: "triton").contains(.bind))
      #expect(RooflineGuided.kinds(memoryBound: memoryBound, target: "llvm").contains(.parallel))
    }
  }

  @Test func workersThatCrashHangOrWriteGarbageAreClassified() throws {
    let spec = "kernel add(x: f32[N], y: f32[N]) -> (z: f32[N]) {\n  dims N = 17\n  z[i] = x[i] + y[i]\n}\n"
    let pool = try WorkerPool(executable: Paths.kevc, timeout: 6)
    for (id, fault) in [(1, "crash"), (2, "garbage"), (3, "hang"), (4, nil)] as [(Int, String?)] {
      try pool.launch(
        id: id,
        request: WorkerRequest(
          specPath: "add.kev", specText: spec, kind: "spec", shape: ["N": 17], trace: Trace([]), trials: 1,
          secondsPerRepeat: 0.001, repeats: 1, fault: fault))
    }
    var results: [Int: WorkerResult] = [:]
    let deadline = Date().addingTimeInterval(90)
    while results.count < 4, Date() < deadline {
      for (id, r) in pool.poll() { results[id] = r }
      usleep(20_000)
    }
    #expect(results[1]?.status == .crash)
    #expect(results[1]?.error?.contains("signal") == true)
    #expect(results[2]?.status == .crash)
    #expect(results[2]?.error?.contains("no valid result") == true)
    #expect(results[3]?.status == .timeout)
    #expect(results[4]?.status == .ok)
    #expect(results[4]?.medianTime != nil)
  }

  /// Issue 13: with `--jobs 2`, a correct candidate waiting for the timing lock held by a slow one was killed as a
  /// `timeout`. Time spent waiting for a lock never counts: here the lock is held for 2 s past the timeout.
  @Test func waitingForTheTimingLockNeverCountsAgainstTheTimeout() throws {
    let spec = "kernel add(x: f32[N], y: f32[N]) -> (z: f32[N]) {\n  dims N = 17\n  z[i] = x[i] + y[i]\n}\n"
    let dir = try Paths.temporaryDirectory()
    let lockPath = dir.appendingPathComponent("timing.lock").path
    let fd = open(lockPath, O_CREAT | O_RDWR, 0o644)
    #expect(fd >= 0 && flock(fd, LOCK_EX) == 0)
    let timeout = 8.0
    let pool = try WorkerPool(executable: Paths.kevc, timeout: timeout)
    var request = WorkerRequest(
      specPath: "add.kev", specText: spec, kind: "spec", shape: ["N": 17], trace: Trace([]), trials: 1,
      secondsPerRepeat: 0.001, repeats: 1, timingLock: lockPath)
    request.target = "llvm"
    try pool.launch(id: 1, request: request)
    // Released 2 s past the timeout (it was twice the timeout, 16 s): a wait that counted would have killed the
    // worker before then.
    let released = Date().addingTimeInterval(timeout + 2)
    var result: WorkerResult?
    let deadline = Date().addingTimeInterval(120)
    while result == nil, Date() < deadline {
      if fd >= 0, Date() > released, flock(fd, LOCK_UN) == 0 { close(fd) }
      result = pool.poll().first?.result
      usleep(50_000)
    }
    #expect(result?.status == .ok, "\(String(describing: result))")
    #expect((result?.seconds ?? 0) > timeout, "the worker waited for the lock longer than its timeout")
  }

  /// A worker gets a memory cap; past it the candidate is a resource failure (`out of memory:`), not a harness
  /// failure: here the cap is far below what the worker's own runtime needs, and far below a workload that would
  /// need 12 GiB.
  /// (Foundation's Process once missed the capped worker's exit and this test hung; the pool now spawns workers
  /// itself and reaps them with waitpid.)
  @Test func workersPastTheirMemoryCapAreOutOfMemory() throws {
    let spec = "kernel add(x: f32[N], y: f32[N]) -> (z: f32[N]) {\n  dims N = 17\n  z[i] = x[i] + y[i]\n}\n"
    let tiny = try WorkerPool(executable: Paths.kevc, timeout: 60, memoryLimit: 32 << 20)
    let request = WorkerRequest(
      specPath: "add.kev", specText: spec, kind: "spec", shape: ["N": 17], trace: Trace([]), trials: 1,
      secondsPerRepeat: 0.001, repeats: 1)
    try tiny.launch(id: 1, request: request)
    let big = try WorkerPool(executable: Paths.kevc, timeout: 60, memoryLimit: 1 << 30)
    var large = request
    large.shape = ["N": 1 << 30]
    try big.launch(id: 2, request: large)
    var results: [Int: WorkerResult] = [:]
    let deadline = Date().addingTimeInterval(120)
    while results.count < 2, Date() < deadline {
      for (id, r) in tiny.poll() + big.poll() { results[id] = r }
      usleep(50_000)
    }
    #expect(results[1]?.status == .crash)
    #expect(results[1]?.error?.hasPrefix("out of memory:") == true, "\(String(describing: results[1]))")
    #expect(results[2]?.status == .crash)
    #expect(results[2]?.error?.hasPrefix("out of memory: running at the workload shape needs about") == true,
      "\(String(describing: results[2]))")
  }

  /// A compile that runs past the worker's compile limit (here far below any compile) is reported by the worker
  /// itself as a `timeout` whose error starts with `compile_timeout:`, with the located diagnostic's message.
  @Test func workersReportCompilesPastTheirLimitAsCompileTimeouts() throws {
    let spec = "kernel add(x: f32[N], y: f32[N]) -> (z: f32[N]) {\n  dims N = 17\n  z[i] = x[i] + y[i]\n}\n"
    let pool = try WorkerPool(executable: Paths.kevc, timeout: 60)
    var request = WorkerRequest(
      specPath: "add.kev", specText: spec, kind: "spec", shape: ["N": 17], trace: Trace([]), trials: 1,
      secondsPerRepeat: 0.001, repeats: 1)
    request.compileSeconds = 0.001
    try pool.launch(id: 1, request: request)
    var result: WorkerResult?
    let deadline = Date().addingTimeInterval(60)
    while result == nil, Date() < deadline {
      result = pool.poll().first?.result
      usleep(20_000)
    }
    #expect(result?.status == .timeout, "\(String(describing: result))")
    #expect(result?.error?.hasPrefix("compile_timeout: llvm did not finish compiling kernel 'add' within") == true,
      "\(String(describing: result))")
  }

  /// Issue 13: a database row holding a trace past the limits (a split factor of 2^63 - 1) crashed `kevc compile`
  /// and `kevc search`. The compile lookup skips it with a reason and takes the next fastest record; a search
  /// resuming on that database rejects it and goes on.
  @Test func rowsWithTracesPastTheLimitsAreSkippedNotCrashedOn() throws {
    let dir = try Paths.temporaryDirectory()
    let path = dir.appendingPathComponent("o.db").path
    let db = try TuningDatabase(path: path)
    let first = try SearchEngine(db: db, input: try matmulInput(16), options: smallOptions(budget: 1)).run()
    let baseline = try #require(try db.best(workload: first.workloadID, target: first.targetID))
    let bad = Trace([.split(tensor: "c", loop: "m", factor: Int.max), .rfactor(tensor: "c", loop: "k", factor: Int.max)])
    let id = try db.insertCandidate(
      workload: first.workloadID, target: first.targetID, irHash: "overflow", traceJSON: bad.json, irText: "",
      parent: nil, secondParent: nil, proposer: "test", transform: nil, island: 0)
    var e = baseline.1
    e.candidateID = id
    e.medianTime = (baseline.1.medianTime ?? 1) / 100  // the fastest record
    try db.insertEvaluation(e)

    let source = SourceFile(path: "specs/matmul.kev", text: try Paths.text("specs/matmul.kev"))
    let front = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding(["M": 16, "N": 16, "K": 16], location: .unknown)
    var warnings: [String] = []
    let tuned = try #require(
      try TunedSchedule.lookup(databasePath: path, kernel: front, bound: bound, warn: { warnings.append($0) }))
    #expect(tuned.candidateID == baseline.0.id)
    #expect(warnings.count == 1 && warnings[0].hasPrefix("skipping tuned schedule #\(id): "), "\(warnings)")
    #expect(warnings.first?.contains("larger than the limit") == true, "\(warnings)")

    let compile = try runKevc(
      ["compile", Paths.inRepository("specs/matmul.kev").path, "--shape", "M=16,N=16,K=16", "--db", path, "--emit",
       "scheduled"], in: dir)
    #expect(compile.0 == 0, "\(compile.2)")
    #expect(compile.2.contains("warning: skipping tuned schedule #\(id)"), "\(compile.2)")
    #expect(compile.2.contains("using tuned schedule from DB (candidate #\(baseline.0.id)"), "\(compile.2)")

    let again = try SearchEngine(db: db, input: try matmulInput(16), options: smallOptions(budget: 3)).run()
    #expect(again.stats.evaluatedThisRun >= 1)
  }

  @Test func sigkilledSearchResumesWithoutReevaluating() throws {
    let dir = try Paths.temporaryDirectory()
    let dbPath = dir.appendingPathComponent("k.db").path
    let spec = Paths.inRepository("specs/matmul.kev").path
    let args = [
      "search", spec, "--shape", "M=24,N=24,K=24", "--budget", "14", "--jobs", "2", "--trials", "2", "--db", dbPath,
      "--seed", "7",
    ]
    let process = Process()
    process.executableURL = Paths.kevc
    process.arguments = args
    process.currentDirectoryURL = dir
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try ChildProcesses.start(process)
    // Wait until a few evaluations are committed, then SIGKILL.
    var recorded = 0
    let deadline = Date().addingTimeInterval(240)
    while recorded < 3, process.isRunning, Date() < deadline {
      usleep(100_000)
      if FileManager.default.fileExists(atPath: dbPath),
        let c = try? SQLiteConnection(path: dbPath, readOnly: true)
      {
        recorded = (try? c.scalar("SELECT count(*) FROM evaluations")) ?? 0
      }
    }
    #expect(process.isRunning, "the search ended before it could be killed")
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()

    let before = try TuningDatabase(path: dbPath, create: false)
    let firstEvals = try before.connection.query("SELECT candidate_id, median_time, status FROM evaluations ORDER BY id")
    #expect(firstEvals.count >= 3 && firstEvals.count < 14)

    let (status, out, err) = try runKevc(args, in: dir)
    #expect(status == 0, "\(err)")
    #expect(out.contains("resuming: \(firstEvals.count) evaluations"))
    let after = try TuningDatabase(path: dbPath, create: false)
    let all = try after.connection.query("SELECT candidate_id, median_time, status FROM evaluations ORDER BY id")
    #expect(all.count == 14)
    // The first run's results are kept as they were, and no candidate (IR hash) is evaluated twice.
    for (i, r) in firstEvals.enumerated() {
      #expect(all[i]["candidate_id"] == r["candidate_id"] && all[i]["median_time"] == r["median_time"])
    }
    let hashes = try after.connection.query(
      "SELECT c.ir_hash AS h FROM evaluations e JOIN candidates c ON c.id = e.candidate_id")
    #expect(Set(hashes.map { $0["h"] }).count == hashes.count)

    // kevc compile picks up the best record and says so.
    let (cs, _, cerr) = try runKevc(
      ["compile", spec, "--shape", "M=24,N=24,K=24", "--emit", "ir", "-o", "-", "--db", dbPath], in: dir)
    #expect(cs == 0)
    #expect(cerr.contains("using tuned schedule from DB (candidate #"))
    let (_, _, nerr) = try runKevc(
      ["compile", spec, "--shape", "M=24,N=24,K=24", "--emit", "ir", "-o", "-", "--db", dbPath, "--no-db"], in: dir)
    #expect(!nerr.contains("tuned schedule"))
    // A foreign file is reported, not used.
    let bogus = dir.appendingPathComponent("bogus.db")
    try Data("not a database at all".utf8).write(to: bogus)
    let (bs, _, berr) = try runKevc(["compile", spec, "--emit", "ir", "-o", "-", "--db", bogus.path], in: dir)
    #expect(bs == 1)
    #expect(berr.contains("bogus.db is not a kevc tuning database"))
  }
}

/// The GPU side of the search: the harness's JSON summary mapped onto search results, and a clear error where
/// there is no GPU. (The evaluation itself runs on the GPU machine: bench/search/gpu.sh.)
@Suite struct TritonSearchTests {
  @Test func harnessSummariesBecomeSearchResults() throws {
    let ok = WorkerEvaluation.tritonResult(
      #"{"status": "ok", "reason": "", "cases": [{"trials": [{"results": {"y": {"max_abs": 0.002, "max_rel": "1e-5"}}}]},"#
        + #"{"trials": [{"results": {"y": {"max_abs": 0.004, "max_rel": 3e-6}}}]}],"#
        + #""timing": {"median_s": 0.0005}, "roofline": {"floor_s": 0.0004}}"#,
      labels: ["M=8192,N=8192", "M=61,N=203"])
    #expect(ok.status == .ok && ok.medianTime == 0.0005 && ok.floorSeconds == 0.0004)
    #expect(ok.maxAbsError == 0.004 && ok.maxRelError == 1e-5 && ok.checkedShapes.count == 2)
    // A flag (faster than the floor, 10x faster than eager, timing functions patched) is never trusted.
    let flagged = WorkerEvaluation.tritonResult(
      #"{"status": "flagged", "reason": "faster than the roofline floor", "timing": {"median_s": 1e-7}}"#, labels: [])
    #expect(flagged.status == .wrong && flagged.error?.contains("roofline floor") == true)
    #expect(WorkerEvaluation.tritonResult(#"{"status": "nan", "reason": "r"}"#, labels: []).status == .nan)
    #expect(WorkerEvaluation.tritonResult(#"{"status": "timeout"}"#, labels: []).status == .timeout)
    #expect(WorkerEvaluation.tritonResult(#"{"status": "compile_error"}"#, labels: []).status == .compileError)
    // The harness's own out-of-memory (and a harness that could not evaluate) is never the candidate's crash.
    let oom = WorkerEvaluation.tritonResult(
      #"{"status": "harness_error", "reason": "out of memory in the float64 reference: MemoryError"}"#, labels: [])
    #expect(oom.status == .harnessError && oom.error?.contains("float64 reference") == true)
    #expect(WorkerEvaluation.tritonResult(#"{"status": "error", "reason": "no CUDA device"}"#, labels: []).status == .harnessError)
    #expect(EvaluationStatus(rawValue: "harness_error") == .harnessError)
    #expect(WorkerEvaluation.tritonResult("not json {{", labels: []).status == .crash)
    // Phases are summed over the cases; a retry of the checks with the device to itself is kept with its reason.
    let retried = WorkerEvaluation.tritonResult(
      #"{"status": "ok", "timing": {"median_s": 0.001}, "cases": [{"phase_seconds": {"start": 2.5, "trial 1": 1.0},"#
        + #""retried_alone": "exception in launch: OutOfMemoryError: CUDA out of memory"},"#
        + #"{"phase_seconds": {"trial 1": 0.5, "timing": 0.25}}]}"#, labels: ["a", "b"])
    #expect(retried.phaseSeconds == ["start": 2.5, "trial 1": 1.5, "timing": 0.25])
    #expect(retried.retriedAlone?.contains("out of memory") == true)
    let stored = try #require(SearchEngine.workerReport(retried))
    #expect(stored.hasPrefix(#"{"phase_seconds":{"start":2.5,"timing":0.25,"trial 1":1.5},"retried_alone":"#), "\(stored)")
    #expect(SearchEngine.workerReport(WorkerResult(status: .ok)) == nil)
    // The seconds the device lock was held, by mode and part, and the compiles by mode: summed over the cases.
    let held = WorkerEvaluation.tritonResult(
      #"{"status": "ok", "timing": {"median_s": 0.001}, "cases": [{"lock_held": {"shared": 0.5, "shared: kernel": 0.25,"#
        + #""exclusive": 0.125}, "compiles": {"none": 2}}, {"lock_held": {"shared": 0.25}, "compiles": {"none": 1, "shared": 1}}]}"#,
      labels: ["a", "b"])
    #expect(held.lockHeld == ["shared": 0.75, "shared: kernel": 0.25, "exclusive": 0.125])
    #expect(held.compiles == ["none": 3, "shared": 1])
    let heldReport = try #require(SearchEngine.workerReport(held))
    #expect(heldReport.contains(#""compiles":{"none":3,"shared":1}"#) && heldReport.contains(#""shared: kernel":0.25"#), "\(heldReport)")
    // The device a warm worker ran the candidate on: index, name and UUID, kept in the worker_report.
    let onDevice = WorkerEvaluation.tritonResult(
      #"{"status": "ok", "timing": {"median_s": 0.001}, "cases": [{"worker": {"warm": {"device": 1, "pid": 7,"#
        + #""device_name": "NVIDIA H100", "device_uuid": "GPU-1234"}}}]}"#, labels: ["a"])
    #expect(onDevice.device == EvaluationDevice(index: 1, name: "NVIDIA H100", uuid: "GPU-1234"))
    let deviceReport = try #require(SearchEngine.workerReport(onDevice))
    #expect(deviceReport == #"{"device":{"index":1,"name":"NVIDIA H100","uuid":"GPU-1234"}}"#, "\(deviceReport)")
    #expect(held.device == nil)
    // "ok" without a timing cannot be ranked: classified, not trusted.
    #expect(WorkerEvaluation.tritonResult(#"{"status": "ok"}"#, labels: []).status == .crash)
  }

  /// The whole triton search path without a GPU: a stand-in `nvidia-smi`, the GPU harness on the CPU
  /// (KEVC_GPU_DEVICE=cpu) and Triton's interpreter. kevc search -> worker -> both shapes in one harness worker ->
  /// device lock -> results in the database, the seed trace evaluated after the default. Times mean nothing here.
  @Test func tritonSearchEndToEndUnderTritonsInterpreter() throws {
    guard let gpu = try Self.interpreterGPU() else { return }  // no torch or Triton here: nothing to run it with
    let (dir, interpreter) = gpu
    let db = dir.appendingPathComponent("i.db").path
    var env = interpreter
    // Two simulated devices: a warm-worker pool per device (issue 17), each device with its own lock and budget.
    env["KEVC_SIMULATED_DEVICES"] = "2"
    env["KEVC_SIMULATED_DEVICE_MEMORY"] = String(8 << 30)
    let (status, log) = try Self.kevc(
      [
        "search", Paths.inRepository("specs/softmax.kev").path, "--target", "triton", "--shape", "M=5,N=16",
        "--budget", "2", "--jobs", "2", "--trials", "1", "--db", db,
        "--seed-trace", Paths.inRepository("bench/gpu/softmax.trace").path,
      ], env: env)
    #expect(status == 0, "\(log)")
    #expect(log.contains("warm workers on device(s) [0, 1]"), "\(log)")
    #expect(log.contains("budget 7168 MiB per device, 2 device(s)"), "\(log)")
    let database = try TuningDatabase(path: db)
    let target = try #require(try database.targets().first)
    #expect(target.device == "Interpreter GPU" && target.kind == "triton")
    let cands = try database.candidates(workload: 1, target: target.id)
    let evals = try database.evaluations(workload: 1, target: target.id)
    #expect(evals.count == 2, "\(log)")
    #expect(evals.allSatisfy { $0.status == .ok }, "\(log)")
    #expect(Set(evals.map(\.candidateID)) == Set(cands.filter { ["default", "seed:softmax"].contains($0.proposer) }.map(\.id)))
    // The sketches are roots, queued after the default and the seed traces.
    #expect(cands.contains { $0.proposer == "sketch:rows2" && $0.parentID == nil }, "\(cands.map(\.proposer))")
    #expect(evals.allSatisfy { ($0.checkedShapes ?? "").contains("M=5,N=16") && ($0.checkedShapes ?? "").contains("M=61,N=203") })
    // Each evaluation records the device it ran on (index, name, UUID); the pool spreads the two over both devices,
    // `kevc db show` names it and the report sums per device.
    let devices = evals.compactMap(\.device)
    #expect(devices.count == 2, "\(evals.map(\.workerReport))")
    #expect(Set(devices.map(\.uuid)) == ["simulated-0", "simulated-1"], "\(devices)")
    #expect(Set(devices.map(\.index)) == [0, 1] && devices.allSatisfy { $0.name?.hasPrefix("simulated cpu") == true })
    for e in evals {
      let shown = try #require(try database.describeCandidate(e.candidateID))
      #expect(shown.contains("device: simulated-\(e.device?.index ?? -1) (simulated cpu"), "\(shown)")
    }
    let workload = try #require(try database.workloads().first)
    let html = try SearchReport.html(db: database, workload: workload, target: target)
    #expect(html.contains("simulated-0 (simulated cpu 0, index 0): 1 evaluation(s)"), "\(html.prefix(3000))")
    #expect(html.contains("simulated-1 (simulated cpu 1, index 1): 1 evaluation(s)"))
    // Where each worker's time went is recorded with its evaluation, and the log names the longest phase.
    for e in evals {
      let report = try #require(e.workerReport.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
      let phases = try #require(report["phase_seconds"] as? [String: Double])
      #expect(phases["start"] != nil && phases["trial 1"] != nil && phases["timing"] != nil, "\(phases)")
      #expect(report["retried_alone"] == nil)
      // How long the device lock was held, and on what (python/kevc_gpu/held.py); no compile on the interpreter.
      let held = try #require(report["lock_held"] as? [String: Double], "\(report)")
      #expect((held["shared"] ?? 0) > 0 && (held["exclusive: timing"] ?? 0) > 0, "\(held)")
      #expect(report["compiles"] == nil, "\(report)")
    }
    // (The default shape's six trials, one per distribution, run Triton's interpreter: often the longest here.)
    #expect(log.contains(" s start]") || log.contains(" s load-kernel]") || log.contains(" s trial ")
      || log.contains(" s timing]") || log.contains(" s waiting for the device]"), "\(log)")
  }

  /// A scratch folder and the environment of a Triton search on the CPU (KEVC_GPU_DEVICE=cpu, Triton's interpreter,
  /// a stand-in nvidia-smi naming an "Interpreter GPU"); nil where torch or Triton is missing.
  static func interpreterGPU() throws -> (URL, [String: String])? {
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    probe.arguments = ["python3", "-c", "import torch, triton"]
    probe.standardError = FileHandle.nullDevice
    try ChildProcesses.start(probe)
    probe.waitUntilExit()
    guard probe.terminationStatus == 0 else { return nil }
    let dir = try Paths.temporaryDirectory()
    let fake = dir.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: fake, withIntermediateDirectories: true)
    let smi = fake.appendingPathComponent("nvidia-smi")
    try "#!/bin/sh\necho 'Interpreter GPU, 9.0, 0.0'\n".write(to: smi, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: smi.path)
    var env = ProcessInfo.processInfo.environment
    env["PATH"] = fake.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
    env["KEVC_GPU_DEVICE"] = "cpu"
    env["TRITON_INTERPRET"] = "1"
    env["KEVC_PYTHON_DIR"] = Paths.inRepository("python").path
    return (dir, env)
  }

  /// `kevc ARGS` in `env`: its exit status and its output (standard output and error together).
  static func kevc(_ arguments: [String], env: [String: String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = Paths.kevc
    process.arguments = arguments
    process.environment = env
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    try ChildProcesses.start(process)
    let log = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, log)
  }

  /// Searches side by side share one warm-worker server started by their caller (`--harness-server`, as
  /// bench/kernelbench/run.py does): the search starts none, its candidates run in the server's workers (their pid
  /// in each case's `worker.warm`, the device in `worker_report`), and the server outlives the search.
  @Test func aTritonSearchUsesAHarnessServerItIsGiven() throws {
    guard let gpu = try Self.interpreterGPU() else { return }  // no torch or Triton here: nothing to run it with
    let (dir, interpreter) = gpu
    var env = interpreter
    env["PYTHONPATH"] = Paths.inRepository("python").path
    let socket = dir.appendingPathComponent("s.sock").path
    let server = Process()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    server.arguments = ["python3", "-m", "kevc_gpu", "serve", "--socket", socket, "--workers", "1"]
    server.environment = env
    let listening = Pipe()
    server.standardOutput = listening
    server.standardError = FileHandle.nullDevice
    try ChildProcesses.start(server)
    defer {
      // SIGKILL: a process started from a test thread inherits its blocked signals, SIGTERM among them (the warm
      // workers die with the server: PR_SET_PDEATHSIG).
      kill(server.processIdentifier, SIGKILL)
      server.waitUntilExit()
    }
    let first = String(decoding: listening.fileHandleForReading.availableData, as: UTF8.self)
    #expect(first.contains("\"listening\""), "\(first)")
    let db = dir.appendingPathComponent("h.db").path
    let (status, log) = try Self.kevc(
      [
        "search", Paths.inRepository("specs/softmax.kev").path, "--target", "triton", "--shape", "M=5,N=16",
        "--budget", "1", "--jobs", "1", "--trials", "1", "--db", db, "--harness-server", socket,
      ], env: env)
    #expect(status == 0, "\(log)")
    #expect(log.contains("warm workers of the harness server at \(socket)"), "\(log)")
    #expect(!log.contains("warm workers on device(s)"), "\(log)")
    let database = try TuningDatabase(path: db)
    let target = try #require(try database.targets().first)
    let evals = try database.evaluations(workload: 1, target: target.id)
    #expect(evals.count == 1 && evals.allSatisfy { $0.status == .ok }, "\(log)")
    #expect(evals.first?.device?.uuid == "cpu", "\(evals.map(\.workerReport))")
    #expect(server.isRunning)  // the caller's server outlives the search
  }

  @Test func withoutAGPUTheTritonSearchSaysSo() throws {
    guard HostTarget.gpu() == nil else { return }  // the GPU machine runs the real search instead
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("t.db").path)
    var options = smallOptions(budget: 2)
    options.target = "triton"
    let engine = SearchEngine(db: db, input: try matmulInput(32), options: options) { _ in }
    do {
      _ = try engine.run()
      Issue.record("a triton search without a GPU must fail")
    } catch let e as DiagnosticError {
      #expect(e.diagnostics.first?.id == DiagnosticID("search", "no-device"))
      #expect(e.diagnostics.first?.message.contains("needs a CUDA GPU") == true)
    }
    #expect(try db.evaluations(workload: 1, target: 1).isEmpty)
  }
}

/// Memory-aware admission (issue 17): each GPU evaluation declares its device-memory footprint from the bound IR,
/// and the pool starts work only when it fits beside what is in flight; what fits nothing runs alone, with a budget
/// that makes the harness slice its float64 reference.
@Suite struct FootprintTests {
  @Test func theFootprintFollowsTheBoundIR() throws {
    let spec = "kernel add(x: f32[M, N], y: f32[M, N]) -> (z: f32[M, N]) {\n  dims M = 3, N = 5\n  z[i, j] = x[i, j] + y[i, j]\n}\n"
    let front = try Compiler.compile(CompileRequest(source: SourceFile(path: "add.kev", text: spec), kind: .spec, stages: [.ir])).kernel
    let bound = try front.binding(["M": 1024, "N": 2048], location: .unknown)
    let f = EvaluationFootprint.of(bound)
    let n = 1024 * 2048
    #expect(f.inputs == 2 * n * 4 && f.snapshots == f.inputs && f.outputs == n * 4)
    // z in float64: the reference reads the inputs in place (no clones, no float64 copies: TorchPrelude's load()
    // converts what it gathers).
    #expect(f.reference == n * 8)
    // The comparison walks the result in slices of 2^20 elements: at most 8 float64 copies of one slice (64 MiB),
    // whatever the size (python/kevc_gpu/tolerance.py's CHUNK and CHECK_COPIES; test_scale.py measures it).
    #expect(f.checks == 8 * 8 * (1 << 20) && f.scratch == EvaluationFootprint.scratchBytes)
    #expect(EvaluationFootprint.checksBytes(largestResult: 1000) == 8 * 8 * 1000)
    #expect(f.total == f.inputs + f.snapshots + f.outputs + f.reference + f.checks + f.scratch)
    #expect(f.admitted(budget: nil) == f.total && f.admitted(budget: 1 << 20) == 1 << 20)
    #expect(EvaluationFootprint.sum([Int.max, 1]) == Int.max)  // sums saturate, never trap
  }

  /// The plan the harness follows (it never recomputes it): whole when the footprint fits; slices of the streamed
  /// result sized from what the rest leaves of the budget; too large, with the reason, when even one row cannot fit.
  @Test func theReferencePlanFollowsTheFootprint() throws {
    let spec = "kernel add(x: f32[M, N], y: f32[M, N]) -> (z: f32[M, N]) {\n  dims M = 3, N = 5\n  z[i, j] = x[i, j] + y[i, j]\n}\n"
    let front = try Compiler.compile(CompileRequest(source: SourceFile(path: "add.kev", text: spec), kind: .spec, stages: [.ir])).kernel
    #expect(front.streamableResults == ["z"])
    let f = EvaluationFootprint.of(try front.binding(["M": 1024, "N": 2048], location: .unknown))
    let n = 1024 * 2048
    #expect(f.streamed == n * 8 && f.streamedRow == 2048)
    #expect(f.referencePlan(budget: nil) == .whole && f.referencePlan(budget: f.total) == .whole)
    let fixed = f.inputs + f.snapshots + f.outputs + f.reference - f.streamed + f.scratch
    let budget = fixed + 64 * 2048 * EvaluationFootprint.sliceCopies * 8
    #expect(f.referencePlan(budget: budget) == .slices(elements: 64 * 2048))
    // Without room for one row beside the inputs' snapshot, the snapshot is left out (the worker draws the inputs
    // again to check them); without room even then, too large.
    #expect(f.referencePlan(budget: fixed + 100) == .slices(elements: (f.snapshots + 100) / (EvaluationFootprint.sliceCopies * 8)))
    guard case .tooLarge(let reason) = f.referencePlan(budget: fixed - f.snapshots + 100) else {
      Issue.record("a budget without room for one row must be too large")
      return
    }
    #expect(reason.contains("per slice of one row"))
    let json = f.planJSON(budget: budget)
    #expect(json.contains("\"reference\":\"slices\"") && json.contains("\"slice_elements\":\(64 * 2048)"))
    // At most maxSliceElements per slice, however large the budget.
    // (Large enough that the room just short of the whole reference exceeds 16 copies of the largest slice: the
    // comparison's 64 MiB no longer adds to it.)
    let big = EvaluationFootprint.of(try front.binding(["M": 262144, "N": 4096], location: .unknown))
    #expect(big.referencePlan(budget: big.total - 1) == .slices(elements: EvaluationFootprint.maxSliceElements))
    // Inputs of 16 GiB (avg_pool2d at KernelBench's size on an 80 GB card, budget 73 GiB): inputs, snapshot and
    // output hold 40 GiB and the float64 result 16 GiB, so the reference fits whole (with float64 copies of the
    // inputs, 48 GiB more, it was too large even in slices); under 48 GiB it is sliced.
    let huge = EvaluationFootprint.of(try front.binding(["M": 65536, "N": 32768], location: .unknown))
    #expect(huge.referencePlan(budget: 74752 << 20) == .whole)
    #expect(huge.referencePlan(budget: 48 << 30) == .slices(elements: EvaluationFootprint.maxSliceElements))
  }

  @Test func thePoolAdmitsByMemoryAsWellAsByCount() throws {
    let spec = "kernel add(x: f32[N], y: f32[N]) -> (z: f32[N]) {\n  dims N = 17\n  z[i] = x[i] + y[i]\n}\n"
    let pool = try WorkerPool(executable: Paths.kevc, timeout: 30)
    pool.memoryBudget = 10 << 30
    #expect(pool.admits(footprint: 50 << 30))  // nothing in flight: even one that fits nothing runs (alone)
    var request = WorkerRequest(
      specPath: "add.kev", specText: spec, kind: "spec", shape: ["N": 17], trace: Trace([]), trials: 1,
      secondsPerRepeat: 0.001, repeats: 1, fault: "hang")
    request.deviceFootprint = 6 << 30
    try pool.launch(id: 1, request: request)
    #expect(pool.memoryInFlight == 6 << 30)
    #expect(pool.admits(footprint: 4 << 30))
    #expect(!pool.admits(footprint: 5 << 30))
    pool.memoryBudget = nil
    #expect(pool.admits(footprint: 50 << 30))  // no budget: by count only
    pool.killAll()
    #expect(pool.memoryInFlight == 0)
  }
}
