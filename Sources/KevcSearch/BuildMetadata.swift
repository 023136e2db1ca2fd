/// The `meta` stage: a JSON record of how an artifact was built, enough to reproduce it or to tell two builds apart.
///
/// It holds kevc's version; the source path and hashes (the source text, the spec's structural identity as the
/// tuning database keys it, the scheduled IR); the target (the LLVM triple, CPU and features, or the Triton GPU
/// targets); the shape; the exported symbol; the schedule's trace; and the tuning record the schedule came from
/// (database, candidate id, speedup); absent for the default schedule or a `--schedule` file.
import Foundation
import KevcDriver
import KevcIR
import KevcTransforms

public struct BuildMetadata: Codable, Sendable {
  public struct Source: Codable, Sendable {
    public var path: String
    /// `StructuralHash` of the source text.
    public var textHash: String
    /// The spec's identity in the tuning database (`SearchEngine.specHash`: the IR with dims unbound).
    public var specHash: String
    /// `StructuralHash` of the scheduled IR (what was compiled).
    public var irHash: String
  }

  public struct Target: Codable, Sendable {
    /// llvm or triton.
    public var kind: String
    public var triple: String?
    public var cpu: String?
    public var cpuFeatures: String?
    /// Triton: the GPU targets it was compiled for ahead of time (`cuda:90`, `hip:gfx942`).
    public var gpuTargets: [String]?

    public init(kind: String, triple: String? = nil, cpu: String? = nil, cpuFeatures: String? = nil, gpuTargets: [String]? = nil) {
      self.kind = kind
      self.triple = triple
      self.cpu = cpu
      self.cpuFeatures = cpuFeatures
      self.gpuTargets = gpuTargets
    }
  }

  public struct Tuning: Codable, Sendable {
    public var database: String
    public var candidate: Int
    public var speedup: Double?
    public var medianSeconds: Double?
  }

  public var kevcVersion: String
  public var kernel: String
  public var symbol: String
  public var source: Source
  public var target: Target
  /// Dim name -> size, in declaration order in `shapeText`.
  public var shape: [String: Int]
  public var shapeText: String
  /// Where the schedule came from: `default`, `schedule-file` or `tuning-database`.
  public var scheduleOrigin: String
  /// The trace applied, one transform per line (`kevc opt --apply` reads it back).
  public var trace: String
  public var tuning: Tuning?

  enum CodingKeys: String, CodingKey {
    case kevcVersion = "kevc_version", kernel, symbol, source, target, shape, shapeText = "shape_text"
    case scheduleOrigin = "schedule_origin", trace, tuning
  }

  /// The record of one compile. `tuned` and `databasePath` describe the tuning record used, when one was.
  public init(
    request: CompileRequest, result: CompileResult, symbol: String, target: Target, tuned: TunedSchedule?,
    databasePath: String?
  ) {
    let bound = result.boundKernel ?? result.kernel
    kevcVersion = KevcVersion.string
    kernel = result.kernel.name
    self.symbol = symbol
    source = Source(
      path: request.source.path, textHash: StructuralHash.of(request.source.text),
      specHash: SearchEngine.specHash(result.kernel), irHash: StructuralHash.of(bound))
    self.target = target
    let dims = bound.dims.compactMap { d in d.value.map { (d.name, $0) } }
    shape = Dictionary(dims, uniquingKeysWith: { a, _ in a })
    shapeText = dims.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    trace = result.trace?.text ?? ""
    if let tuned, let databasePath {
      scheduleOrigin = "tuning-database"
      tuning = Tuning(
        database: databasePath, candidate: tuned.candidateID, speedup: tuned.speedup, medianSeconds: tuned.medianTime)
    } else {
      scheduleOrigin = request.schedule == nil ? "default" : "schedule-file"
      tuning = nil
    }
  }

  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(self) else { return "{}\n" }
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}

extension BuildMetadata.Source {
  enum CodingKeys: String, CodingKey {
    case path, textHash = "text_hash", specHash = "spec_hash", irHash = "ir_hash"
  }
}

extension BuildMetadata.Target {
  enum CodingKeys: String, CodingKey {
    case kind, triple, cpu, cpuFeatures = "cpu_features", gpuTargets = "gpu_targets"
  }
}

extension BuildMetadata.Tuning {
  enum CodingKeys: String, CodingKey {
    case database, candidate, speedup, medianSeconds = "median_seconds"
  }
}
