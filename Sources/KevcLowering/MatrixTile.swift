import KevcBasic
import KevcIR

/// The matrix-unit tile of a thread plan: a phase whose last two thread loops walk a tile of a contraction the
/// schedule marked `dot` is run by one block of 1 to 4 waves (64 threads each) per tile, which a target with a matrix unit computes with
/// MFMA instructions (AMD gfx9: `v_mfma_f32_32x32x8_bf16`, ...), and every other target with the same block's
/// threads as portable loops (the tile's elements strided over the threads, each running the per-element nest). Recognised from the loop IR's
/// structure only (the local accumulator of a `dot` contraction; `LoopProgram.dotAccumulators`):
///
///   thread ... (outer thread loops: one block each)
///   thread r in lo ..< lo + TM   (rows of the tile)          thread c in lo ..< lo + TN   (columns)
///   local %acc: f32[] {
///     %acc[] = init                                  (one statement)
///     for k.o ... { for k.i in lo_k .. hi_k {       (reduction loops, bounds free of r and c)
///       %acc[] = (%acc[] + (A * B)) } }             (A reads r but not c, B reads c but not r)
///     epilogue (stores of %acc's value; never stores to %acc)
///   }
///
/// The MFMA shape follows the operands and the tile: operands that are f16 or bf16 values widened to f32 (exact in
/// the narrow type) use `32x32x8`/`16x16x16` f16 or bf16 instructions, any other f32 operands `32x32x2`/`16x16x4`
/// f32 ones (both accumulate in f32); the 32-row form when 32 divides both tile extents, else the 16-row form when
/// 16 does; the tile is spread over up to 4 waves (2 x 2, 2 x 1, 1 x 2, 4 x 1, 1 x 4) so that each holds at most 4
/// instruction tiles (a 128 x 128 tile: 2 x 2 waves of 2 x 2 tiles of 32 x 32); otherwise (or with a non-f32
/// accumulator) no matrix tile.
/// The innermost reduction loop is walked in steps of the instruction's K, its iterations past `hi_k` masked to 0,
/// the outer reduction loops serially by every lane; rows and columns outside the thread loops' bounds (a split's
/// tail) are masked on input and skipped on output.
///
/// Before (plan): `thread m.o`, `thread n.o`, `thread m.i in 0 ..< 32 guarded`, `thread n.i in 0 ..< 32 guarded`
/// After: `block m.o`, `block n.o`, `matrix tile m.i x n.i (32 x 32) over k.i: 32x32x8 bf16 instructions, 1 x 1 per
/// wave, 1 x 1 waves`
extension ThreadPlan {
  /// The element type an instruction reads its operands in.
  public enum MatrixOperand: String, Hashable, Sendable {
    case f32, f16, bf16
  }

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
    public var operand: MatrixOperand
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

  /// The matrix tile of a phase with thread loops `chain` (see the type's summary), or nil.
  static func matrixTile(
    _ chain: [ThreadLoop], dots: Set<String>, dtypes: [String: DType]
  ) -> MatrixTile? {
    guard !dots.isEmpty, chain.count >= 2 else { return nil }
    let row = chain[chain.count - 2]
    let column = chain[chain.count - 1]
    guard row.loop.body.count == 1, case .loop(let inner)? = row.loop.body.first, inner.variable == column.loop.variable,
      column.loop.body.count == 1, case .allocate(let acc, let body)? = column.loop.body.first,
      dots.contains(acc.name), acc.dtype == .f32, acc.elementCount == 1
    else { return nil }
    let lanes: Set<String> = [row.loop.variable, column.loop.variable]
    // [initial store, reduction loops, epilogue...]
    guard body.count >= 2, case .store(let b0, _, let start) = body[0], b0 == acc.name, !start.reads(acc.name),
      case .loop(let outermost) = body[1]
    else { return nil }
    var reduction: [Loop] = []
    var current = outermost
    while true {
      guard current.lowerBound.indexNames.isDisjoint(with: lanes), current.upperBound.indexNames.isDisjoint(with: lanes)
      else { return nil }
      reduction.append(current)
      guard current.body.count == 1, let only = current.body.first else { return nil }
      if case .loop(let next) = only {
        current = next
        continue
      }
      guard case .store(let buffer, let indices, let value) = only, buffer == acc.name,
        let (op, term) = update(buffer, indices, value), op == .add, case .binary(.mul, var lhs, var rhs) = term
      else { return nil }
      if lhs.indexNames.contains(column.loop.variable) || rhs.indexNames.contains(row.loop.variable) { swap(&lhs, &rhs) }
      guard lhs.indexNames.contains(row.loop.variable), !lhs.indexNames.contains(column.loop.variable),
        rhs.indexNames.contains(column.loop.variable), !rhs.indexNames.contains(row.loop.variable)
      else { return nil }
      let epilogue = Array(body.dropFirst(2))
      guard !epilogue.contains(where: { Self.stores($0, to: acc.name) }) else { return nil }
      let lookup = { (n: String) in dtypes[n] }
      guard exprType(lhs, lookup) == .f32, exprType(rhs, lookup) == .f32 else { return nil }
      /// The narrow type an operand is an exact widening of.
      func narrow(_ e: Expr) -> DType? {
        guard case .cast(.f32, let x) = e, let t = exprType(x, lookup), t == .f16 || t == .bf16 else { return nil }
        return t
      }
      let operand: MatrixOperand
      switch (narrow(lhs), narrow(rhs)) {
      case (.bf16?, .bf16?): operand = .bf16
      case (.f16?, .f16?): operand = .f16
      default: operand = .f32
      }
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
          epilogue: epilogue, operand: operand, m: m, k: k, tilesM: tilesM, tilesN: tilesN, wavesM: wavesM,
          wavesN: wavesN)
      }
      return nil
    }
  }

  /// Whether `s` stores to `buffer` anywhere.
  static func stores(_ s: Stmt, to buffer: String) -> Bool {
    switch s {
    case .store(let b, _, _): return b == buffer
    case .loop(let l): return l.body.contains { stores($0, to: buffer) }
    case .ifThen(_, let t, let e): return (t + e).contains { stores($0, to: buffer) }
    case .allocate(_, let body): return body.contains { stores($0, to: buffer) }
    }
  }
}
