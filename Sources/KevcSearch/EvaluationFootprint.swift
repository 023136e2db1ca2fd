/// How much device memory one GPU evaluation holds at its peak, computed from the bound IR before it runs, so that
/// the worker pool admits work by memory as well as by count (`WorkerPool.admits`), and the harness checks in
/// slices what does not fit (python/kevc_gpu: the chunked float64 reference).
///
/// The parts follow what the harness allocates for one trial (docs/gpu-harness.md): the inputs and their bitwise
/// snapshot; the poisoned outputs; the float64 reference (every definition it stores in
/// float64, results included); the comparison's temporaries (the comparison walks a result in slices of
/// `checkChunkElements`, holding at most `checkCopies` float64 copies of one slice: 64 MiB whatever the problem's
/// size; python/kevc_gpu/tolerance.py's CHUNK and CHECK_COPIES, measured by python/tests/test_scale.py::
/// test_the_comparisons_memory_is_what_the_footprint_declares); and scratch (the reference's reduction chunks and the
/// L2 flush buffer of the timed calls). For example, rmsnorm at M=8192, N=4096 in f32: inputs 128 MiB (+ 128 MiB
/// snapshot), outputs 128 MiB, reference 256 MiB (the result in float64), checks 64 MiB.
///
/// The same figure decides how the harness checks (`referencePlan`): whole when it fits the budget, else the
/// float64 reference in slices over the first axis of the results no definition reads (`Kernel.streamableResults`,
/// the torch reference's `_STREAMABLE`), sized here; or, when even that cannot fit, `harness_error` with the reason.
/// The plan travels in the job (`--footprint`); the worker never recomputes it (it may cut a slice further when the
/// memory free at that moment is less: python/kevc_gpu/memory.py).
import Foundation
import KevcIR

public struct EvaluationFootprint: Sendable, Equatable {
  public var inputs: Int = 0
  public var snapshots: Int = 0
  public var outputs: Int = 0
  public var reference: Int = 0
  public var checks: Int = 0
  public var scratch: Int = 0
  /// Of `reference`: the float64 bytes of the results a sliced reference never holds whole.
  public var streamed: Int = 0
  /// Elements of one row (every axis but the first) of the widest streamed result: the smallest slice.
  public var streamedRow: Int = 0

  public init() {}

  /// Elements per slice of the comparison, and the float64 copies of one slice it holds at most.
  public static let checkChunkElements = 1 << 20
  public static let checkCopies = 8

  /// The comparison's memory for a largest result of `elements` elements.
  public static func checksBytes(largestResult elements: Int) -> Int {
    min(max(0, elements), checkChunkElements) * checkCopies * 8
  }

  /// Float64 copies of a slice held at once while it is computed and compared (the slice, the expression's
  /// temporaries, the streaming comparison's): the batch_norm2d at N=64, C=64, H=W=512 ran out with eight.
  public static let sliceCopies = 16
  /// At most this many elements per slice (256 MiB of float64): more slices cost little, a huge one risks a lot.
  public static let maxSliceElements = 1 << 25

  /// How the harness computes the float64 reference under `budget` bytes.
  public enum ReferencePlan: Equatable, Sendable {
    case whole
    case slices(elements: Int)
    /// Not even in slices: what the reference holds besides its slices, and why.
    case tooLarge(String)
  }

  /// The reference's reduction chunks (2^22 float64 elements, a few at once) and the L2 flush buffer (256 MiB).
  public static let scratchBytes = 4 * (1 << 22) * 8 + (256 << 20)

  public var total: Int { Self.sum([inputs, snapshots, outputs, reference, checks, scratch]) }

  /// The bytes the pool reserves for this evaluation under `budget`: its whole footprint when it fits, else the
  /// budget (the evaluation then runs alone and the harness computes its reference in slices to fit).
  public func admitted(budget: Int?) -> Int {
    guard let budget else { return total }
    return min(total, budget)
  }

  /// The footprint of evaluating `kernel` (every dim bound); a dim left unbound counts as 1.
  public static func of(_ kernel: Kernel) -> EvaluationFootprint {
    let dims = kernel.dimBindings
    func elements(_ shape: [SizeExpr]) -> Int {
      var n = 1
      for s in shape {
        let (p, overflow) = n.multipliedReportingOverflow(by: max(0, s.evaluate(dims) ?? 1))
        n = overflow ? Int.max : p
      }
      return n
    }
    func bytes(_ count: Int, _ size: Int) -> Int {
      let (p, overflow) = count.multipliedReportingOverflow(by: size)
      return overflow ? Int.max : p
    }
    var f = EvaluationFootprint()
    for p in kernel.params {
      let n = elements(p.shape)
      f.inputs = sum([f.inputs, bytes(n, p.dtype.byteSize)])
    }
    f.snapshots = f.inputs
    var largestResult = 0
    for r in kernel.results {
      let n = elements(r.shape)
      f.outputs = sum([f.outputs, bytes(n, r.dtype.byteSize)])
      largestResult = max(largestResult, n)
    }
    // The reference reads the inputs where they are (converting to float64 only the elements a load gathers, a
    // reduction chunk at a time: `scratch`) and stores every definition whole in float64.
    f.reference = sum(kernel.definitions.map { bytes(elements($0.shape), 8) })
    f.checks = checksBytes(largestResult: largestResult)
    f.scratch = scratchBytes
    let streamable = Set(kernel.streamableResults)
    for d in kernel.definitions where streamable.contains(d.name) && !d.shape.isEmpty {
      f.streamed = sum([f.streamed, bytes(elements(d.shape), 8)])
      f.streamedRow = max(f.streamedRow, elements(Array(d.shape.dropFirst())))
    }
    return f
  }

  /// The plan for `budget` bytes (nil: no limit): whole when the footprint fits; else slices of the streamed results
  /// (everything else held whole, the comparison's whole-result copies replaced by the slices'), as large as the rest
  /// of the budget allows for `sliceCopies` float64 copies, at most `maxSliceElements`, at least one row.
  /// Where even that leaves no room for one row, the inputs' snapshot is left out: the worker takes one only when it
  /// fits the memory free now, else draws the inputs again after the call and compares them piece by piece
  /// (python/kevc_gpu/worker.py `snapshot_fits`, inputs.matches).
  public func referencePlan(budget: Int?) -> ReferencePlan {
    guard let budget, total > budget else { return .whole }
    let row = max(1, streamedRow)
    let withSnapshot = Self.sum([inputs, snapshots, outputs, reference - streamed, scratch])
    let withSnapshotRoom = budget > withSnapshot ? budget - withSnapshot : 0
    let fixed =
      withSnapshotRoom / (Self.sliceCopies * 8) >= row
      ? withSnapshot : Self.sum([inputs, outputs, reference - streamed, scratch])
    func g(_ b: Int) -> String { b == Int.max ? "too many bytes to count" : "\((b + (1 << 20) - 1) >> 20) MiB" }
    guard streamed > 0 else {
      return .tooLarge(
        "the evaluation needs \(g(total)) and its float64 reference has no result to compute in slices (budget "
          + "\(g(budget)))")
    }
    let room = budget > fixed ? budget - fixed : 0
    let elements = min(Self.maxSliceElements, room / (Self.sliceCopies * 8))
    guard elements >= row else {
      return .tooLarge(
        "in slices the evaluation still holds \(g(fixed)) (inputs, outputs, every definition the float64 "
          + "reference cannot stream) and \(g(Self.sliceCopies * 8 * max(1, streamedRow))) "
          + "per slice of one row, more than the budget of \(g(budget))")
    }
    return .slices(elements: elements)
  }

  /// The plan as the harness reads it (`--footprint`, one per case): {"footprint_bytes", "budget_bytes",
  /// "reference": "whole" | "slices" | "too_large", "slice_elements", "reason"}.
  public func planJSON(budget: Int?) -> String {
    var o: [String: Any] = ["footprint_bytes": total]
    if let budget { o["budget_bytes"] = budget }
    switch referencePlan(budget: budget) {
    case .whole: o["reference"] = "whole"
    case .slices(let n):
      o["reference"] = "slices"
      o["slice_elements"] = n
    case .tooLarge(let reason):
      o["reference"] = "too_large"
      o["reason"] = reason
    }
    let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  public static func sum(_ xs: [Int]) -> Int {
    var s = 0
    for x in xs {
      let (t, overflow) = s.addingReportingOverflow(x)
      s = overflow ? Int.max : t
    }
    return s
  }

  /// One line for logs: "2.3 GiB (inputs 128 MiB, ...)".
  public var summary: String {
    func g(_ b: Int) -> String {
      b >= 1 << 30 ? "\((b >> 20) / 1024).\(((b >> 20) % 1024) * 10 / 1024) GiB" : "\(b >> 20) MiB"
    }
    return "\(g(total)) (inputs \(g(inputs)), snapshots \(g(snapshots)), outputs \(g(outputs)), float64 reference "
      + "\(g(reference)), checks \(g(checks)), scratch \(g(scratch)))"
  }
}
