/// Identities of what the search stores: the structural hash of kernel IR (candidates are deduplicated by the hash
/// of their printed scheduled IR, which carries no source locations), the workload key (spec hash + bound shape)
/// and the target key (backend, host CPU name and features), so that a record is never applied to another target.
import Foundation
import KevcIR

public enum StructuralHash {
  /// 128 bits as 32 hex digits: two FNV-1a passes with different offsets over the UTF-8 text.
  public static func of(_ text: String) -> String {
    var a: UInt64 = 0xcbf2_9ce4_8422_2325
    var b: UInt64 = 0x8422_2325_cbf2_9ce4
    for byte in text.utf8 {
      a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
      b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
      b = b &+ (b >> 29)
    }
    return hex(a) + hex(b)
  }

  /// The identity of a kernel: its printed IR (no locations).
  public static func of(_ kernel: Kernel) -> String { of(IRPrinter.print(kernel)) }

  static func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
  }
}

/// The bound shape of a kernel as a canonical string: `K=256,M=256,N=256` (sorted by dim name).
public func shapeKey(_ kernel: Kernel) -> String {
  kernel.dims.compactMap { d in d.value.map { "\(d.name)=\($0)" } }.sorted().joined(separator: ",")
}

/// The dtypes of a kernel's inputs and outputs as a JSON object.
public func dtypesJSON(_ kernel: Kernel) -> String {
  let items = (kernel.params + kernel.results).map { "\"\($0.name)\": \"\($0.dtype)\"" }
  return "{" + items.joined(separator: ", ") + "}"
}

/// The machine a target runs on, as recorded in the targets table.
public struct HostTarget: Sendable, Hashable {
  public var kind: String
  public var device: String
  public var arch: String
  public var features: String
  public var toolchain: String
  public var cores: Int

  /// `llvm/x86_64/AMD EPYC/<hash of the CPU features>`: two machines share records only when all of these agree.
  public var key: String { "\(kind)/\(arch)/\(device)/\(StructuralHash.of(features).prefix(12))" }

  /// The host CPU as seen by the operating system (model name and feature flags), for the `llvm` target.
  public static func current(kind: String = "llvm") -> HostTarget {
    var device = "unknown-cpu"
    var features = ""
    if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
      for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { continue }
        if device == "unknown-cpu", parts[0] == "model name" { device = parts[1] }
        if features.isEmpty, parts[0] == "flags" || parts[0] == "Features" {
          features = parts[1].split(separator: " ").sorted().joined(separator: " ")
        }
      }
    }
    var uts = utsname()
    uname(&uts)
    let arch = withUnsafeBytes(of: &uts.machine) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return HostTarget(
      kind: kind, device: device, arch: arch.isEmpty ? "unknown" : arch, features: features,
      toolchain: "kevc \(kevcVersion); LLVM 22 (ORC JIT, O3, host CPU)",
      cores: ProcessInfo.processInfo.activeProcessorCount)
  }
}
