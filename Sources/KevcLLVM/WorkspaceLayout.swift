/// Where each workspace buffer of a loop program lives inside the one workspace block a caller provides.
///
/// Buffers are placed in `temporaries` order at 64-byte aligned offsets; the block's size is rounded up to 64 bytes.
/// Byte sizes are computed with overflow checks, so an absurd shape is a diagnostic, not a trap.
import KevcBasic
import KevcIR
import KevcLowering

struct WorkspaceLayout: Hashable, Sendable {
  static let alignment = 64

  /// Byte offset of every workspace buffer.
  var offsets: [String: Int]
  /// Total bytes (a multiple of 64; 0 when the program needs no workspace).
  var size: Int

  init(_ program: LoopProgram) throws(DiagnosticError) {
    var offsets: [String: Int] = [:]
    var end = 0
    for buffer in program.temporaries where WorkspaceLayout.livesInWorkspace(buffer.scope) {
      let bytes = try WorkspaceLayout.byteSize(of: buffer)
      let start = try WorkspaceLayout.alignUp(end, what: buffer.name)
      let (next, overflow) = start.addingReportingOverflow(bytes)
      guard !overflow else { throw WorkspaceLayout.tooLarge(buffer.name) }
      offsets[buffer.name] = start
      end = next
    }
    self.offsets = offsets
    self.size = try WorkspaceLayout.alignUp(end, what: "the workspace")
  }

  /// Workspace buffers, and any global-scope temporary (memory the whole call shares).
  static func livesInWorkspace(_ scope: MemoryScope) -> Bool {
    switch scope {
    case .workspace, .global: return true
    case .local, .shared: return false
    }
  }

  /// Elements of a buffer (1 for rank 0), checked for negative extents and overflow.
  static func elementCount(of buffer: Buffer) throws(DiagnosticError) -> Int {
    var count = 1
    for extent in buffer.shape {
      guard extent >= 0 else {
        throw LLVMDiagnostic.error(
          LLVMDiagnostic.invalidProgram, "buffer '\(buffer.name)' has a negative extent \(extent)")
      }
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      guard !overflow else { throw tooLarge(buffer.name) }
      count = product
    }
    return count
  }

  static func byteSize(of buffer: Buffer) throws(DiagnosticError) -> Int {
    let (bytes, overflow) = try elementCount(of: buffer).multipliedReportingOverflow(by: buffer.dtype.byteSize)
    guard !overflow else { throw tooLarge(buffer.name) }
    return bytes
  }

  private static func alignUp(_ value: Int, what: String) throws(DiagnosticError) -> Int {
    let (sum, overflow) = value.addingReportingOverflow(alignment - 1)
    guard !overflow else { throw tooLarge(what) }
    return sum / alignment * alignment
  }

  private static func tooLarge(_ name: String) -> DiagnosticError {
    LLVMDiagnostic.error(LLVMDiagnostic.invalidProgram, "buffer '\(name)' is too large to address")
  }
}
