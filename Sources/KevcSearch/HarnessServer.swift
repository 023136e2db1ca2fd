/// The search's warm-worker server (`python3 -m kevc_gpu serve`, python/kevc_gpu/server.py): persistent GPU worker
/// processes (torch, Triton and the CUDA context started once, a pool per visible device) that every candidate's
/// `kevc worker` hands its modules to (`run --server SOCKET`) instead of starting Python, torch and CUDA again.
/// A candidate that crashes or hangs ends only its warm worker, which the server replaces; a candidate whose
/// client finds no server evaluates in its own process as before. The server dies with the search.
import Foundation
import KevcBasic
import KevcDriver

public final class HarnessServer {
  public let socket: String
  /// The devices the server keeps workers for (indices).
  public let devices: [Int]
  let process: Process

  /// Starts a server with `workersPerDevice` warm workers per device; nil when it cannot start (no python/kevc_gpu,
  /// no torch), in which case candidates start their own worker as before.
  /// With `executor` (`ray://HOST:PORT`), the server keeps no local workers and runs every candidate as a Ray task
  /// on that cluster (python/kevc_gpu/ray_executor.py); the search and its database stay here.
  public init?(workersPerDevice: Int, executor: String? = nil, python: String = "python3") {
    socket = FileManager.default.temporaryDirectory.appendingPathComponent(
      "kevc-warm-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    ).path
    guard
      let p = GPUHarness.harnessProcess(
        ["serve", "--socket", socket, "--workers", String(max(1, workersPerDevice))]
          + (executor.map { ["--executor", $0] } ?? []), python: python)
    else { return nil }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    do { try ChildProcesses.start(p) } catch { return nil }
    process = p
    // The first line says it listens (and on which devices); EOF means it failed to start.
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      line.append(chunk)
    }
    guard let o = try? JSONSerialization.jsonObject(with: line.prefix { $0 != UInt8(ascii: "\n") }) as? [String: Any],
      o["listening"] as? String == socket
    else {
      if p.isRunning { kill(p.processIdentifier, SIGKILL) }
      return nil
    }
    devices = (o["devices"] as? [Any] ?? []).compactMap { GPUHarness.number($0).map(Int.init) }
  }

  /// Stops the server and its workers (SIGTERM: it closes its pool and removes the socket; SIGKILL after 5 s).
  public func stop() {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGTERM)
    let deadline = Date().addingTimeInterval(5)
    while process.isRunning, Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    try? FileManager.default.removeItem(atPath: socket)
  }

  deinit { stop() }
}
