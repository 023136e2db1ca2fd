/// Cost-model pruning (`SearchEngine.prune`, docs/search.md "Cost model"): the analytic estimate puts the hopeless
/// schedules the H100 measured (a matmul with its grid bindings removed, one program for 4096^3: 120 s; a split of
/// 3 where the default has 128: 157 ms against 0.18 ms) past the pruning factor, and every sketch and a merely
/// different tiling within it; a search on a block-level target prunes such a proposal (never a root), says why,
/// counts it, measures every eighth one anyway and turns pruning off when that one comes within 2x of the best.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
@testable import KevcSearch
import KevcTransforms
import Testing

@Suite struct PruningTests {
  static func bound(_ relative: String, _ shape: [String: Int]) throws -> Kernel {
    let source = SourceFile(path: relative, text: try Paths.text(relative))
    let kernel = try Compiler.compile(CompileRequest(source: source, kind: .spec, stages: [.ir])).kernel
    return try kernel.binding(shape, location: .unknown)
  }

  static func unbound(_ t: Trace) -> Trace {
    Trace(t.steps.filter { if case .bind = $0 { return false } else { return true } })
  }

  /// Every split by 64 or more of `t` made a split by `factor`.
  static func resplit(_ t: Trace, _ factor: Int) -> Trace {
    Trace(t.steps.map { s in
      if case .split(let tensor, let loop, let f) = s, f >= 64 { return .split(tensor: tensor, loop: loop, factor: factor) }
      return s
    })
  }

  static let matmul = ("bench/gpu/specs/matmul_bf16.kev", ["M": 4096, "N": 4096, "K": 4096])
  static let rmsnorm = ("specs/rmsnorm.kev", ["M": 8192, "N": 4096])

  @Test func theAnalyticEstimatePutsOnlyHopelessSchedulesPastTheFactor() throws {
    let factor = try #require(SearchOptions(workerExecutable: Paths.kevc).pruneFactor)
    for (spec, shape) in [Self.matmul, Self.rmsnorm] {
      let k = try Self.bound(spec, shape)
      let best = ScheduleCost.estimate(try DefaultSchedule.gpu(for: k).apply(to: k)).seconds
      func ratio(_ t: Trace) throws -> Double {
        let s = try t.apply(to: k)
        #expect(SearchEngine.targetRejection(of: s, target: "triton") == nil, "\(t.text)")
        return ScheduleCost.estimate(s).seconds / best
      }
      for (name, t) in DefaultSchedule.gpuSketches(for: k) {
        #expect(try ratio(t) < factor / 4, "\(spec) sketch \(name)")
        if (try? Self.unbound(t).apply(to: k)) != nil {  // (grouped programs need their grid bindings)
          #expect(try ratio(Self.unbound(t)) > 100 * factor, "\(spec) sketch \(name) without its bindings")
        }
        #expect(try ratio(Self.resplit(t, 32)) < factor / 4, "\(spec) sketch \(name) split by 32")
        print(String(format: "pruning: %@ sketch %@ %.2fx, split by 32 %.2fx, unbound %.0fx", spec, name, try ratio(t), try ratio(Self.resplit(t, 32)), (try? ratio(Self.unbound(t))) ?? 0))
      }
    }
    // The split of 3 the H100 measured 870x slower than the best: past the factor (33x estimated before the dot
    // terms of issue 15, 352x since); a split of 8 (8x8 tiles: 12.5x before, 33x since, from the shared memory its
    // 8 warps read per flop) is past it too. (The two-kernel form the H100 measured: sketch separate-contractions.)
    let k = try Self.bound(Self.matmul.0, Self.matmul.1)
    // Not `#require` of the optional sketch (DefaultGPUScheduleTests.sketch says why).
    guard let separate = GPUSketch.all.first(where: { $0.name == "separate-contractions" }) else {
      Issue.record("no sketch separate-contractions")
      return
    }
    let d = DefaultSchedule.gpu(for: k, sketch: separate)
    let best = ScheduleCost.estimate(try d.apply(to: k)).seconds
    let three = ScheduleCost.estimate(try Self.resplit(d, 3).apply(to: k))
    #expect(three.seconds > factor * best, "split of 3: \(three.seconds / best)x")
    let eight = ScheduleCost.estimate(try Self.resplit(d, 8).apply(to: k))
    #expect(eight.seconds > factor * best && eight.seconds < three.seconds, "split of 8: \(eight.seconds / best)x")
    print(String(format: "pruning: split of 3 %.1fx, split of 8 %.1fx the best estimate", three.seconds / best, eight.seconds / best))
  }

  /// The engine on a block-level target, set up by hand (no GPU): the default measured and the best, then
  /// proposals from it.
  @Test func aSearchPrunesAProposalWithoutGridBindingsAndNeverARoot() throws {
    let dir = try Paths.temporaryDirectory()
    let db = try TuningDatabase(path: dir.appendingPathComponent("p.db").path)
    var options = smallOptions(budget: 10)
    options.target = "triton"
    let text = try Paths.text(Self.matmul.0)
    let input = SearchInput(specPath: Self.matmul.0, specText: text, kind: .spec, shape: Self.matmul.1)
    var messages: [String] = []
    let engine = SearchEngine(db: db, input: input, options: options) { e in
      if case .message(let m) = e { messages.append(m) }
    }
    let k = try Self.bound(Self.matmul.0, Self.matmul.1)
    engine.bound = k
    engine.workload = try db.workload(
      specHash: "test", specName: "matmul_bf16", specPath: Self.matmul.0, specText: text, shape: "test", dtypes: "{}")
    engine.target = try db.target(
      HostTarget(kind: "triton", device: "test", arch: "sm_90", features: "", toolchain: "test", cores: 2))
    func add(_ t: Trace, parent: Int?, proposer: String) throws -> Int {
      let s = try t.apply(to: k)
      return try engine.insert(
        trace: t, kernel: s, hash: CanonicalSchedule.hash(s, target: "triton"), parent: parent, proposer: proposer,
        transform: nil, island: 0)
    }
    let sketches = DefaultSchedule.gpuSketches(for: k)
    let root = try add(sketches[0].trace, parent: nil, proposer: "default")
    // No incumbent yet: nothing is pruned.
    let hopeless = try add(Self.unbound(sketches[0].trace), parent: root, proposer: "edit")
    #expect(!engine.prune(hopeless))
    engine.stats.bestCandidate = root
    engine.stats.bestTime = 2e-4
    #expect(engine.prune(hopeless))
    #expect(engine.stats.pruned == 1)
    let said = try #require(messages.last)
    #expect(said.hasPrefix("#\(hopeless) pruned by the cost model: estimated ") && said.contains("20 x the best's (#\(root))"), "\(said)")
    #expect(engine.failuresByParent[root]?.last?.hasPrefix("pruned by the cost model") == true)
    // A root without grid bindings is never pruned; a different tiling is measured.
    let unboundRoot = try add(Self.unbound(sketches[1].trace), parent: nil, proposer: "seed:unbound")
    #expect(!engine.prune(unboundRoot))
    let tiled = try add(Self.resplit(sketches[0].trace, 32), parent: root, proposer: "mutate")
    #expect(!engine.prune(tiled))
    // A parent the estimate misjudges (measured as fast as the best though estimated past the factor): its child
    // estimated alike is judged relative to it and measured.
    engine.fitness[hopeless] = 2e-4
    let sibling = try add(Self.resplit(Self.unbound(sketches[0].trace), 32), parent: hopeless, proposer: "mutate")
    #expect(!engine.prune(sibling))
    engine.fitness[hopeless] = nil
    // Every eighth proposal past the factor is measured anyway; measured within 2x of the best, it turns
    // pruning off.
    var audited: Int?
    for f in [3, 4, 5, 6, 7, 9, 10] where audited == nil {
      let id = try add(Self.unbound(Self.resplit(sketches[0].trace, f)), parent: root, proposer: "edit")
      if !engine.prune(id) { audited = id }
    }
    let audit = try #require(audited)
    #expect(engine.pruneAudits == [audit] && engine.stats.pruned == 7, "\(engine.stats.pruned)")
    engine.fitness[audit] = 3e-4
    let e = EvaluationRecord(
      id: 1, candidateID: audit, status: .ok, error: nil, maxAbsError: nil, maxRelError: nil, medianTime: 3e-4,
      times: nil, baselineTime: nil, speedup: nil, rooflineFraction: nil, checkedShapes: nil, seed: 0,
      workerSeconds: nil, startedAt: 0, finishedAt: 0)
    engine.record(e, fresh: true)
    #expect(engine.pruneOff != nil && messages.last?.hasPrefix("cost-model pruning off") == true, "\(messages.last ?? "")")
    #expect(!engine.prune(hopeless))
  }

  /// The CPU target prunes too (bench/search/cpu-noseeds-2026-12-07: a softmax search spent 220 of its 250 s on
  /// two proposals that computed the row max or the row sum once per element, `compute_at(mx, y, n)`, 12 s a run
  /// and a 120 s timeout). On the CPU machine of the cost model, the default schedule and the hand trace of every
  /// bench/cpu op are well within the factor of the default, and the row statistic computed per element far past it.
  @Test func theCPUEstimatePutsOnlyHopelessSchedulesPastTheFactor() throws {
    let factor = try #require(SearchOptions(workerExecutable: Paths.kevc).pruneFactor)
    let machine = ScheduleCost.Machine.cpu(cores: 2)
    let ops: [(String, [String: Int], String)] = [
      ("specs/matmul.kev", ["M": 512, "N": 512, "K": 512], "bench/cpu/matmul.trace"),
      ("specs/softmax.kev", ["M": 2048, "N": 4096], "bench/cpu/softmax.trace"),
      ("bench/cpu/specs/rmsnorm_f32.kev", ["M": 4096, "N": 4096], "bench/cpu/rmsnorm.trace"),
      ("specs/layernorm.kev", ["M": 4096, "N": 4096], "bench/cpu/layernorm.trace"),
      ("bench/cpu/specs/conv1d_f32.kev", ["N": 2, "C": 128, "L": 2048, "F": 128, "K": 3], "bench/cpu/conv1d.trace"),
      ("specs/elementwise_chain.kev", ["M": 1024, "N": 4096], "bench/cpu/elementwise_chain.trace"),
    ]
    for (spec, shape, hand) in ops {
      let k = try Self.bound(spec, shape)
      let best = ScheduleCost.estimate(try DefaultSchedule.cpu(for: k).apply(to: k), machine: machine).seconds
      let trace = try Trace.parse(SourceFile(path: hand, text: try Paths.text(hand)))
      let ratio = ScheduleCost.estimate(try trace.apply(to: k), machine: machine).seconds / best
      #expect(ratio < factor / 4, "\(hand): \(ratio)")
    }
    let k = try Self.bound("specs/softmax.kev", ["M": 2048, "N": 4096])
    let d = DefaultSchedule.cpu(for: k)
    let best = ScheduleCost.estimate(try d.apply(to: k), machine: machine).seconds
    // The default with the row max computed at y's element loop (the steps that no longer apply after it, such
    // as y's vectorization, left out; the search measured this one at 12 s a run).
    var perElement = k
    var moved = false
    for s in d.steps {
      var step = s
      if case .computeAt(let t, let c, "m") = s, t == "mx" {
        step = .computeAt(tensor: t, consumer: c, loop: "n")
        moved = true
      }
      if let next = try? step.apply(to: perElement) { perElement = next }
    }
    #expect(moved)
    #expect(ScheduleCost.estimate(perElement, machine: machine).seconds > 100 * factor * best)
  }

  /// `kevc search --prune-factor F`: a positive factor prunes at F; 0 (or a negative or infinite one) turns pruning
  /// off; the flag is in the command's help.
  @Test func pruneFactorFlag() throws {
    #expect(SearchOptions.pruneFactor(flag: 20) == 20)
    #expect(SearchOptions.pruneFactor(flag: 3.5) == 3.5)
    #expect(SearchOptions.pruneFactor(flag: 0) == nil)
    #expect(SearchOptions.pruneFactor(flag: -1) == nil)
    #expect(SearchOptions.pruneFactor(flag: .infinity) == nil)
    let (status, text, err) = try runKevc(["search", "--help"], in: FileManager.default.temporaryDirectory)
    #expect(status == 0, "\(err)")
    #expect(text.contains("--prune-factor"), "\(text)")
  }
}
