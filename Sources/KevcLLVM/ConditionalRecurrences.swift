/// Finds the loops that carry a conditional recurrence and that LLVM could unroll fully, which it must not do
/// (`llvm.loop.unroll.disable`).
///
/// A conditional recurrence is an `if` whose condition reads a buffer that its own branches store to: the
/// arg-reductions' update `if (idx == -1 or val > acc or ...) { acc = val; idx = k }` is one. A loop carries it when
/// that buffer is declared outside the loop, so each iteration's condition depends on the previous iteration's store.
/// Unrolled, such a loop becomes a chain of selects where every step reads the previous one along two or three paths
/// (the comparison, the NaN test, the kept value): a DAG with exponentially many paths. When the chain is invariant
/// in an enclosing loop that LLVM did not hoist it out of, LLVM 22's loop vectorizer walks every path
/// (`vputils::isSingleScalar` has no memo) and never finishes: a compile of a thrice-split argmax under a vectorized
/// loop hung for good (bench/reliability/difftest-mismatches/s2-p2048.crash.kev). A loop kept rolled holds the
/// recurrence in a phi, which the vectorizer sees as one value.
///
/// Only loops LLVM could unroll fully are kept rolled: those whose trip count is unknown or at most
/// `fullyUnrollableTrips` (64). Past that, the -O3 full-unroll threshold (300 instructions; an arg-reduction's update
/// is at least 8) rules out full unrolling, and a partial unroll keeps a phi at the chain's start, where the
/// vectorizer's walk stops at once; such loops keep LLVM's partial unrolling, worth 1.5x on `specs/argmax.kev` at
/// 512 x 32000 (measured: 51-68 ms against 78-144 ms kept rolled, debug kevc, loaded machine).
///
/// Before (loop IR) and after (LLVM metadata on the back edges):
///
///     local %acc: f32[] {                          ; declared outside k0.i and k0.o: both carry it
///       for k0.o in 0 .. 7 {                        ; br label %k0.o.header, !llvm.loop !{.., !"llvm.loop.unroll.disable"}
///         for k0.i in 0 .. 5 {                      ; br label %k0.i.header, !llvm.loop !{.., !"llvm.loop.unroll.disable"}
///           if (%acc[] < %x[..]) { %acc[] = %x[..]; %idx[] = .. }
///
/// A loop the schedule asked to unroll (`unroll`, a factor of at most 64) that carries one is kept rolled too:
/// honouring the hint would bring the chain back. Loops that only enclose the recurrence's declaration (each iteration starts it afresh) are
/// unrolled and vectorized as usual.
import KevcIR
import KevcLowering

enum ConditionalRecurrences {
  /// Iterations past which LLVM cannot unroll an arg-reduction's loop fully (see the summary).
  static let fullyUnrollableTrips: Int64 = 64

  /// Whether `loop` must be kept rolled: it carries a conditional recurrence and may run few enough iterations
  /// (`tripCountBound`: at most that many; nil: unknown) for LLVM to unroll it fully.
  static func keepRolled(_ loop: Loop, tripCountBound: Int64?) -> Bool {
    if let trips = tripCountBound, trips > fullyUnrollableTrips { return false }
    return carried(by: loop)
  }

  /// Whether `loop` carries a conditional recurrence: an `if` in its body (at any depth) whose condition reads a
  /// buffer that the `if` stores to, and that is not declared inside the loop.
  static func carried(by loop: Loop) -> Bool {
    var declaredInside: Set<String> = []
    return containsRecurrence(loop.body, declaredInside: &declaredInside)
  }

  private static func containsRecurrence(_ statements: [Stmt], declaredInside: inout Set<String>) -> Bool {
    for statement in statements {
      switch statement {
      case .loop(let inner):
        if containsRecurrence(inner.body, declaredInside: &declaredInside) { return true }
      case .store:
        break
      case .ifThen(let condition, let thenBody, let elseBody):
        let read = Set(condition.loads.map(\.tensor)).subtracting(declaredInside)
        if !read.isEmpty, !read.isDisjoint(with: stored(in: thenBody + elseBody)) { return true }
        if containsRecurrence(thenBody, declaredInside: &declaredInside)
          || containsRecurrence(elseBody, declaredInside: &declaredInside)
        {
          return true
        }
      case .allocate(let buffer, let body):
        let isNew = declaredInside.insert(buffer.name).inserted
        defer { if isNew { declaredInside.remove(buffer.name) } }
        if containsRecurrence(body, declaredInside: &declaredInside) { return true }
      }
    }
    return false
  }

  /// Buffers stored to by `statements`, at any depth.
  private static func stored(in statements: [Stmt]) -> Set<String> {
    var out: Set<String> = []
    for statement in statements {
      switch statement {
      case .loop(let inner): out.formUnion(stored(in: inner.body))
      case .store(let buffer, _, _): out.insert(buffer)
      case .ifThen(_, let thenBody, let elseBody): out.formUnion(stored(in: thenBody + elseBody))
      case .allocate(_, let body): out.formUnion(stored(in: body))
      }
    }
    return out
  }
}
