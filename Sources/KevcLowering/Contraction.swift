import KevcBasic
import KevcIR

/// The one plan of a `dot` definition (a sum of a product of two operands), made once from the scheduled kernel and
/// read by every target: its operands (global tensors read under widening casts only), their stored types and the
/// axis each is read along (its contiguous index), the tile's axes (rows: the innermost output axis only the left
/// operand reads; columns: the innermost one only the right reads; contracted: the widest reduction axis both
/// read), batch axes (the other output axes) and serial
/// reduction axes (the other reduction axes, a convolution's taps), the schedule's precision, and per target
/// whether its matrix unit takes it and why not. Triton's `tl.dot` takes the types `NestPlan.dotTypes` allows, on
/// the lanes its builder decides (`NestPlan.dot`, block level); the CuTe DSL's tensor-core MMA atoms take two f16
/// or two bf16 operands, or f32 ones where `precision(y, tf32|bf16)` allows rounding them, in tiles of the
/// schedule's splits; AMD's MFMA instructions (HIP's matrix tiles, `ThreadPlan.MatrixTile`) take the atoms' 16-bit
/// type, else f32 operands (`mfma`), on the tile's rows and columns and stepping the contracted axis; LLVM runs the
/// loop nest.
///
/// Before (scheduled kernel IR, `specs/batched_matmul.kev` under the default GPU schedule):
/// ```
/// %_r0: f32[i < B, m < M, n < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a[i, m, k]) * cast<f32>(%b[i, k, n]))
///   schedule ... dot
/// ```
/// After (`kevc compile specs/batched_matmul.kev --target cute --emit plan`, the same lines on every target):
/// ```
///   %_r0: contraction m x n over k in [0, 33) of %a (f16, along k) and %b (f16, along n), batch i, accumulated in f32
///   %_r0: on cute: tensor-core MMA on f16 operands, 64x64x32 tiles
///   %_r0: on triton: tl.dot on f16 operands where its lanes split it as [m, k] x [k, n] (block plan)
///   %_r0: on llvm: its loop nest; on hip: its loop nest, on f16 MFMA (gfx9) where the thread plan finds a matrix tile
/// ```
extension NestPlan {
  /// A `dot` definition as `acc[batch..., rows, columns] += lhs[.., rows, contracted] * rhs[.., contracted, columns]`.
  public struct Contraction: Hashable, Sendable {
    /// A reduction axis besides the contracted one, with its constant bounds `lo ..< hi`.
    public struct SerialAxis: Hashable, Sendable {
      public var name: String
      public var lo: Int
      public var hi: Int
    }
    /// The operand type of a tensor-core MMA atom: two f16, two bf16, or f32 rounded to tf32.
    public enum MMAOperands: String, Hashable, Sendable {
      case f16, bf16, tf32
    }
    /// The operand type of a matrix unit with f32 instructions besides the 16-bit ones (AMD's MFMA).
    public enum MatrixOperand: String, Hashable, Sendable {
      case f32, f16, bf16
    }

    public var definition: String
    public var lhs: Load
    public var rhs: Load
    public var lhsType: DType
    public var rhsType: DType
    /// The operands' layouts: whether the contiguous (last) index of the left operand reads the rows rather than the
    /// contracted axis (and the right one's the columns): a tile of it is walked along that axis, else along the
    /// contracted one (coalesced reads).
    public var lhsAlongTile: Bool
    public var rhsAlongTile: Bool
    public var rows: String
    public var columns: String
    public var contracted: String
    public var contractedRange: Range<Int>
    /// Output axes besides rows and columns, outermost first.
    public var batch: [String]
    public var serial: [SerialAxis]
    /// The definition's axis extents.
    public var extents: [String: Int]
    public var accumulator: DType
    public var precision: DotPrecision?
    /// Warps per block the schedule asks for (`launch`); nil: the target's default.
    public var warps: Int?
    /// What the tensor cores' MMA atoms take, or why not.
    public var mma: MMAOperands?
    public var mmaRefusal: String?
    /// What AMD's MFMA instructions read the operands as: the MMA atoms' 16-bit type where they take one (two f16 or
    /// two bf16 operands, or f32 ones that `precision(y, bf16)` lets round), else f32 (full precision; tf32,
    /// tf32x3 and bf16x3, whose precision the f32 instructions exceed; two different types, each widened exactly); nil where
    /// the sum does not accumulate in f32 (MFMA's accumulators).
    public var mfma: MatrixOperand?
    /// The split parts of the definition's axes and the axis each walks (`k.o`, `k.i` -> `k`): which loop of a nest
    /// is which of the plan's axes (`axis(ofLoop:)`).
    public var loopAxes: [String: String] = [:]
    /// The tensor-core tile (rows, columns, contracted step): the inner factor of each axis's split, to a power of
    /// two in the atoms' range (64, 64, 32 where an axis is not split; the step of 4-byte tf32 operands at most 32,
    /// to keep the operand tiles within 32 KiB of shared memory).
    public var tileRows = 64
    public var tileColumns = 64
    public var tileContracted = 32
    /// The operand and accumulator types of `tl.dot` (nil: `tl.dot` does not take them).
    public var tlDot: DotTypes?

    public func extent(_ axis: String) -> Int { extents[axis] ?? 1 }
    /// The axis a loop of the definition's nest walks (a split part's root axis; an unsplit axis is its own loop).
    public func axis(ofLoop variable: String) -> String { loopAxes[variable] ?? variable }
  }

  /// A `dot` definition's plan, or why it has none (every target then runs its loop nest).
  public enum ContractionPlan: Hashable, Sendable {
    case planned(Contraction)
    case refused(String)
  }

  /// The operand conversion, precision and accumulator of a matrix-unit dot (`tl.dot`) of a sum accumulated in
  /// `accumulator` whose operands are stored as `lhs`, `rhs` (nil: not a load under widening casts only).
  public struct DotTypes: Hashable, Sendable {
    public var raw: Bool
    public var operands: DType?
    public var precision: Dot.Precision?
    public var accumulator: DType
  }

  /// The types of a dot (see `DotTypes`): f32 accumulators (f64 for f64 sums, i32 for i8 x i8); operands keep a
  /// 16-bit float type when both are stored in it; f32 operands read in IEEE precision unless `precision` says
  /// otherwise; nil for accumulators no matrix unit has.
  public static func dotTypes(accumulator: DType, lhs: DType?, rhs: DType?, precision: DotPrecision?) -> DotTypes? {
    var t = DotTypes(raw: false, operands: .f32, precision: .ieee, accumulator: .f32)
    switch accumulator {
    case .f32, .f16, .bf16:
      if let lhs, let rhs, lhs == rhs, lhs == .f16 || lhs == .bf16 { t = DotTypes(raw: true, operands: nil, precision: nil, accumulator: .f32) }
    case .f64:
      t.operands = .f64
      t.accumulator = .f64
    case .i32:
      guard lhs == .i8, rhs == .i8 else { return nil }
      t = DotTypes(raw: true, operands: nil, precision: nil, accumulator: .i32)
    case .i8, .i64, .bool:
      return nil
    }
    // `precision(y, ...)`: f32 operands on tensor cores in tf32 (one pass or three), in three bf16 passes, or cast
    // to bf16.
    if t.operands == .f32, t.accumulator == .f32 {
      switch precision {
      case .tf32?: t.precision = .tf32
      case .tf32x3?: t.precision = .tf32x3
      case .bf16x3?: t.precision = .bf16x3
      case .bf16?:
        t.operands = .bf16
        t.precision = nil
      case nil: break
      }
    }
    return t
  }

  /// The plan of every `dot` definition of `kernel`.
  public static func contractions(_ kernel: Kernel) -> [String: ContractionPlan] {
    var out: [String: ContractionPlan] = [:]
    for d in kernel.definitions where d.effectiveSchedule.isDot { out[d.name] = contraction(d, in: kernel) }
    return out
  }

  /// The plan of the `dot` definition `d` of `kernel`.
  public static func contraction(_ d: Definition, in kernel: Kernel) -> ContractionPlan {
    let s = d.effectiveSchedule
    if case .computeAt = s.placement {
      return .refused("it is computed inside its consumer's loops (compute_at), not as a phase of its own")
    }
    guard s.storage.permutation == nil, s.storage.padding == nil else {
      return .refused("its buffer is not a plain global tensor (layout or padding)")
    }
    guard let r = d.reduction, r.op == .sum else { return .refused("it does not accumulate a sum") }
    guard case .binary(.mul, let a, let b) = stripCasts(d.body) else { return .refused("its body is not a product") }
    // Global tensors: the kernel's parameters and the definitions that live in memory.
    func storedType(_ name: String) -> DType? {
      if let def = kernel.definitions.first(where: { $0.name == name }) { return loopHome(def) == .memory ? def.dtype : nil }
      return kernel.tensorType(name)?.dtype
    }
    guard let la = rawLoad(a, storedType), let lb = rawLoad(b, storedType), let ta = storedType(la.tensor),
      let tb = storedType(lb.tensor)
    else {
      return .refused("an operand is not a global tensor read under widening casts only")
    }
    let dims = kernel.dimBindings
    let arithmetic = IndexArithmetic(dims: dims)
    var extents: [String: Int] = [:]
    for axis in d.axes {
      guard let e = axis.extent.evaluate(dims) else { return .refused("axis '\(axis.name)' has no constant extent") }
      extents[axis.name] = e
    }
    var bounds: [String: Range<Int>] = [:]
    for x in r.axes {
      guard let lo = arithmetic.constant(x.lowerBound), let hi = arithmetic.constant(x.upperBound), hi > lo else {
        return .refused("reduction axis '\(x.name)' has bounds that are not constant")
      }
      bounds[x.name] = lo ..< hi
    }
    let axes = Set(d.axes.map(\.name))
    let reduced = Set(r.axes.map(\.name))
    let av = la.indices.reduce(Set<String>()) { $0.union($1.indexNames) }
    let bv = lb.indices.reduce(Set<String>()) { $0.union($1.indexNames) }
    let onlyA = av.subtracting(bv).intersection(axes)
    let onlyB = bv.subtracting(av).intersection(axes)
    // The contracted axis: read by both operands; the widest if several (a convolution's channels, not its taps).
    let shared = r.axes.map(\.name).filter { av.contains($0) && bv.contains($0) }
    guard let m = d.axes.map(\.name).last(where: onlyA.contains), let n = d.axes.map(\.name).last(where: onlyB.contains),
      let k = shared.max(by: { (bounds[$0]?.count ?? 0) < (bounds[$1]?.count ?? 0) }), let kRange = bounds[k]
    else {
      return .refused("the operands do not read one output axis each and a shared reduction axis")
    }
    guard av.union(bv).isSubset(of: axes.union(reduced)) else { return .refused("an operand reads other index variables") }
    func alongTile(_ load: Load, _ axis: String) -> Bool {
      guard let last = load.indices.last?.indexNames else { return false }
      return last.contains(axis) && !last.contains(k)
    }
    var c = Contraction(
      definition: d.name, lhs: la, rhs: lb, lhsType: ta, rhsType: tb, lhsAlongTile: alongTile(la, m),
      rhsAlongTile: alongTile(lb, n), rows: m, columns: n, contracted: k,
      contractedRange: kRange, batch: d.axes.map(\.name).filter { $0 != m && $0 != n },
      serial: r.axes.map(\.name).filter { $0 != k }.compactMap { x in bounds[x].map { .init(name: x, lo: $0.lowerBound, hi: $0.upperBound) } },
      extents: extents, accumulator: r.accumulator, precision: s.dotPrecision, warps: s.launch?.warps)
    c.tlDot = dotTypes(accumulator: r.accumulator, lhs: ta, rhs: tb, precision: s.dotPrecision)
    for split in s.splits {
      for part in [split.outer, split.inner] { c.loopAxes[part] = Kernel.rootVariable(of: part, in: s) }
    }
    // The tensor cores' MMA atoms.
    if r.accumulator != .f32 {
      c.mmaRefusal = "it does not accumulate a sum in f32"
    } else {
      switch (ta, tb, s.dotPrecision) {
      case (.f16, .f16, _): c.mma = .f16
      case (.bf16, .bf16, _): c.mma = .bf16
      case (.f32, .f32, .tf32?): c.mma = .tf32
      case (.f32, .f32, .bf16?): c.mma = .bf16
      case (.f32, .f32, .tf32x3?): c.mmaRefusal = "precision tf32x3 (three tf32 passes) has no single MMA atom"
      case (.f32, .f32, .bf16x3?): c.mmaRefusal = "precision bf16x3 (three bf16 passes) has no single MMA atom"
      case (.f32, .f32, nil):
        c.mmaRefusal = "f32 operands at full precision (precision(y, tf32) or bf16 would allow the tf32/bf16 MMA atoms)"
      default:
        c.mmaRefusal = "operand types \(ta) and \(tb) (the warp MMA atoms take two f16 or two bf16 operands, or f32 as tf32)"
      }
    }
    // MFMA: the atoms' 16-bit operand type, else f32 instructions; f32 accumulators only.
    if r.accumulator == .f32 {
      switch c.mma {
      case .f16?: c.mfma = .f16
      case .bf16?: c.mfma = .bf16
      case .tf32?, nil: c.mfma = .f32
      }
    }
    func tile(_ axis: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
      guard let f = s.splits.first(where: { $0.variable == axis })?.factor, f > 0 else { return fallback }
      var p = 1
      while p <= f / 2 { p *= 2 }
      return min(max(p, range.lowerBound), range.upperBound)
    }
    c.tileRows = tile(m, 64, 32...128)
    c.tileColumns = tile(n, 64, 32...128)
    c.tileContracted = tile(k, 32, 16...(c.mma == .tf32 ? 32 : 64))
    return .planned(c)
  }

  /// The plan lines of one contraction (`--emit plan`, every target).
  static func describe(_ name: String, _ plan: ContractionPlan) -> String {
    switch plan {
    case .refused(let reason):
      return "  %\(name): contraction not planned: \(reason); every target runs its loop nest\n"
    case .planned(let c):
      let batch = c.batch.isEmpty ? "" : ", batch \(c.batch.joined(separator: ", "))"
      let serial = c.serial.isEmpty ? "" : ", serial \(c.serial.map { "\($0.name) in [\($0.lo), \($0.hi))" }.joined(separator: ", "))"
      let precision = c.precision.map { ", precision \($0.rawValue)" } ?? ""
      var s = "  %\(name): contraction \(c.rows) x \(c.columns) over \(c.contracted) in [\(c.contractedRange.lowerBound), "
        + "\(c.contractedRange.upperBound)) of %\(c.lhs.tensor) (\(c.lhsType.rawValue), along \(c.lhsAlongTile ? c.rows : c.contracted)) "
        + "and %\(c.rhs.tensor) (\(c.rhsType.rawValue), along \(c.rhsAlongTile ? c.columns : c.contracted))\(batch)\(serial)\(precision), accumulated in \(c.accumulator.rawValue)\n"
      if let o = c.mma {
        s += "  %\(name): on cute: tensor-core MMA on \(o.rawValue) operands, \(c.tileRows)x\(c.tileColumns)x\(c.tileContracted) tiles\n"
      } else {
        s += "  %\(name): on cute: its loop nest: \(c.mmaRefusal ?? "")\n"
      }
      if let t = c.tlDot {
        let operands = (t.operands.map { "operands as \($0.rawValue)" } ?? "operands as stored")
          + (t.precision.map { ", \($0.rawValue) precision" } ?? "")
        s += "  %\(name): on triton: tl.dot (\(operands), accumulated in \(t.accumulator.rawValue)) where its lanes split it "
          + "as [\(c.rows), \(c.contracted)] x [\(c.contracted), \(c.columns)] in blocks of at least 16\n"
      } else {
        s += "  %\(name): on triton: its loop nest: tl.dot has no \(c.accumulator.rawValue) accumulator for \(c.lhsType.rawValue) x \(c.rhsType.rawValue)\n"
      }
      let hip = c.mfma.map { "its loop nest, on \($0.rawValue) MFMA (gfx9) where the thread plan finds a matrix tile" }
        ?? "its loop nest (MFMA accumulates in f32, not \(c.accumulator.rawValue))"
      return s + "  %\(name): on llvm: its loop nest; on hip: \(hip)\n"
    }
  }
}
