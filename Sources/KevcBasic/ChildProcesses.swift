/// Starting child processes one at a time, so that no child inherits another child's exit watch.
///
/// Foundation's `Process.run()` on Linux (swift-corelibs-foundation) watches each child through a socket pair whose
/// child end is not close-on-exec, and learns of the child's exit when that end closes. A child started by another
/// thread while a socket pair is being set up inherits the end too, and the first child's exit then goes unseen
/// until the second child exits as well. When the second child is long-lived (a loopback server that a test keeps
/// until its own child is done) and two such pairs wait on each other, `waitUntilExit` never returns: the test suite
/// hung that way. Every `Process` that kevc starts (search workers, the GPU harness, Triton's ahead-of-time compiler,
/// tool probes) and every one that its tests start goes through `ChildProcesses.start`, which holds one process-wide
/// lock around `run()`; the parent closes its copy of the child's end before `run()` returns, so nothing started
/// later can inherit it.
import Foundation

public enum ChildProcesses {
  private static let lock = NSLock()

  /// Runs `process.run()` while no other thread of this process is starting a child.
  public static func start(_ process: Process) throws {
    lock.lock()
    defer { lock.unlock() }
    try process.run()
  }
}
