import ArgumentParser
import Foundation
import KevcLLVM
import KevcSearch

/// `kevc worker` (hidden): evaluates one search candidate in this process. Reads one JSON WorkerRequest on
/// standard input and writes one JSON WorkerResult on standard output. The search runs one per candidate, so a
/// candidate that crashes or hangs only takes this process down.
struct Worker: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "worker", abstract: "Evaluate one search candidate (JSON in, JSON out).", shouldDisplay: false)

  func run() throws {
    exitWhenOrphaned()
    let data = FileHandle.standardInput.readDataToEndOfFile()
    let result: WorkerResult
    do {
      let request = try JSONDecoder().decode(WorkerRequest.self, from: data)
      // CPU workers only: CUDA reserves far more address space than it uses, so a GPU worker (and the harness
      // it starts, which would inherit the limit) gets no RLIMIT_AS; the harness guards device memory itself.
      if let cap = request.memoryLimit, cap > 0, (request.target ?? "llvm") == "llvm" { capAddressSpace(cap) }
      if let limit = request.compileSeconds { reportCompileTimeouts(after: limit) }
      result = WorkerEvaluation.evaluate(request)
    } catch {
      FileHandle.standardError.write(Data("kevc worker: invalid request: \(error)\n".utf8))
      throw ExitCode(2)
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    FileHandle.standardOutput.write(try encoder.encode(result))
    FileHandle.standardOutput.write(Data("\n".utf8))
  }
}

/// A compile past `seconds` (LLVM cannot be interrupted) ends the worker with a `timeout` result whose error starts
/// with `compile_timeout:`, so the search records why instead of a bare kill at its own timeout.
func reportCompileTimeouts(after seconds: Double) {
  CompileTimeLimit.seconds = seconds
  CompileTimeLimit.onTimeout = { diagnostic in
    let result = WorkerResult(status: .timeout, error: "compile_timeout: \(diagnostic.message)", seconds: seconds)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    if let data = try? encoder.encode(result) { FileHandle.standardOutput.write(data + Data("\n".utf8)) }
    _exit(0)
  }
}

/// Lowers this process's soft limit on address space to `bytes` (RLIMIT_AS; the hard limit stays), so that a
/// candidate that allocates without bound fails in this worker instead of taking the machine's memory.
func capAddressSpace(_ bytes: Int) {
  let RLIMIT_AS_KIND = __rlimit_resource_t(RLIMIT_AS.rawValue)
  var limit = rlimit()
  guard getrlimit(RLIMIT_AS_KIND, &limit) == 0 else { return }
  limit.rlim_cur = min(rlim_t(bytes), limit.rlim_max)
  _ = setrlimit(RLIMIT_AS_KIND, &limit)
}

/// A worker whose search died (SIGKILL, a time limit that killed the whole process tree's root) must not go on
/// compiling and running candidates on its own: it exits once its parent is gone, and the GPU harness it started
/// dies with it (the harness's processes ask the kernel for SIGKILL when their parent dies).
func exitWhenOrphaned() {
  let parent = getppid()
  Thread.detachNewThread {
    while true {
      sleep(1)
      if getppid() != parent { _exit(1) }
    }
  }
}
