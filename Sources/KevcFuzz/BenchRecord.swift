import Foundation

/// The machine a bench run ran on, as its results file names it: host name, OS, CPU model, core count and memory
/// (read from uname, /proc/cpuinfo and /proc/meminfo where they exist).
public struct MachineDescription: Codable, Sendable {
  public var host: String
  public var system: String
  public var cpu: String
  public var cores: Int
  public var memoryGiB: Double

  public static var current: MachineDescription {
    var info = utsname()
    uname(&info)
    func field<T>(_ value: T) -> String {
      withUnsafeBytes(of: value) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
      .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown"
    let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
    let kib = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal") }
      .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Double($0) } } ?? 0
    return MachineDescription(
      host: ProcessInfo.processInfo.hostName, system: "\(field(info.sysname)) \(field(info.release)) \(field(info.machine))",
      cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount,
      memoryGiB: (kib / 1_048_576 * 10).rounded() / 10)
  }
}

/// Writes a results file as sorted, pretty-printed JSON.
public func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  try (try encoder.encode(value) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
}
