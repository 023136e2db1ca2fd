/// Looking up the best tuned schedule for a compile: the fastest correct record for the same spec (structural
/// hash), the same bound shape and the same target (host CPU name and features). Records of other targets are
/// never used.
import Foundation
import KevcIR
import KevcTransforms

public struct TunedSchedule: Sendable {
  public var trace: Trace
  public var candidateID: Int
  public var speedup: Double?
  public var medianTime: Double?

  /// One line for standard error, e.g. `using tuned schedule from DB (candidate #12, 1.84x over default)`.
  public var note: String {
    let gain = speedup.map { String(format: "%.2fx over default", $0) } ?? "no baseline"
    return "using tuned schedule from DB (candidate #\(candidateID), \(gain))"
  }

  /// The best record for `kernel` (as written) bound to `bound`'s shape on this machine; nil when the file does not
  /// exist or holds no correct record for it. A file that exists but is not a kevc database is an error. A record
  /// that no longer applies to today's IR (the compiler changed, or the row holds a trace past a limit such as a
  /// factor of 2^63) is skipped, with its reason passed to `warn`, and the next fastest one is tried.
  public static func lookup(
    databasePath: String, kernel: Kernel, bound: Kernel, target: HostTarget = .current(),
    warn: (String) -> Void = { _ in }
  ) throws(TuningDatabaseError) -> TunedSchedule? {
    guard FileManager.default.fileExists(atPath: databasePath) else { return nil }
    let db = try TuningDatabase(path: databasePath, create: false, upgrade: false)
    do {
      guard let w = try db.findWorkload(specHash: SearchEngine.specHash(kernel), shape: shapeKey(bound)),
        let t = try db.findTarget(key: target.key)
      else { return nil }
      for (c, e) in try db.correct(workload: w.id, target: t.id, limit: 16) {
        guard let trace = try? JSONDecoder().decode(Trace.self, from: Data(c.traceJSON.utf8)) else {
          warn("skipping tuned schedule #\(c.id): its trace does not decode")
          continue
        }
        let scheduled: Kernel
        do {
          scheduled = try trace.apply(to: bound)
        } catch {
          warn("skipping tuned schedule #\(c.id): \(error.description)")
          continue
        }
        if let reason = SearchEngine.targetRejection(of: scheduled, target: t.kind) {
          warn("skipping tuned schedule #\(c.id): \(reason)")
          continue
        }
        return TunedSchedule(trace: trace, candidateID: c.id, speedup: e.speedup, medianTime: e.medianTime)
      }
      return nil
    } catch let error as TuningDatabaseError {
      throw error
    } catch {
      throw TuningDatabaseError("\(databasePath): \(error)")
    }
  }
}
