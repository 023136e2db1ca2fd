/// The LLM agent on the command line: `kevc search --agent PROVIDER:MODEL ...` options (AgentOptions), `kevc agent
/// prompt|schema` and `kevc kb add|search|list` (docs/agent.md).
import ArgumentParser
import Foundation
import KevcAgent
import KevcBasic
import KevcDriver
import KevcIR
import KevcSearch
import KevcTransforms

/// `kevc search`'s agent options. The API key is read from the environment only.
struct AgentOptions: ParsableArguments {
  @Option(help: "Add an LLM agent to the proposers: openai:MODEL (any OpenAI-compatible server) or anthropic:MODEL.")
  var agent: String?

  @Option(help: "The provider's base URL, e.g. http://127.0.0.1:8000/v1 (vLLM, Ollama, llama-server). Default: the provider's API.")
  var agentURL: String?

  @Option(help: "Environment variable holding the API key (default: OPENAI_API_KEY or ANTHROPIC_API_KEY). Never a key itself.")
  var agentKeyEnv: String?

  @Option(help: "Price in USD per million input tokens (for the recorded cost and --agent-budget-usd).")
  var agentPriceIn: Double?

  @Option(help: "Price in USD per million output tokens.")
  var agentPriceOut: Double?

  @Option(help: "Stop calling the agent once its calls cost this much (USD; needs the prices).")
  var agentBudgetUsd: Double?

  @Option(help: "Stop calling the agent after this many calls.")
  var agentMaxCalls: Int?

  @Option(help: "Stop calling the agent once its calls used this many tokens (input plus output).")
  var agentMaxTokens: Int?

  @Option(help: "Weight of the agent among the proposers (the built-in ones weigh 11 together).")
  var agentWeight: Int = 6

  @Flag(help: "Only the agent proposes (besides the roots); workers wait for it. Default: beside the built-in proposers.")
  var agentOnly = false

  @Option(help: "Proposals asked of the agent per call.")
  var agentProposals: Int = 4

  @Option(help: "Seconds the agent's HTTP request may take in all (connect: at most 10 s).")
  var agentTimeout: Double = 120

  @Option(help: "Attempts per agent call (retried on 408/409/429/5xx and timeouts).")
  var agentAttempts: Int = 4

  @Option(help: "Seconds before the first retry (doubled each time, with jitter).")
  var agentBackoff: Double = 1

  @Option(help: "Seconds after a failed agent call before the next.")
  var agentCooldown: Double = 5

  @Option(help: "Characters of the prompt's user part.")
  var agentPromptBudget: Int = 24_000

  @Option(help: "Record every exchange in this cassette (JSON lines; no credentials), or replay from it with --agent-replay.")
  var agentCassette: String?

  @Flag(help: "Answer agent calls from --agent-cassette only (offline).")
  var agentReplay = false

  @Option(help: "The knowledge base's shipped documents (default: $KEVC_KB_DIR, else docs/kb found above the current directory or kevc).")
  var kbDir: String?

  /// The provider and model of `--agent`.
  func endpoint(at here: SourceLocation) throws(DiagnosticError) -> AgentEndpoint? {
    guard let agent else { return nil }
    let parts = agent.split(separator: ":", maxSplits: 1).map(String.init)
    guard parts.count == 2, let provider = ProviderKind(rawValue: parts[0].lowercased()), !parts[1].isEmpty else {
      throw DiagnosticError(
        .error(
          DiagnosticID("agent", "bad-provider"),
          "--agent takes PROVIDER:MODEL with PROVIDER one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(agent)'",
          at: here))
    }
    let variable = agentKeyEnv ?? AgentEndpoint.defaultKeyVariable(provider)
    let key = ProcessInfo.processInfo.environment[variable]
    var e = AgentEndpoint(provider: provider, model: parts[1], baseURL: agentURL, apiKey: key)
    e.maxReplyTokens = 4096
    return e
  }

  func settings(_ endpoint: AgentEndpoint, specPath: String, specText: String, databasePath: String) -> AgentSettings {
    var s = AgentSettings(endpoint: endpoint, specPath: specPath, specText: specText, databasePath: databasePath)
    s.retry.totalTimeout = agentTimeout
    s.retry.connectTimeout = min(10, agentTimeout)
    s.retry.attempts = max(1, agentAttempts)
    s.retry.baseDelay = agentBackoff
    s.priceIn = agentPriceIn
    s.priceOut = agentPriceOut
    s.budgetUSD = agentBudgetUsd
    s.maxCalls = agentMaxCalls
    s.maxTokens = agentMaxTokens
    s.cassettePath = agentCassette
    s.replay = agentReplay
    s.promptBudget = agentPromptBudget
    s.proposalsPerCall = max(1, agentProposals)
    s.coolDown = agentCooldown
    s.kbDirectory = kbDir
    return s
  }
}

/// `kevc agent`: what the agent would send.
struct Agent: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Inspect the LLM agent: the prompt it would send, the reply schema.",
    subcommands: [PromptCommand.self, Schema.self])

  struct PromptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "prompt",
      abstract: "Print exactly what the agent would send for a spec: for the best candidate in the database, else the default schedule.")

    @Argument(help: "A .kev spec or .kir IR file.") var input: String
    @Option(help: "Bind dims (the workload shape).") var shape: String?
    @Option(help: "Target: llvm or triton.") var target: String = "llvm"
    @Option(help: "Tuning database (default: $KEVC_DB, else ./kevc-tuning.db); read only.") var db: String?
    @Option(help: "openai:MODEL or anthropic:MODEL: print that provider's request body (--json).") var agent: String = "openai:model"
    @Option(help: "Characters of the prompt's user part.") var agentPromptBudget: Int = 24_000
    @Option(help: "The knowledge base's shipped documents.") var kbDir: String?
    @Flag(help: "Print the HTTP request body (JSON, no credentials) instead of the messages.") var json = false
    @OptionGroup var contract: ContractOptions

    func run() throws {
      let here = SourceLocation(file: "kevc", line: 0, column: 0)
      do throws(DiagnosticError) {
        guard let data = FileManager.default.contents(atPath: input) else {
          throw DiagnosticError(.error(DiagnosticID("driver", "no-such-file"), "cannot read '\(input)'", at: here))
        }
        let text = String(decoding: data, as: UTF8.self)
        let overrides = try shape.map { s throws(DiagnosticError) in try ShapeArgument.parse(s) } ?? [:]
        let database = FileManager.default.fileExists(atPath: TuningDatabase.resolvePath(db))
          ? try? TuningDatabase(path: TuningDatabase.resolvePath(db), create: false, upgrade: false) : nil
        let preview = try PromptPreview.make(
          specPath: input, specText: text, kind: InputKind(path: input) ?? .spec, shape: overrides, target: target,
          db: database, matmulPrecision: try contract.value())
        let kb = try? KnowledgeBase.load(directory: kbDir, db: database)
        let hits = kb?.retrieve(preview.signals) ?? []
        let prompt = PromptBuilder.build(preview, knowledge: hits, budget: agentPromptBudget)
        if json {
          let options = AgentOptions.parseOrExit(["--agent", agent])
          guard let endpoint = try options.endpoint(at: here) else { return }
          print(String(decoding: ProviderProtocol.body(endpoint, prompt), as: UTF8.self))
        } else {
          print("=== system ===\n\(prompt.system)\n=== user ===\n\(prompt.user)", terminator: "")
        }
      } catch {
        FileHandle.standardError.write(Data(DiagnosticRenderer(format: .text, sources: []).render(error.diagnostics).utf8))
        throw ExitCode(1)
      }
    }
  }

  struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the JSON schema of the agent's replies (from the transform catalogue).")
    func run() throws { print(ReplySchema.text) }
  }
}

/// `kevc kb`: the agent's knowledge base.
struct KB: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kb", abstract: "The LLM agent's knowledge base: shipped documents (docs/kb) and your own.",
    subcommands: [Add.self, Search.self, List.self])

  struct Where: ParsableArguments {
    @Option(help: "Tuning database holding added documents (default: $KEVC_DB, else ./kevc-tuning.db).") var db: String?
    @Option(help: "The shipped documents' folder (default: $KEVC_KB_DIR, else docs/kb above the current directory or kevc).") var kbDir: String?

    func load() throws -> KnowledgeBase {
      let path = TuningDatabase.resolvePath(db)
      let database = FileManager.default.fileExists(atPath: path)
        ? try? TuningDatabase(path: path, create: false, upgrade: false) : nil
      return try KnowledgeBase.load(directory: kbDir, db: database)
    }
  }

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add markdown documents (replacing one of the same name) to the database.")
    @OptionGroup var location: Where
    @Argument(help: "Markdown files; the name is the file's base name.") var files: [String]
    func run() throws {
      let path = TuningDatabase.resolvePath(location.db)
      let db: TuningDatabase
      do {
        db = try TuningDatabase(path: path)
      } catch {
        FileHandle.standardError.write(Data("kevc: error: \(error.message) [kevc.search.bad-database]\n".utf8))
        throw ExitCode(1)
      }
      for f in files {
        guard let data = FileManager.default.contents(atPath: f) else {
          FileHandle.standardError.write(Data("kevc: error: cannot read '\(f)' [kevc.driver.no-such-file]\n".utf8))
          throw ExitCode(1)
        }
        let name = URL(fileURLWithPath: f).deletingPathExtension().lastPathComponent
        let d = KBDocument(name: name, markdown: String(decoding: data, as: UTF8.self), source: "user")
        try KnowledgeBase.add(d, to: db)
        print("added \(name): \(d.title)")
      }
    }
  }

  struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Search the documents (bm25) by words or by runtime signals.",
      discussion: "Signals: memory-bound, vector, compute-bound, contraction, reduction, split-reduction, compile-error, wrong-result, timeout, resource-limits, illegal, low-fraction, cpu, avx2, avx-512, gpu, h100, h200, mi300.")
    @OptionGroup var location: Where
    @Option(name: .customLong("signal"), help: "A runtime signal (repeatable).") var signals: [String] = []
    @Option(help: "At most this many documents.") var limit: Int = 5
    @Argument(help: "Words to look for.") var words: [String] = []
    func run() throws {
      let kb = try location.load()
      var terms = words
      for s in signals { terms += RuntimeSignals.terms(forSignal: s) }
      for hit in kb.search(terms, limit: limit) {
        print(String(format: "%@  %@  (bm25 %.2f)", hit.document.name, hit.document.title, hit.score))
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the documents.")
    @OptionGroup var location: Where
    func run() throws {
      for d in try location.load().documents { print("\(d.name)  \(d.title)  [\(d.source)]") }
    }
  }
}
