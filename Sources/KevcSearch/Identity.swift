/// Identities of what the search stores: the structural hash of kernel IR (candidates are deduplicated by the hash
/// of their printed scheduled IR, which carries no source locations), the workload key (spec hash + bound shape)
/// and the target key (backend, device name, architecture and features or toolchain), so that a record is never
/// applied to another target.
import Foundation
import KevcBasic
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

  /// The first CUDA GPU as `nvidia-smi` names it, for the `triton` target: device name, compute capability, driver
  /// and Triton version (from `python3 -c 'import triton'`); nil when there is no GPU (no `nvidia-smi`, or it lists
  /// none). Records are keyed by device name, compute capability and Triton version.
  public static func gpu(kind: String = "triton", python: String = "python3") -> HostTarget? {
    guard
      let text = runTool(["nvidia-smi", "--query-gpu=name,compute_cap,driver_version", "--format=csv,noheader"]),
      let first = text.split(separator: "\n").first
    else { return nil }
    let fields = first.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard fields.count >= 3, !fields[0].isEmpty else { return nil }
    let triton = runTool([python, "-c", "import triton; print(triton.__version__)"])?
      .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    return HostTarget(
      kind: kind, device: fields[0], arch: "sm_" + fields[1].replacingOccurrences(of: ".", with: ""),
      features: "triton \(triton)",
      toolchain: "kevc \(kevcVersion); Triton \(triton); driver \(fields[2])",
      cores: ProcessInfo.processInfo.activeProcessorCount)
  }

  /// The target a search or a compile for `kind` runs on: the host CPU for `llvm`, the GPU for `triton`, `hip`
  /// (compiled as CUDA there) and `cute`.
  public static func forKind(_ kind: String) -> HostTarget? {
    ["triton", "hip", "cute"].contains(kind) ? gpu(kind: kind) : current(kind: kind)
  }

  /// Standard output of a tool found on PATH, or nil when it cannot run or fails.
  static func runTool(_ arguments: [String]) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    do { try ChildProcesses.start(p) } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self)
  }
}
