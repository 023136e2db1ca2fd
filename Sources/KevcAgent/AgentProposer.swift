/// The LLM agent as a proposer of the search. `propose` never waits for the model: it hands out proposals that
/// earlier calls returned and, when no call is in flight and the budgets allow, starts one in the background for the
/// current parent (prompt synthesis, the HTTP exchange with retries, parsing). Every call is recorded in
/// `agent_calls` before it is sent (pending) and after (tokens, cost, latency, status, each proposal and its fate);
/// rejections (the reply parser's and the engine's) are fed into the next prompt. A dead or hanging server costs
/// failed calls, with their reasons, never the search.
import Foundation
import KevcIR
import KevcSearch
import KevcTransforms

public struct AgentSettings: Sendable {
  public var endpoint: AgentEndpoint
  public var retry = RetryPolicy()
  public var limits = ReplyLimits()
  /// USD per million input / output tokens (nil: cost not computed).
  public var priceIn: Double?
  public var priceOut: Double?
  public var budgetUSD: Double?
  public var maxCalls: Int?
  /// Input plus output tokens over all calls.
  public var maxTokens: Int?
  public var cassettePath: String?
  /// Answer from the cassette only; never touch the network.
  public var replay = false
  /// Characters of the prompt's user part.
  public var promptBudget = 24_000
  public var proposalsPerCall = 4
  /// Seconds after a failed call before the next one.
  public var coolDown = 5.0
  public var kbDirectory: String?
  /// The target's device as the tuning database names it (CPU model or GPU name); default: this machine's CPU.
  public var device: String?
  public var specPath: String
  public var specText: String
  /// The tuning database's file (the agent records through its own connection).
  public var databasePath: String

  public init(endpoint: AgentEndpoint, specPath: String, specText: String, databasePath: String) {
    self.endpoint = endpoint
    self.specPath = specPath
    self.specText = specText
    self.databasePath = databasePath
  }
}

public struct AgentProposer: Proposer {
  public let name: String
  let session: AgentSession

  public init(settings: AgentSettings, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
    name = "agent:\(settings.endpoint.provider.rawValue):\(settings.endpoint.model)"
    session = try AgentSession(settings: settings, proposer: name, log: log)
  }

  public mutating func propose(parent: CandidateView, history: SearchHistory, count: Int) -> [ProposedTrace] {
    session.propose(parent: parent, history: history, count: count)
  }

  public mutating func observe(_ outcomes: [ProposalOutcome]) { session.observe(outcomes) }

  public var isWaiting: Bool { session.isWaiting }

  /// Totals so far (for the search's summary line).
  public var totals: AgentTotals { session.totals }
}

public struct AgentTotals: Sendable {
  public var calls = 0
  public var failed = 0
  public var tokensIn = 0
  public var tokensOut = 0
  public var costUSD = 0.0
  public var proposals = 0
  public var stopped: String?
}

/// The agent's state, shared by the search thread and the background call.
final class AgentSession: @unchecked Sendable {
  let settings: AgentSettings
  let proposer: String
  let log: @Sendable (String) -> Void
  let client: HTTPClient
  let cassette: Cassette?
  let recorder: AgentRecorder
  let knowledge: KnowledgeBase?
  let lock = NSLock()

  struct Ready {
    var trace: String
    var call: Int
    var index: Int
  }
  var ready: [Ready] = []
  var given: [Ready] = []
  var inFlight = false
  var lastFailure: Date?
  var feedback: [(trace: String, reason: String)] = []
  var totalsValue = AgentTotals()
  /// Per call: its proposals with their fates (what agent_calls.proposals holds).
  var fates: [Int: [[String: Any]]] = [:]

  init(settings: AgentSettings, proposer: String, log: @escaping @Sendable (String) -> Void) throws {
    self.settings = settings
    self.proposer = proposer
    self.log = log
    client = HTTPClient(policy: settings.retry)
    cassette = settings.cassettePath.map(Cassette.init(path:))
    recorder = try AgentRecorder(path: settings.databasePath)
    let db = try? TuningDatabase(path: settings.databasePath, create: false, upgrade: false)
    knowledge = try? KnowledgeBase.load(directory: settings.kbDirectory, db: db)
  }

  var totals: AgentTotals {
    lock.lock()
    defer { lock.unlock() }
    return totalsValue
  }

  /// In flight, answers queued, or cooling down after a failure (up to `maxFailuresInARow` failures in a row: then
  /// an agent alone lets the search stop for lack of candidates).
  var isWaiting: Bool {
    lock.lock()
    defer { lock.unlock() }
    return inFlight || !ready.isEmpty || (totalsValue.stopped == nil && failuresInARow > 0 && failuresInARow < Self.maxFailuresInARow)
  }

  static let maxFailuresInARow = 5
  var failuresInARow = 0

  /// Why no further call may be made, or nil.
  func spent() -> String? {
    let t = totalsValue
    if let m = settings.maxCalls, t.calls >= m { return "--agent-max-calls \(m) reached" }
    if let m = settings.maxTokens, t.tokensIn + t.tokensOut >= m { return "--agent-max-tokens \(m) reached" }
    if let b = settings.budgetUSD, t.costUSD >= b { return String(format: "--agent-budget-usd %.4g spent", b) }
    return nil
  }

  func propose(parent: CandidateView, history: SearchHistory, count: Int) -> [ProposedTrace] {
    lock.lock()
    defer { lock.unlock() }
    let n = min(max(1, count), ready.count)
    given = Array(ready.prefix(n))
    ready.removeFirst(n)
    if ready.isEmpty, !inFlight, totalsValue.stopped == nil {
      if let why = spent() {
        totalsValue.stopped = why
        log("agent: \(why); the search goes on without it")
      } else if lastFailure.map({ Date().timeIntervalSince($0) >= settings.coolDown }) ?? true {
        inFlight = true
        let input = PromptInput(
          specPath: settings.specPath, specText: settings.specText, parent: parent, history: history,
          device: settings.device ?? HostTarget.current().device, features: HostTarget.current().features,
          cores: ProcessInfo.processInfo.activeProcessorCount, feedback: Array(feedback.suffix(8)),
          proposals: settings.proposalsPerCall)
        totalsValue.calls += 1
        Thread.detachNewThread { [self] in call(input) }
      }
    }
    return given.map { .text($0.trace) }
  }

  func observe(_ outcomes: [ProposalOutcome]) {
    lock.lock()
    var touched: Set<Int> = []
    for (r, outcome) in zip(given, outcomes) {
      guard var list = fates[r.call], r.index < list.count else { continue }
      switch outcome {
      case .illegal(let reason):
        list[r.index]["fate"] = "illegal"
        list[r.index]["reason"] = reason
        feedback.append((r.trace, reason))
      case .duplicate: list[r.index]["fate"] = "duplicate"
      case .candidate(let id):
        list[r.index]["fate"] = "candidate"
        list[r.index]["candidate_id"] = id
      case .ignored: list[r.index]["fate"] = "ignored"
      }
      fates[r.call] = list
      touched.insert(r.call)
    }
    if feedback.count > 32 { feedback.removeFirst(feedback.count - 32) }
    // Answers that give no new candidate (all illegal or known) count as failures: an agent that keeps repeating
    // itself cools down and, alone, lets the search stop for lack of candidates.
    if !outcomes.isEmpty {
      if outcomes.contains(where: { if case .candidate = $0 { return true } else { return false } }) {
        failuresInARow = 0
      } else if ready.isEmpty {
        failuresInARow += 1
        lastFailure = Date()
      }
    }
    given = []
    let updates = touched.map { ($0, fates[$0] ?? []) }
    lock.unlock()
    for (call, list) in updates { recorder.setProposals(call: call, list) }
  }

  /// One call, on a background thread: prompt, record (pending), send or replay, parse, record, queue proposals.
  func call(_ input: PromptInput) {
    var memory: [MemoryEntry] = []
    if let db = try? TuningDatabase(path: settings.databasePath, create: false, upgrade: false) {
      let spec = SearchEngine.specHash(unbound(input.parent.kernel))
      memory = AgentMemory.recall(
        db: db, specHash: spec,
        signature: AgentMemory.signature(input.parent.kernel, memoryBound: input.memoryBound, target: input.history.target),
        target: input.history.target)
    }
    var withMemory = input
    withMemory.memory = memory
    let hits = knowledge?.retrieve(withMemory.signals) ?? []
    let prompt = PromptBuilder.build(withMemory, knowledge: hits, budget: settings.promptBudget)
    let endpoint = settings.endpoint
    let body = ProviderProtocol.body(endpoint, prompt)
    let hash = Cassette.hash(provider: endpoint.provider, body: body)
    let id = recorder.begin(
      proposer: proposer, endpoint: endpoint, parent: input.parent.id, hash: hash,
      promptChars: prompt.system.count + prompt.user.count)
    let started = Date()

    var outcome: HTTPOutcome
    if settings.replay {
      if let r = cassette?.replay(hash: hash) {
        outcome = HTTPOutcome(response: r, failure: nil, attempts: ["replayed from the cassette"], seconds: 0)
      } else {
        outcome = HTTPOutcome(response: nil, failure: "replay: no recorded exchange left in the cassette", attempts: [], seconds: 0)
      }
    } else {
      outcome = client.post(ProviderProtocol.request(endpoint, body: body)) { ProviderProtocol.neverRetry(endpoint, $0) }
      if outcome.failure == nil, let r = outcome.response { cassette?.record(hash: hash, provider: endpoint.provider, request: body, response: r) }
    }
    let latency = Date().timeIntervalSince(started)

    var result = AgentRecorder.Finish(status: "error", latency: latency, attempts: outcome.attempts)
    result.httpStatus = outcome.response?.status
    var proposals: [[String: Any]] = []
    var queued: [Ready] = []
    if let failure = outcome.failure {
      result.error = failure
    } else if let response = outcome.response {
      if response.truncated {
        result.error = "reply larger than \(settings.retry.maxReplyBytes) bytes (cut off)"
      } else {
        switch ProviderProtocol.parse(endpoint, response.body) {
        case .failure(let f):
          result.error = f.message
        case .success(let reply):
          result.tokensIn = reply.tokensIn
          result.tokensOut = reply.tokensOut
          result.cachedTokens = reply.cachedTokens
          if let pin = settings.priceIn, let pout = settings.priceOut {
            result.cost = Double(reply.tokensIn ?? 0) * pin / 1e6 + Double(reply.tokensOut ?? 0) * pout / 1e6
          }
          let parsed = ReplyParser.parse(reply.answer, limits: settings.limits)
          result.rationale = parsed.rationale
          for (i, p) in parsed.proposals.enumerated() {
            proposals.append(["trace": p.trace, "rationale": p.rationale, "fate": "pending"])
            queued.append(Ready(trace: p.trace, call: id, index: i))
          }
          for r in parsed.rejected {
            proposals.append(["trace": r.text, "fate": "rejected", "reason": r.reason])
          }
          result.status = "ok"
          if parsed.proposals.isEmpty {
            result.status = "no proposals"
            result.error = parsed.rejected.first.map { $0.reason } ?? "the reply proposes nothing"
          }
          if settings.replay { result.status = "replayed" + (parsed.proposals.isEmpty ? " (no proposals)" : "") }
        }
      }
    }
    recorder.finish(call: id, result, proposals: proposals)

    lock.lock()
    inFlight = false
    fates[id] = proposals
    ready += queued
    totalsValue.tokensIn += result.tokensIn ?? 0
    totalsValue.tokensOut += result.tokensOut ?? 0
    totalsValue.costUSD += result.cost ?? 0
    totalsValue.proposals += queued.count
    for r in proposals where r["fate"] as? String == "rejected" {
      feedback.append((r["trace"] as? String ?? "", r["reason"] as? String ?? ""))
    }
    if queued.isEmpty {
      totalsValue.failed += 1
      failuresInARow += 1
      lastFailure = Date()
    }
    lock.unlock()
    log(
      "agent call #\(id): \(result.status)" + (result.error.map { ": \($0)" } ?? "")
        + (queued.isEmpty ? "" : ", \(queued.count) proposals"))
  }

  func unbound(_ k: Kernel) -> Kernel {
    var k = k
    for i in k.dims.indices {
      k.dims[i].value = nil
      k.dims[i].benchValue = nil
    }
    return k
  }
}

/// The agent's rows in `agent_calls`, through a connection of its own (calls finish on a background thread).
final class AgentRecorder: @unchecked Sendable {
  let connection: SQLiteConnection?
  let lock = NSLock()

  struct Finish {
    var status: String
    var latency: Double
    var attempts: [String]
    var error: String?
    var httpStatus: Int?
    var tokensIn: Int?
    var tokensOut: Int?
    var cachedTokens: Int?
    var cost: Double?
    var rationale: String?
  }

  init(path: String) throws {
    connection = try SQLiteConnection(path: path)
  }

  /// Inserts the pending row and returns its id (0 when the database refuses: the call still goes ahead).
  func begin(proposer: String, endpoint: AgentEndpoint, parent: Int, hash: String, promptChars: Int) -> Int {
    lock.lock()
    defer { lock.unlock() }
    guard let c = connection else { return 0 }
    do {
      let row = try c.query("SELECT workload_id, target_id FROM candidates WHERE id = ?1", [.int(Int64(parent))]).first
      try c.query(
        """
        INSERT INTO agent_calls (workload_id, target_id, proposer, provider, model, url, parent_id, request_hash,
          prompt_chars, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10)
        """,
        [row?["workload_id"] ?? .null, row?["target_id"] ?? .null, .text(proposer), .text(endpoint.provider.rawValue),
         .text(endpoint.model), .text(endpoint.url), row == nil ? .null : .int(Int64(parent)), .text(hash),
         .int(Int64(promptChars)), .double(Date().timeIntervalSince1970)])
      return c.lastInsertID
    } catch {
      return 0
    }
  }

  func finish(call: Int, _ f: Finish, proposals: [[String: Any]]) {
    lock.lock()
    defer { lock.unlock() }
    guard let c = connection, call > 0 else { return }
    let attempts = (try? JSONSerialization.data(withJSONObject: f.attempts, options: [])).map { String(decoding: $0, as: UTF8.self) }
    _ = try? c.query(
      """
      UPDATE agent_calls SET status = ?1, error = ?2, http_status = ?3, attempts = ?4, tokens_in = ?5, tokens_out = ?6,
        cached_tokens = ?7, latency = ?8, cost_usd = ?9, rationale = ?10, proposals = ?11, finished_at = ?12
      WHERE id = ?13
      """,
      [.text(f.status), SQLValue(f.error), SQLValue(f.httpStatus), SQLValue(attempts), SQLValue(f.tokensIn),
       SQLValue(f.tokensOut), SQLValue(f.cachedTokens), SQLValue(f.latency), SQLValue(f.cost), SQLValue(f.rationale),
       .text(Self.json(proposals)), .double(Date().timeIntervalSince1970), .int(Int64(call))])
  }

  func setProposals(call: Int, _ proposals: [[String: Any]]) {
    lock.lock()
    defer { lock.unlock() }
    guard let c = connection, call > 0 else { return }
    _ = try? c.query("UPDATE agent_calls SET proposals = ?1 WHERE id = ?2", [.text(Self.json(proposals)), .int(Int64(call))])
  }

  static func json(_ list: [[String: Any]]) -> String {
    (try? JSONSerialization.data(withJSONObject: list, options: [.sortedKeys, .withoutEscapingSlashes]))
      .map { String(decoding: $0, as: UTF8.self) } ?? "[]"
  }
}
