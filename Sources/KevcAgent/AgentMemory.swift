/// Memory across searches: when a search ends with a candidate faster than the default schedule, its edits
/// relative to the default (and its whole trace) are stored in `agent_memory` with the workload's signature (its
/// structure, not its names: definitions, reduction kinds, contraction, rank, element types, memory- or
/// compute-bound, target). A later prompt retrieves the entries of the same spec first, then of the most similar
/// signatures, so what worked once is tried early on similar workloads.
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcSearch
import KevcTransforms

public struct MemoryEntry: Sendable, Hashable {
  public var signature: String
  public var specName: String
  public var shape: String
  public var targetKind: String
  public var edits: String
  public var trace: String
  public var speedup: Double
  public var sameSpec: Bool
}

public enum AgentMemory {
  /// Structural words describing a workload (never its names).
  public static func signature(_ kernel: Kernel, memoryBound: Bool, target: String) -> String {
    var words: Set<String> = ["target=\(target)", memoryBound ? "memory-bound" : "compute-bound"]
    words.insert("definitions=\(min(kernel.definitions.count, 6))")
    for d in kernel.definitions {
      words.insert("rank=\(d.axes.count)")
      words.insert("dtype=\(d.dtype)")
      if let r = d.reduction { words.insert("reduce=\(r.op.rawValue)") }
      if (try? Transform.dot(tensor: d.name).apply(to: kernel)) != nil { words.insert("contraction") }
    }
    return words.sorted().joined(separator: " ")
  }

  /// Stores the search's best candidate when it beats the default schedule by more than 1%.
  @discardableResult
  public static func remember(db: TuningDatabase, workloadID: Int, targetID: Int, bound: Kernel, memoryBound: Bool)
    throws -> MemoryEntry?
  {
    guard db.hasTable("agent_memory"), let (best, e) = try db.best(workload: workloadID, target: targetID),
      let speedup = e.speedup, speedup > 1.01,
      let defaultRecord = try db.candidates(workload: workloadID, target: targetID).first(where: { $0.proposer == "default" }),
      let w = try db.workloads().first(where: { $0.id == workloadID }),
      let t = try db.targets().first(where: { $0.id == targetID }),
      let bestTrace = try? JSONDecoder().decode(Trace.self, from: Data(best.traceJSON.utf8)),
      let defaultTrace = try? JSONDecoder().decode(Trace.self, from: Data(defaultRecord.traceJSON.utf8))
    else { return nil }
    let entry = MemoryEntry(
      signature: signature(bound, memoryBound: memoryBound, target: t.kind), specName: w.specName, shape: w.shape,
      targetKind: t.kind, edits: traceEdit(from: defaultTrace, to: bestTrace), trace: bestTrace.text, speedup: speedup,
      sameSpec: true)
    try db.connection.query(
      """
      INSERT OR REPLACE INTO agent_memory (signature, spec_hash, spec_name, shape, target_kind, edits, trace, speedup,
        created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
      """,
      [.text(entry.signature), .text(w.specHash), .text(w.specName), .text(w.shape), .text(t.kind), .text(entry.edits),
       .text(entry.trace), .double(speedup), .double(Date().timeIntervalSince1970)])
    return entry
  }

  /// After a search: compiles the workload again (for its signature) and remembers its best candidate.
  @discardableResult
  public static func rememberSearch(db: TuningDatabase, workloadID: Int, targetID: Int, input: SearchInput, target: String)
    throws -> MemoryEntry?
  {
    let source = SourceFile(path: input.specPath, text: input.specText)
    let front = try Compiler.compile(CompileRequest(source: source, kind: input.kind, stages: [.ir], matmulPrecision: input.matmulPrecision)).kernel
    let bound = try front.binding(input.shape, location: .unknown)
    let cost = WorkloadCost(bound)
    let t = try db.targets().first { $0.id == targetID }
    let machine = t?.measured
    let memoryBound = machine.map { cost.isMemoryBound($0) } ?? (cost.flops < cost.bytes)
    return try remember(db: db, workloadID: workloadID, targetID: targetID, bound: bound, memoryBound: memoryBound)
  }

  /// Entries for a workload: the same spec first, then by shared signature words (at least half), best speedup first.
  public static func recall(db: TuningDatabase, specHash: String, signature: String, target: String, limit: Int = 3)
    -> [MemoryEntry]
  {
    guard db.hasTable("agent_memory"),
      let rows = try? db.connection.query(
        "SELECT * FROM agent_memory WHERE target_kind = ?1 ORDER BY speedup DESC LIMIT 200", [.text(target)])
    else { return [] }
    let mine = Set(signature.split(separator: " "))
    let scored = rows.compactMap { r -> (Double, MemoryEntry)? in
      let theirs = Set((r["signature"].text ?? "").split(separator: " "))
      let same = r["spec_hash"].text == specHash
      let overlap = Double(mine.intersection(theirs).count) / Double(max(1, mine.union(theirs).count))
      guard same || overlap >= 0.5 else { return nil }
      let e = MemoryEntry(
        signature: r["signature"].text ?? "", specName: r["spec_name"].text ?? "", shape: r["shape"].text ?? "",
        targetKind: r["target_kind"].text ?? "", edits: r["edits"].text ?? "", trace: r["trace"].text ?? "",
        speedup: r["speedup"].double ?? 1, sameSpec: same)
      return ((same ? 2 : 0) + overlap, e)
    }
    return scored.sorted { $0.0 > $1.0 }.prefix(limit).map(\.1)
  }
}
