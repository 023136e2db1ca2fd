/// A JIT-compiled kernel that can be called on byte buffers, and timed.
import CLLVM
import KevcBasic

/// `void kernel(void **args)`: see the ABI in LoopEmitter.swift.
private typealias KernelEntry = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void

/// Keeps its LLJIT (and so the machine code) alive. Not thread-safe.
public final class JITKernel {
  private let jit: OrcJIT
  private let entry: KernelEntry
  /// Bytes of each param, then of each result.
  private let argumentBytes: [Int]
  private let workspaceSize: Int
  public let name: String

  init(jit: OrcJIT, address: UInt64, name: String, argumentBytes: [Int], workspaceSize: Int) {
    self.jit = jit
    // The address is the JIT's compiled `void(ptr)` function for `name`.
    self.entry = unsafeBitCast(UInt(address), to: KernelEntry.self)
    self.name = name
    self.argumentBytes = argumentBytes
    self.workspaceSize = workspaceSize
  }

  /// Runs the kernel once. `buffers` = one raw byte array per param then per result, in order (results are
  /// overwritten in place).
  public func run(_ buffers: inout [[UInt8]]) throws(DiagnosticError) {
    let call = try Call(self, buffers)
    defer { call.release() }
    call.invoke(entry)
    call.copyResults(into: &buffers)
  }

  /// Lower-overhead timing entry: runs `iterations` calls with the same buffers and returns seconds per call,
  /// one sample per repeat (take the median). Results are overwritten as by `run`.
  public func time(_ buffers: inout [[UInt8]], iterations: Int, repeats: Int) throws(DiagnosticError) -> [Double] {
    guard iterations >= 1, repeats >= 1 else {
      throw LLVMDiagnostic.error(LLVMDiagnostic.badArguments, "timing needs at least one iteration and one repeat")
    }
    let call = try Call(self, buffers)
    defer { call.release() }
    call.invoke(entry)  // warm-up: page in code, data and workspace
    let clock = ContinuousClock()
    var samples: [Double] = []
    for _ in 0..<repeats {
      let start = clock.now
      for _ in 0..<iterations { call.invoke(entry) }
      let elapsed = (clock.now - start).components
      let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
      samples.append(seconds / Double(iterations))
    }
    call.copyResults(into: &buffers)
    return samples
  }

  /// The argument array of one call: 64-byte aligned copies of the caller's buffers plus a workspace.
  private struct Call {
    var pointers: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    var count: Int

    init(_ kernel: JITKernel, _ buffers: [[UInt8]]) throws(DiagnosticError) {
      let sizes = kernel.argumentBytes
      guard buffers.count == sizes.count else {
        throw LLVMDiagnostic.error(
          LLVMDiagnostic.badArguments, "'\(kernel.name)' takes \(sizes.count) buffers, got \(buffers.count)")
      }
      for (i, buffer) in buffers.enumerated() where buffer.count < sizes[i] {
        throw LLVMDiagnostic.error(
          LLVMDiagnostic.badArguments,
          "buffer \(i) of '\(kernel.name)' has \(buffer.count) bytes, needs \(sizes[i])")
      }
      count = sizes.count + 1
      pointers = .allocate(capacity: count)
      for (i, buffer) in buffers.enumerated() {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(buffer.count, 1), alignment: 64)
        buffer.withUnsafeBytes { bytes in
          if let base = bytes.baseAddress { memory.copyMemory(from: base, byteCount: bytes.count) }
        }
        pointers[i] = memory
      }
      pointers[count - 1] = UnsafeMutableRawPointer.allocate(byteCount: max(kernel.workspaceSize, 1), alignment: 64)
    }

    func invoke(_ entry: KernelEntry) { entry(pointers) }

    /// Copies every buffer back: results, and inputs too, so that a caller can detect a kernel that wrote one.
    func copyResults(into buffers: inout [[UInt8]]) {
      for i in 0..<(count - 1) {
        guard let memory = pointers[i] else { continue }
        buffers[i].withUnsafeMutableBytes { dest in
          if let base = dest.baseAddress { base.copyMemory(from: memory, byteCount: dest.count) }
        }
      }
    }

    func release() {
      for i in 0..<count { pointers[i]?.deallocate() }
      pointers.deallocate()
    }
  }
}
