/// What `kevc agent prompt` shows: the prompt input the agent would build for a workload outside a search, from the
/// tuning database when it has records (the best candidate is the parent, the elite and the machine's peaks come
/// along), else from the target's default schedule, not yet evaluated.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcSearch
import KevcTransforms

public enum PromptPreview {
  public static func make(
    specPath: String, specText: String, kind: InputKind, shape: [String: Int], target: String, db: TuningDatabase?,
    matmulPrecision: MatmulPrecision? = nil
  ) throws(DiagnosticError) -> PromptInput {
    let source = SourceFile(path: specPath, text: specText)
    var request = CompileRequest(source: source, kind: kind, stages: [.ir])
    request.matmulPrecision = matmulPrecision  // the search's contract (`--matmul-precision`), else the spec's
    let front = try Compiler.compile(request).kernel
    let bound = try front.binding(shape, location: SourceLocation(file: "--shape", line: 1, column: 1))
    let cost = WorkloadCost(bound)
    let host = HostTarget.current(kind: target)
    let defaultTrace = target == "triton" ? DefaultSchedule.gpu(for: bound) : DefaultSchedule.cpu(for: bound)

    func view(_ c: CandidateRecord?, _ e: EvaluationRecord?, trace: Trace) -> CandidateView {
      CandidateView(
        id: c?.id ?? 0, trace: trace, kernel: bound, scheduled: (try? trace.apply(to: bound)) ?? bound, status: e?.status,
        medianTime: e?.medianTime, speedup: e?.speedup, rooflineFraction: e?.rooflineFraction)
    }
    func trace(_ c: CandidateRecord) -> Trace { (try? JSONDecoder().decode(Trace.self, from: Data(c.traceJSON.utf8))) ?? Trace([]) }

    var parent = view(nil, nil, trace: defaultTrace)
    var elite: [CandidateView] = []
    var machine: MachinePeaks?
    var baseline: Double?
    var evaluated = 0
    if let db, let w = try? db.findWorkload(specHash: SearchEngine.specHash(front), shape: shapeKey(bound)),
      let t = try? db.findTarget(key: host.key)
    {
      if let peaks = t.peaks { machine = peaks }
      let candidates = Dictionary(((try? db.candidates(workload: w.id, target: t.id)) ?? []).map { ($0.id, $0) }) { a, _ in a }
      let evaluations = (try? db.evaluations(workload: w.id, target: t.id)) ?? []
      evaluated = evaluations.count
      let ok = evaluations.filter { $0.status == .ok && $0.medianTime != nil }.sorted { ($0.medianTime ?? 0) < ($1.medianTime ?? 0) }
      baseline = ok.first?.baselineTime
      elite = ok.prefix(8).compactMap { e in candidates[e.candidateID].map { view($0, e, trace: trace($0)) } }
      if let best = elite.first { parent = best }
      if let c = candidates[parent.id] {
        parent.failures = evaluations.filter { e in
          e.status != .ok && e.status != .slowerUnchecked && candidates[e.candidateID]?.parentID == c.id
        }
          .suffix(8).map { "\($0.status.rawValue): \($0.error ?? "")" }
      }
    }
    var history = SearchHistory(
      evaluated: evaluated, baselineTime: baseline, best: elite.first, elite: elite, cost: cost, machine: machine,
      recentFailures: [])
    history.target = target
    var input = PromptInput(
      specPath: specPath, specText: specText, parent: parent, history: history, device: host.device,
      features: HostTarget.current().features, cores: host.cores)
    if let db {
      input.memory = AgentMemory.recall(
        db: db, specHash: SearchEngine.specHash(front),
        signature: AgentMemory.signature(bound, memoryBound: input.memoryBound, target: target), target: target)
    }
    return input
  }
}
