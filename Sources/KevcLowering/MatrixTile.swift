import KevcBasic
import KevcIR

/// The matrix-unit tile of a thread plan: a phase whose last two thread loops walk a tile of a contraction the
/// schedule marked `dot` is run by one block of 1 to 4 waves (64 threads each) per tile, which a target with a matrix
/// unit computes with MFMA instructions (AMD gfx9: `v_mfma_f32_32x32x8_bf16`, ...), and every other target with the
/// same block's threads as portable loops (the tile's elements strided over the threads, each running the
/// per-element nest). What the contraction is comes from its plan (`NestPlan.contraction`, `Contraction.swift`,
/// made once for every target): the tile's rows and columns are loops of the plan's row and column axes (in either
/// order), the instruction steps the innermost reduction loop, which walks the plan's contracted axis (the other
/// reduction loops walk it or its serial axes, a convolution's taps), and the instruction's operand type is the
/// plan's `mfma` (f16 or bf16 where the MMA atoms take that type, under `precision(y, bf16)` too; else f32). A
/// contraction without a plan (refused, or no `dot`) gets no matrix tile. What is left here is where the loop IR
/// puts the contraction, recognised from its structure only:
///
///   thread ... (outer thread loops: one block each)
///   thread r in lo ..< lo + TM   (rows of the tile)          thread c in lo ..< lo + TN   (columns)
///   local %acc: f32[] {                              (the local accumulator of a planned contraction)
///     %acc[] = init                                  (one statement)
///     for k.o ... { for k.i in lo_k .. hi_k {       (reduction loops, bounds free of r and c)
///       %acc[] = (%acc[] + (A * B)) } }             (A reads r but not c, B reads c but not r)
///     epilogue (stores of %acc's value; never stores to %acc)
///   }
///
/// The 32-row instruction form (`32x32x8` for 16-bit operands, `32x32x2` for f32) when 32 divides both tile extents,
/// else the 16-row form (`16x16x16`, `16x16x4`) when 16 does; the tile is spread over up to 4 waves (2 x 2, 2 x 1,
/// 1 x 2, 4 x 1, 1 x 4) so that each holds at most 4 instruction tiles (a 128 x 128 tile: 2 x 2 waves of 2 x 2
/// tiles of 32 x 32); otherwise no matrix tile. The innermost reduction loop is walked in steps of the
/// instruction's K, its iterations past `hi_k` masked to 0, the outer reduction loops serially by every lane; rows
/// and columns outside the thread loops' bounds (a split's tail) are masked on input and skipped on output.
///
/// Before (plan): `thread m.o`, `thread n.o`, `thread m.i in 0 ..< 32 guarded`, `thread n.i in 0 ..< 32 guarded`
/// After: `block m.o`, `block n.o`, `matrix tile m.i x n.i (32 x 32) over k.i: 32x32x8 bf16 instructions, 1 x 1 per
/// wave, 1 x 1 waves`
extension ThreadPlan {
  public struct MatrixTile: Sendable {
    /// The thread loops of the tile's rows and columns (now spread over the block's threads by the printer).
    public var row: ThreadLoop
    public var column: ThreadLoop
    /// The f32 accumulator of one output element.
    public var accumulator: Buffer
    /// Statements that initialise the accumulator, before the reduction loops.
    public var initial: [Stmt]
    /// The reduction loops, outermost first; the last is walked in steps of `k` by the matrix unit.
    public var reduction: [Loop]
    /// The operands: `lhs` reads the row's variable, `rhs` the column's (f32 expressions).
    public var lhs: Expr
    public var rhs: Expr
    /// Statements after the reduction loops (they read the accumulator).
    public var epilogue: [Stmt]
    /// The contraction's plan, which decides the tile's axes and the operand type (`plan.mfma`).
    public var plan: NestPlan.Contraction
    public var operand: NestPlan.Contraction.MatrixOperand
    /// One instruction's shape: an `m x m` output tile over `k` reduction steps.
    public var m: Int
    public var k: Int
    /// Instruction tiles per wave along rows and columns.
    public var tilesM: Int
    public var tilesN: Int
    /// Waves per block along rows and columns: wave `w` computes the `tilesM x tilesN` instruction tiles at row
    /// `(w / wavesN) * tilesM * m` and column `(w % wavesN) * tilesN * m` of the block's tile.
    public var wavesM: Int
    public var wavesN: Int

    /// Lanes of a wave (an AMD wavefront).
    public static let lanes = 64
    /// Threads of the block that runs a tile on the matrix unit.
    public var threads: Int { Self.lanes * wavesM * wavesN }
    /// Threads of the block that runs a tile's portable path (a target decides which path, and launches that many):
    /// one per element up to 1,024 (a multiple of 64: the extents are multiples of 16), so that a GPU without the
    /// matrix unit is as busy as with one thread per output element.
    public var portableThreads: Int { min(1024, row.span * column.span) }
    /// Operand values one lane holds per instruction.
    public var valuesPerLane: Int { m * k / Self.lanes }
    /// Accumulator registers one lane holds per instruction tile.
    public var registers: Int { m * m / Self.lanes }
  }

  /// The matrix tile of a phase with thread loops `chain` (see the type's summary), or nil; `contractions`: the plans
  /// of the contractions by the name of their local accumulator in the loop IR.
  static func matrixTile(
    _ chain: [ThreadLoop], contractions: [String: NestPlan.Contraction], dtypes: [String: DType]
  ) -> MatrixTile? {
    guard !contractions.isEmpty, chain.count >= 2 else { return nil }
    let row = chain[chain.count - 2]
    let column = chain[chain.count - 1]
    guard row.loop.body.count == 1, case .loop(let inner)? = row.loop.body.first, inner.variable == column.loop.variable,
      column.loop.body.count == 1, case .allocate(let acc, let body)? = column.loop.body.first,
      let plan = contractions[acc.name], let operand = plan.mfma, acc.dtype == .f32, acc.elementCount == 1,
      Set([plan.axis(ofLoop: row.loop.variable), plan.axis(ofLoop: column.loop.variable)]) == [plan.rows, plan.columns]
    else { return nil }
    let reductionAxes = Set([plan.contracted] + plan.serial.map(\.name))
    let lanes: Set<String> = [row.loop.variable, column.loop.variable]
    // [initial store, reduction loops, epilogue...]
    guard body.count >= 2, case .store(let b0, _, let start) = body[0], b0 == acc.name, !start.reads(acc.name),
      case .loop(let outermost) = body[1]
    else { return nil }
    var reduction: [Loop] = []
    var current = outermost
    while true {
      guard current.lowerBound.indexNames.isDisjoint(with: lanes), current.upperBound.indexNames.isDisjoint(with: lanes),
        reductionAxes.contains(plan.axis(ofLoop: current.variable))
      else { return nil }
      reduction.append(current)
      guard current.body.count == 1, let only = current.body.first else { return nil }
      if case .loop(let next) = only {
        current = next
        continue
      }
      // The instruction steps the innermost loop: it must walk the contracted axis.
      guard plan.axis(ofLoop: current.variable) == plan.contracted,
        case .store(let buffer, let indices, let value) = only, buffer == acc.name,
        let (op, term) = update(buffer, indices, value), op == .add, case .binary(.mul, var lhs, var rhs) = term
      else { return nil }
      if lhs.indexNames.contains(column.loop.variable) || rhs.indexNames.contains(row.loop.variable) { swap(&lhs, &rhs) }
      guard lhs.indexNames.contains(row.loop.variable), !lhs.indexNames.contains(column.loop.variable),
        rhs.indexNames.contains(column.loop.variable), !rhs.indexNames.contains(row.loop.variable)
      else { return nil }
      let epilogue = Array(body.dropFirst(2))
      guard !Self.stores(epilogue).contains(acc.name) else { return nil }
      let lookup = { (n: String) in dtypes[n] }
      guard exprType(lhs, lookup) == .f32, exprType(rhs, lookup) == .f32 else { return nil }
      for m in [32, 16] where row.span % m == 0 && column.span % m == 0 {
        // Waves along rows and columns (at most 4), each with at most 4 instruction tiles.
        let (rows, columns) = (row.span / m, column.span / m)
        guard
          let (wavesM, wavesN) = [(1, 1), (2, 1), (1, 2), (2, 2), (4, 1), (1, 4)].first(where: { wm, wn in
            rows % wm == 0 && columns % wn == 0 && (rows / wm) * (columns / wn) <= 4
          })
        else { return nil }
        let (tilesM, tilesN) = (rows / wavesM, columns / wavesN)
        let k: Int
        switch operand {
        case .f32: k = m == 32 ? 2 : 4
        case .f16, .bf16: k = m == 32 ? 8 : 16
        }
        return MatrixTile(
          row: row, column: column, accumulator: acc, initial: [body[0]], reduction: reduction, lhs: lhs, rhs: rhs,
          epilogue: epilogue, plan: plan, operand: operand, m: m, k: k, tilesM: tilesM, tilesN: tilesN, wavesM: wavesM,
          wavesN: wavesN)
      }
      return nil
    }
  }
}
