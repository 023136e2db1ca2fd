import KevcBasic

/// Which definitions are contractions a matrix unit can compute, by index pattern, never by name: a sum over `k`
/// of a product of two loads (each possibly cast), where both loads use `k`, one uses an axis of the definition the
/// other does not, and every index is affine in the index variables up to floor division and modulo by constants.
/// `dot(y)` accepts exactly these (Dot.swift); an *f32 contraction* is one that also accumulates in f32 and has an
/// operand that is not already a 16-bit float: the definitions `precision(y, p)` applies to and the kernel's
/// `matmul_precision` contract governs (ComputedPrecision's tolerance, Precision.swift's legality).
public enum DotPattern {
  /// Why `d` is not a contraction a `dot` can take, or nil when it is one.
  public static func mismatch(_ d: Definition, in kernel: Kernel) -> String? {
    guard let r = d.reduction, r.op == .sum else { return "'\(d.name)' is not a sum reduction" }
    func stripCasts(_ e: Expr) -> Expr {
      if case .cast(_, let inner) = e { return stripCasts(inner) }
      return e
    }
    guard case .binary(.mul, let lhs, let rhs) = stripCasts(d.body),
      case .load(let a) = stripCasts(lhs), case .load(let b) = stripCasts(rhs)
    else {
      return "the body of '\(d.name)' is not a product of two loads"
    }
    let affine = RegionAnalysis(kernel)
    func variables(_ l: Load) -> [String]? {
      var out: [String] = []
      for i in l.indices {
        guard let names = affine.quasiAffineVariables(i) else { return nil }
        out += names
      }
      return out
    }
    guard let av = variables(a), let bv = variables(b) else {
      return "'\(d.name)' reads its operands at indices that are not affine (a gather); a dot needs affine indices"
    }
    let reduced = Set(r.axes.map(\.name))
    let axes = Set(d.axes.map(\.name))
    let shared = Set(av).intersection(bv).intersection(reduced)
    guard !shared.isEmpty else { return "'\(a.tensor)' and '\(b.tensor)' share no reduction axis" }
    let onlyA = Set(av).subtracting(bv).intersection(axes)
    let onlyB = Set(bv).subtracting(av).intersection(axes)
    guard !onlyA.isEmpty, !onlyB.isEmpty else {
      return "'\(d.name)' is not a contraction: each operand needs an output axis the other lacks (got [\(av.joined(separator: ", "))] and [\(bv.joined(separator: ", "))])"
    }
    return nil
  }

  /// Why a contraction `d` takes no input precision (it is not an f32 contraction), or nil when it does: it
  /// accumulates in f32 and not both operands are already 16-bit floats (those run on the matrix unit as they are).
  public static func precisionMismatch(_ d: Definition, in kernel: Kernel) -> String? {
    guard let r = d.reduction, r.accumulator == .f32 else {
      return "'\(d.name)' does not accumulate in f32; an input precision applies to f32 contractions"
    }
    let operandTypes = d.body.loads.compactMap { kernel.tensorType($0.tensor)?.dtype }
    if !operandTypes.isEmpty, operandTypes.allSatisfy({ $0 == .f16 || $0 == .bf16 }) {
      return "the operands of '\(d.name)' are already 16-bit floats, which the matrix unit reads as they are"
    }
    return nil
  }

  /// Whether `d` is an f32 contraction: a contraction `dot(y)` accepts whose input precision the kernel's
  /// `matmul_precision` governs.
  public static func isF32Contraction(_ d: Definition, in kernel: Kernel) -> Bool {
    mismatch(d, in: kernel) == nil && precisionMismatch(d, in: kernel) == nil
  }
}
