import KevcBasic
import KevcIR

/// The loops of a scan (Scan.swift) and the names of reduction accumulators. A scan keeps the accumulator of
/// `lowerReduction` outside its scan loop `i` and adds one element per iteration: the reduction loop `j` runs over
/// `max(lo, i) ..< i + 1` (one iteration, none while `i < lo`) inside `i`, after a prefix loop over `lo ..< 0` (empty
/// unless the range starts below zero), and the value is stored in every iteration of `i`. A scan computed over a
/// region `s ..< e` of `i` (compute_at, cache) still accumulates from `i = 0`: a first loop `i in 0 .. s` only
/// accumulates the prefix before the region, the scan loop `i in s .. e` accumulates and stores (the store stays
/// inside the region's buffer).
///
/// Before:
///   %y: f32[m < M, n < N] = scan(n) sum<f32> [j in 0 .. (n + 1)] %x[m, j]
/// After (per m):
///   local %y.acc: f32[] {
///     %y.acc[] = 0.0:f32
///     for j in 0 .. 0 { ... }
///     for n in 0 .. N {
///       for j in max(0, n) .. (n + 1) { %y.acc[] = (%y.acc[] + %x[m, j]) }
///       %y[m, n] = %y.acc[]
///     }
///   }
extension Lowering {
  static func accumulatorName(_ def: Definition) -> String { LowerToLoops.accumulatorName(of: def.name) }
  /// Component `i` of a tuple reduction's state (`s`), elements (`e`) or next state (`n`).
  static func tupleLocalName(_ def: Definition, _ kind: String, _ i: Int) -> String { "\(def.name).\(kind).\(i)" }

  /// The value of a reduction after its loops, in the definition's type, from the accumulators `lowerReduction`
  /// allocates.
  static func reductionValue(_ def: Definition, _ r: Reduction) -> Expr {
    func local(_ name: String) -> Expr { .load(Load(tensor: name, indices: [], bounds: .inBounds)) }
    let value: Expr
    let type: DType
    switch r.op {
    case .sum, .prod, .max, .min:
      (value, type) = (local(accumulatorName(def)), r.accumulator)
    case .tuple:
      guard let c = r.combiner else { return .constant(.zero(def.dtype)) }
      // The verifier gives `yield` the definition's type.
      (value, type) = (c.yielded(c.components.indices.map { local(tupleLocalName(def, "s", $0)) }), def.dtype)
    }
    return type == def.dtype ? value : .cast(def.dtype, value)
  }

  /// One accumulator for the whole scan loop (see above); `store` writes the value of the current point. The scan
  /// loop keeps its scheduled kind (serial, or a GPU binding that a block-level target lowers and the CPU rejects:
  /// before, a `block.x` scan loop became serial and compiled for the CPU).
  mutating func scanNest(
    _ def: Definition, _ r: Reduction, body: Expr, others: [Expr], scanLoop i: String, scanLoopKind: LoopKind,
    scanStart start: Expr,
    scanEnd end: Expr, reductionLoop j: String, reductionStart lo: Expr, store: (Expr) -> [Stmt]
  ) -> [Stmt]? {
    let value = Self.reductionValue(def, r)
    let point = store(value)
    let zero = Expr.constant(.int(0))
    return lowerReduction(
      def, r, body: body, others: others,
      loops: { update in
        // One step of the scan at `i`: the element `j = i` (none while `i < lo`), then what `i` stores.
        func scanLoop(from: Expr, to: Expr, storing: [Stmt]) -> Stmt {
          .loop(
            Loop(
              variable: i, lowerBound: from, upperBound: to, kind: scanLoopKind,
              body: [
                .loop(
                  Loop(
                    variable: j, lowerBound: .binary(.max, lo, .index(i)),
                    upperBound: .binary(.add, .index(i), .constant(.int(1))), kind: .serial, body: update))
              ] + storing))
        }
        // The prefix before a region that starts after 0 (none for the whole axis).
        let beforeRegion = start == zero ? [] : [scanLoop(from: zero, to: start, storing: [])]
        return [.loop(Loop(variable: j, lowerBound: lo, upperBound: zero, kind: .serial, body: update))]
          + beforeRegion + [scanLoop(from: start, to: end, storing: point)]
      },
      store: { _ in [] })
  }
}
