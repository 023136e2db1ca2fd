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
/// later can inherit it. `SpawnedChild` (the search's workers) takes the same lock around `posix_spawn`.
import Foundation

public enum ChildProcesses {
  private static let lock = NSLock()

  /// Runs `process.run()` while no other thread of this process is starting a child.
  public static func start(_ process: Process) throws {
    lock.lock()
    defer { lock.unlock() }
    try process.run()
  }

  /// Which standard stream of a child `run` returns; the other goes to the null device.
  public enum Capture: Sendable {
    case standardOutput, standardError
  }

  /// Runs `tool` (a name on the PATH or a path, through `/usr/bin/env`) with `arguments` and `environment` (nil:
  /// this process's), started by `start`, and waits for it to end: its exit status and the text it wrote to the
  /// `capture`d stream. Throws where it cannot be started (the callers' tools: clang, Python, the C compiler).
  public static func run(
    _ tool: String, _ arguments: [String], environment: [String: String]? = nil, capture: Capture
  ) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    switch capture {
    case .standardOutput:
      process.standardOutput = pipe
      process.standardError = FileHandle.nullDevice
    case .standardError:
      process.standardError = pipe
      process.standardOutput = FileHandle.nullDevice
    }
    try start(process)
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// Runs `body` (a `posix_spawn`) while no other thread of this process is starting a child.
  static func whileStarting<T>(_ body: () -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body()
  }
}

/// A child process started with `posix_spawn` whose exit status this process reads itself with `waitpid` on its pid
/// (no socket pair, no thread of Foundation's): the search's workers. Foundation's `Process` has been seen to miss a
/// killed worker's exit (a zombie never reaped, `isRunning` true for good); `waitpid(pid)` cannot miss it.
///
/// The child gets standard input, output and error from the named files and nothing else: every other descriptor
/// is closed in the child (`posix_spawn_file_actions_addclosefrom_np(3)`; the parent's descriptors are untouched,
/// so Foundation's own watches stay intact). The spawn holds `ChildProcesses`' lock like `Process.run()` does.
public final class SpawnedChild: @unchecked Sendable {
  // @unchecked Sendable: `exit` is written only by `poll` and `killAndWait`, whose callers (one pool) serialize
  // their calls.

  /// How a child ended.
  public enum Exit: Equatable, Sendable {
    case exited(Int32)
    case signaled(Int32)
  }

  public let pid: pid_t
  public private(set) var exit: Exit?

  init(pid: pid_t) { self.pid = pid }

  /// Starts `executable` with `arguments` (argv[0] is the executable's path), the environment of this process and
  /// the three standard streams opened from the given paths.
  public static func spawn(
    executable: String, arguments: [String], standardInput: String, standardOutput: String, standardError: String
  ) throws -> SpawnedChild {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_TRUNC, 0)
    posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_TRUNC, 0)
    if let closeFrom = closeFrom { _ = closeFrom(&actions, 3) }
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let rc = ChildProcesses.whileStarting {
      argv.withUnsafeBufferPointer { posix_spawn(&pid, executable, &actions, nil, $0.baseAddress!, environ) }
    }
    guard rc == 0 else { throw SpawnFailure(message: "cannot start '\(executable)': \(String(cString: strerror(rc)))") }
    return SpawnedChild(pid: pid)
  }

  /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time: Swift's Glibc
  /// module does not import it, and an older glibc lacks it (the child then inherits what is not close-on-exec).
  private static let closeFrom:
    (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
      else { return nil }
      return unsafeBitCast(
        symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

  /// The child's exit, reaping it when it has ended; nil while it runs.
  @discardableResult public func poll() -> Exit? {
    if let exit { return exit }
    var status: Int32 = 0
    var r: pid_t
    repeat { r = waitpid(pid, &status, WNOHANG) } while r == -1 && errno == EINTR
    if r == pid {
      exit = Self.decode(status)
    } else if r == -1 {
      exit = .exited(-1)  // not our child any more (ECHILD): nothing to wait for
    }
    return exit
  }

  public var isRunning: Bool { poll() == nil }

  /// waitpid's status word: WIFEXITED when the low 7 bits are 0 (WEXITSTATUS the next 8), else WTERMSIG.
  static func decode(_ status: Int32) -> Exit {
    status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
  }

  /// Sends SIGKILL (if it still runs) and reaps it, waiting at most 10 s: a child stuck in the kernel (a GPU
  /// driver call) can take long to die, and the caller must not hang on it; such a child counts as killed and is
  /// left a zombie until this process ends.
  public func killAndWait() {
    guard poll() == nil else { return }
    Glibc.kill(pid, SIGKILL)
    let deadline = Date().addingTimeInterval(10)
    while poll() == nil, Date() < deadline { usleep(5_000) }
    if exit == nil { exit = .signaled(SIGKILL) }
  }
}

/// `posix_spawn` failed (no such executable, no memory, no process slot).
public struct SpawnFailure: Error, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}
