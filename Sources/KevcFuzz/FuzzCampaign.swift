import Foundation

/// Counts of one fuzzing run (or of one child process of it).
public struct FuzzStatistics: Codable, Sendable, Equatable {
  public var target: String
  public var executions = 0
  public var accepted = 0
  public var diagnosed = 0
  /// Inputs left out by a skip-list entry (`FuzzSkip`), by entry; they are not counted as executions.
  public var skipped: [String: Int] = [:]
  /// How often each diagnostic id ended an input (the 40 most frequent are kept when statistics are merged).
  public var diagnosticIDs: [String: Int] = [:]
  public var seconds = 0.0

  public init(target: String) { self.target = target }

  public mutating func merge(_ other: FuzzStatistics) {
    executions += other.executions
    accepted += other.accepted
    diagnosed += other.diagnosed
    for (name, n) in other.skipped { skipped[name, default: 0] += n }
    seconds += other.seconds
    for (id, n) in other.diagnosticIDs { diagnosticIDs[id, default: 0] += n }
    if diagnosticIDs.count > 40 {
      diagnosticIDs = Dictionary(
        uniqueKeysWithValues: diagnosticIDs.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
          .prefix(40).map { ($0.key, $0.value) })
    }
  }
}

/// The in-process fuzzing loop: input `i` of a run is seed `i` unchanged while `i` is below the number of seeds,
/// then a mutation of a seed or of an earlier mutated input that every stage accepted (a pool of at most 256,
/// which lets mutations stack on inputs that get deep into the pipeline). The stream is deterministic for
/// (seed, first index): a run restarted after a crash at index `i` continues at `i + 1` with a fresh pool.
public enum FuzzCampaign {
  /// Runs inputs `first ..< first + count` (or until `deadline`), leaving out those a `FuzzSkip` entry names,
  /// and reports statistics every `reportEvery` executions. With `capture`, each input is recorded for the crash handler before it runs.
  public static func run(
    _ harness: FuzzHarness, seed: UInt64, first: Int, count: Int, deadline: Date? = nil, capture: Bool = false,
    reportEvery: Int = 0, report: (FuzzStatistics) -> Void = { _ in }
  ) -> FuzzStatistics {
    var rng = Mutator(seed: seed ^ (UInt64(first) &* 0xD1B5_4A32_D192_ED03))
    var pool: [[UInt8]] = []
    var spliceCorpus = harness.seeds
    var stats = FuzzStatistics(target: harness.target.rawValue)
    let start = Date()
    var index = first
    let skips = FuzzSkip.current.filter { $0.targets.contains(harness.target) }
    while index < first + count {
      if let deadline, index % 64 == 0, Date() >= deadline { break }
      let input: [UInt8]
      if index < harness.seeds.count {
        input = harness.seeds[index]
      } else {
        let parent = !pool.isEmpty && rng.chance(40) ? pool[rng.below(pool.count)] : harness.seeds[rng.below(harness.seeds.count)]
        input = rng.mutate(parent, corpus: spliceCorpus, dictionary: harness.dictionary)
      }
      index += 1
      if let skip = skips.first(where: { $0.applies(input) }) {
        stats.skipped[skip.name, default: 0] += 1
        continue
      }
      if capture { CrashCapture.record(input, index: index - 1) }
      switch harness.execute(input) {
      case .accepted:
        stats.accepted += 1
        if index > harness.seeds.count {
          if pool.count < 256 { pool.append(input) } else { pool[rng.below(pool.count)] = input }
          if pool.count <= 16 { spliceCorpus = harness.seeds + pool }
        }
      case .diagnosed(let id):
        stats.diagnosed += 1
        stats.diagnosticIDs[id, default: 0] += 1
      }
      stats.executions += 1
      if reportEvery > 0, stats.executions % reportEvery == 0 {
        stats.seconds = Date().timeIntervalSince(start)
        report(stats)
      }
    }
    stats.seconds = Date().timeIntervalSince(start)
    return stats
  }
}
