import ArgumentParser
import Foundation
import KevcAgent
import KevcBasic
import KevcDriver
import KevcSearch
import KevcTransforms

/// `kevc search`: an evolutionary search over traces of IR transforms, evaluated in worker processes, recorded in
/// the tuning database (see docs/search.md).
struct Search: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Search for a fast, correct schedule of a kernel and record every measurement in the tuning database.",
    discussion: """
      Candidates are traces of schedule transforms; each is compiled, checked against the interpreter and timed \
      in its own worker process (--jobs at a time, killed after --eval-timeout). Fitness is the median time, \
      relative to the default schedule and to the roofline floor; only correct candidates count. The search stops \
      at the first of --budget (total evaluations of this workload on this target, earlier runs included), \
      --time-limit, --device-time, --plateau and --target-fraction, or on Ctrl-C; then its top candidates and the \
      default schedule are timed again side by side (--confirm) and the lowest median is the best. Run the same \
      command again to resume. \
      `kevc compile` then uses the best record for the same spec, shape and target.
      Example: kevc search specs/matmul.kev --target llvm --shape M=256,N=256,K=256 --budget 60
      """)

  @Argument(help: "A .kev spec or .kir IR file.")
  var input: String

  @Option(name: .customShort("x"), help: "The input's kind: spec or ir. Default: from the file extension.")
  var language: InputKind?

  @Option(help: "Bind dims (the workload shape), e.g. M=1024,N=4096. Default: the spec's dims line.")
  var shape: String?

  @Option(
    help: "Target: llvm (the host CPU), or triton, hip (compiled as CUDA) or cute (the first CUDA GPU, through the GPU harness in python/).")
  var target: String = "llvm"

  @Option(help: "Stop when this workload has this many evaluations on this target (earlier runs count).")
  var budget: Int = 100

  @Option(help: "Stop after this many seconds.")
  var timeLimit: Double?

  @Option(
    help: """
      Stop once the evaluations of this workload on this target (earlier runs count) have used this many seconds \
      of the device: the GPU phases of Triton workers (checks, timing, revalidation, roofline; not start-up or \
      waiting), the whole worker time on the CPU.
      """)
  var deviceTime: Double?

  @Option(help: "Stop after this many evaluations without a 1% improvement.")
  var plateau: Int?

  @Option(help: "Stop once the best candidate reaches this fraction of the roofline floor (0..1).")
  var targetFraction: Double?

  @Option(help: "Worker processes run at once (default: the number of cores).")
  var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: "Seed of every random choice.")
  var seed: UInt64 = 1

  @Option(help: "Islands (sub-populations).")
  var islands: Int = 4

  @Option(help: "Seconds before a worker is killed and its candidate classified 'timeout'.")
  var evalTimeout: Double = 120

  @Option(
    help: "MiB of address space each CPU worker may use (RLIMIT_AS); a worker past it is recorded as 'out of memory'. 0: no cap. Default: half the machine's memory, at least 4096.")
  var workerMemory: Int?

  @Option(help: "Correctness trials per checked shape.")
  var trials: Int = 3

  @Option(help: "Triton: seconds the GPU harness allows each case of a candidate (compile, checks, timing).")
  var caseTimeout: Double = 60

  @Option(
    help: "Triton: MiB of device memory the evaluations in flight may hold together; each declares its footprint from the bound IR and waits until it fits (docs/gpu-harness.md). Default: the harness's device query (the card's memory less 10%, at least 1 GiB less).")
  var deviceMemory: Int?

  @Option(
    help: "Triton: candidates that share their trial seeds, so that each float64 reference is computed once and reused; a fresh seed every N candidates and for any candidate about to become the best. 0: a fresh seed per candidate.")
  var referenceEpoch: Int = 16

  @Flag(
    help: "GPU targets: check every candidate before timing it (the protocol before racing). Default: race: a candidate is timed first (after one sanity launch) and one clearly slower than the best so far (median over 2x it) is recorded slower_unchecked without its correctness checks; the default, seeds and anything near the best are checked in full (docs/search.md, \"Racing\").")
  var checkEveryCandidate = false

  @Option(
    help: "Triton: ray://HOST:PORT[?gpus=1&cpus=1]: run every evaluation as a Ray task on that cluster (num_gpus=1); the search and the database stay here (docs/search.md).")
  var executor: String?

  @Flag(help: "Triton: a new Python worker per candidate instead of the warm workers of a harness server.")
  var coldWorkers = false

  @Option(
    help: "Triton: the socket of a warm-worker server already running (python3 -m kevc_gpu serve --socket PATH), shared with other searches and runs; the search starts none of its own.")
  var harnessServer: String?

  @Option(
    help: "A proposal whose analytic time is more than this many times the best candidate's is pruned, never measured (roots never are). 0: no pruning.")
  var pruneFactor: Double = 20

  @Option(
    help: "When the search stops (not on Ctrl-C), evaluate its top K candidates and the default schedule again, one at a time in rotating rounds, and report the lowest median as the best (docs/search.md). 0: off.")
  var confirm: Int = SearchOptions.defaultConfirm

  @Option(help: "Rounds of the confirmation (--confirm).")
  var confirmRounds: Int = 3

  @Option(help: "Tuning database (default: $KEVC_DB, else ./kevc-tuning.db).")
  var db: String?

  @Option(
    name: .customLong("seed-trace"),
    help: ArgumentHelp(
      "A trace to start from (a hand-written schedule, another search's winner); repeatable. Each is checked, "
        + "evaluated after the default schedule (proposer seed:NAME, NAME the file's base name) and bred from."))
  var seedTraces: [String] = []

  @Option(help: "How to print errors: text or json.")
  var diagnostics: DiagnosticRenderer.Format = .text

  @OptionGroup var contract: ContractOptions

  @OptionGroup(title: "LLM agent (docs/agent.md)") var agent: AgentOptions

  func run() throws {
    let here = SourceLocation(file: "kevc", line: 0, column: 0)
    var source: SourceFile?
    do throws(DiagnosticError) {
      guard let compileTarget = CompileTarget(rawValue: target) else {
        let names = CompileTarget.allCases.map(\.rawValue).joined(separator: ", ")
        throw DiagnosticError(
          .error(
            DiagnosticID("driver", "unknown-target"), "unknown target '\(target)'; available targets: \(names)",
            at: here))
      }
      guard budget >= 1, jobs >= 1, islands >= 1, evalTimeout > 0, trials >= 1, deviceTime.map({ $0 > 0 }) ?? true else {
        throw DiagnosticError(
          .error(
            DiagnosticID("driver", "bad-option"),
            "--budget, --jobs, --islands, --eval-timeout, --trials and --device-time must be positive", at: here))
      }
      guard let kind = language ?? InputKind(path: input) else {
        throw DiagnosticError(
          .error(DiagnosticID("driver", "unknown-input-kind"), "cannot tell the kind of '\(input)'; use -x spec or -x ir", at: here))
      }
      guard let data = FileManager.default.contents(atPath: input) else {
        throw DiagnosticError(.error(DiagnosticID("driver", "no-such-file"), "cannot read '\(input)'", at: here))
      }
      source = SourceFile(path: input, text: String(decoding: data, as: UTF8.self))
      let overrides = try shape.map { text throws(DiagnosticError) in try ShapeArgument.parse(text) } ?? [:]
      let matmulPrecision = try contract.value()
      let path = TuningDatabase.resolvePath(db)
      let database: TuningDatabase
      do {
        database = try TuningDatabase(path: path)
      } catch {
        throw DiagnosticError(.error(DiagnosticID("search", "bad-database"), error.message, at: SourceLocation(file: path, line: 0, column: 0)))
      }
      var seeds: [(name: String, trace: Trace)] = []
      for file in seedTraces {
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        seeds.append((name, try readTraceFile(file, what: "seed trace", at: here)))
      }
      var options = SearchOptions(workerExecutable: kevcExecutable())
      options.seedTraces = seeds
      options.budget = budget
      options.timeLimit = timeLimit
      options.plateau = plateau
      options.targetFraction = targetFraction
      options.deviceTime = deviceTime
      options.jobs = jobs
      options.seed = seed
      options.islands = islands
      options.evalTimeout = evalTimeout
      if let workerMemory { options.workerMemory = min(max(0, workerMemory), 1 << 40) << 20 }
      options.trials = trials
      options.target = target
      options.caseTimeout = caseTimeout
      if let deviceMemory { options.deviceMemory = min(max(1, deviceMemory), 1 << 30) << 20 }
      options.referenceEpoch = max(0, referenceEpoch)
      options.checkEveryCandidate = checkEveryCandidate
      // Testing hook (RacingTests): KEVC_SEARCH_FAULTS="ID:FAULT,..." injects `WorkerRequest.fault`s by candidate.
      for item in (ProcessInfo.processInfo.environment["KEVC_SEARCH_FAULTS"] ?? "").split(separator: ",") {
        let parts = item.split(separator: ":", maxSplits: 1)
        if parts.count == 2, let id = Int(parts[0]) { options.faults[id] = String(parts[1]) }
      }
      options.warmWorkers = !coldWorkers
      options.harnessServer = harnessServer
      options.pruneFactor = SearchOptions.pruneFactor(flag: pruneFactor)
      guard confirm >= 0, confirmRounds >= 1 else {
        throw DiagnosticError(
          .error(
            DiagnosticID("driver", "bad-option"), "--confirm must be 0 or more and --confirm-rounds at least 1",
            at: here))
      }
      options.confirm = min(confirm, 64)
      options.confirmRounds = min(confirmRounds, 100)
      if let executor {
        guard executor.hasPrefix("ray://") else {
          throw DiagnosticError(
            .error(DiagnosticID("driver", "bad-option"), "--executor takes ray://HOST:PORT, not '\(executor)'", at: here))
        }
        options.executor = executor
      }
      if compileTarget.harnessStage != nil && jobs == ProcessInfo.processInfo.activeProcessorCount {
        // One GPU: candidates compile, import and check concurrently (the harness's device lock is shared for
        // checks) and are timed one at a time (exclusive); a few workers keep the GPU busy without piling up
        // processes that wait for it, or starving the one being timed of CPU.
        // On the H200 (16 cores) 5 workers ran 4-13 candidates a minute, each spending 12-55 s mostly on the CPU
        // (Python and torch start-up, Triton's compile, the float64 reference) for well under a second of
        // exclusive GPU time: half the cores, at most 8.
        options.jobs = min(max(1, jobs / 2), 8)
      }

      // The LLM agent, when asked for: one more proposer beside the built-in ones (which keep the workers busy
      // while it thinks, and carry on when it fails).
      var proposers: [(any Proposer, Int)]?
      var agentProposer: AgentProposer?
      if let endpoint = try agent.endpoint(at: here) {
        var settings = agent.settings(endpoint, specPath: input, specText: source?.text ?? "", databasePath: path)
        settings.device = HostTarget.forKind(target)?.device
        do {
          let p = try AgentProposer(settings: settings) { line in FileHandle.standardError.write(Data("kevc: \(line)\n".utf8)) }
          agentProposer = p
          proposers = agent.agentOnly ? [(p, 1)] : defaultProposers(seed: seed) + [(p, max(0, agent.agentWeight))]
        } catch {
          throw DiagnosticError(.error(DiagnosticID("agent", "cannot-start"), "cannot start the agent: \(error)", at: here))
        }
      }

      let stop = StopFlag()
      stop.install()
      var progress = SearchProgress(tty: isatty(STDOUT_FILENO) == 1)
      let engine = SearchEngine(
        db: database, input: SearchInput(
          specPath: input, specText: source?.text ?? "", kind: kind, shape: overrides, matmulPrecision: matmulPrecision),
        options: options, proposers: proposers
      ) { event in
        let text = progress.render(event)
        if !text.isEmpty { FileHandle.standardOutput.write(Data(text.utf8)) }
      }
      let summary: SearchSummary
      do {
        summary = try engine.run(shouldStop: { stop.isSet })
      } catch let e as DiagnosticError {
        throw e
      } catch {
        throw DiagnosticError(.error(DiagnosticID("search", "failed"), "\(error)", at: here))
      }
      if let a = agentProposer?.totals {
        FileHandle.standardError.write(Data(String(
          format: "kevc: agent: %d calls (%d without proposals), %d proposals, %d tokens in, %d out, $%.4f%@\n",
          a.calls, a.failed, a.proposals, a.tokensIn, a.tokensOut, a.costUSD, a.stopped.map { "; " + $0 } ?? "").utf8))
      }
      // Memory across searches: the winning edits relative to the default schedule, for similar workloads later.
      _ = try? AgentMemory.rememberSearch(
        db: database, workloadID: summary.workloadID, targetID: summary.targetID,
        input: SearchInput(
          specPath: input, specText: source?.text ?? "", kind: kind, shape: overrides, matmulPrecision: matmulPrecision), target: target)
      if summary.stopReason == .interrupted { throw DiagnosticError([]) }
    } catch {
      if error.diagnostics.isEmpty { throw ExitCode(130) }
      let renderer = DiagnosticRenderer(format: diagnostics, sources: source.map { [$0] } ?? [])
      FileHandle.standardError.write(Data(renderer.render(error.diagnostics).utf8))
      throw ExitCode(1)
    }
  }
}

/// The path of this executable, which workers re-run as `kevc worker`.
func kevcExecutable() -> URL {
  let proc = URL(fileURLWithPath: "/proc/self/exe")
  if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: proc.path) {
    return URL(fileURLWithPath: resolved)
  }
  return Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
}

/// Set by SIGINT/SIGTERM: the search finishes its bookkeeping and stops; a second signal exits at once.
final class StopFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  private var sources: [DispatchSourceSignal] = []

  var isSet: Bool {
    lock.lock()
    defer { lock.unlock() }
    return value
  }

  func install() {
    for sig in [SIGINT, SIGTERM] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler { [self] in
        lock.lock()
        let again = value
        value = true
        lock.unlock()
        if again { exit(130) }
        FileHandle.standardError.write(Data("\nkevc search: stopping (in-flight evaluations are discarded; run the same command to resume)\n".utf8))
      }
      source.resume()
      sources.append(source)
    }
  }
}
