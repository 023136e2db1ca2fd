import KevcBasic
import KevcIR

/// `dot(y)`: mark a contraction to be mapped onto a matrix unit (`tl.dot`, MMA / wgmma). Recognised by its index
/// pattern, never by name: a sum over `k` of a product of two loads (each possibly cast), where both loads use
/// `k`, one uses an axis of `y` the other does not, and every index is affine in the index variables up to
/// floor division and modulo by constants (a fused axis `c.k` of `fuse_axes` is read as `c.k / 3`; a shifted
/// window such as a convolution's `x[n, c, l + k - 1]` is a contraction over `c` with `k` a serial loop: an
/// implicit GEMM whose operand tiles are loaded at shifted, masked offsets).
///
/// Before:
/// ```
/// %c: f32[i < M, j < N] = sum<f32> [k in 0 .. $K] (cast<f32>(%a[i, k]) * cast<f32>(%b[k, j]))
/// ```
/// After `dot(c)`:
/// ```
///   schedule loops(i, j, k) dot
/// ```
extension ScheduleEditing {
  mutating func dot(_ tensor: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    guard let r = d.reduction, r.op == .sum else { throw fail("'\(tensor)' is not a sum reduction") }
    func stripCasts(_ e: Expr) -> Expr {
      if case .cast(_, let inner) = e { return stripCasts(inner) }
      return e
    }
    guard case .binary(.mul, let lhs, let rhs) = stripCasts(d.body),
      case .load(let a) = stripCasts(lhs), case .load(let b) = stripCasts(rhs)
    else {
      throw fail("the body of '\(tensor)' is not a product of two loads")
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
      throw fail("'\(tensor)' reads its operands at indices that are not affine (a gather); a dot needs affine indices")
    }
    let reduced = Set(r.axes.map(\.name))
    let axes = Set(d.axes.map(\.name))
    let shared = Set(av).intersection(bv).intersection(reduced)
    guard !shared.isEmpty else { throw fail("'\(a.tensor)' and '\(b.tensor)' share no reduction axis") }
    let onlyA = Set(av).subtracting(bv).intersection(axes)
    let onlyB = Set(bv).subtracting(av).intersection(axes)
    guard !onlyA.isEmpty, !onlyB.isEmpty else {
      throw fail("'\(tensor)' is not a contraction: each operand needs an output axis the other lacks (got [\(av.joined(separator: ", "))] and [\(bv.joined(separator: ", "))])")
    }
    var s = d.effectiveSchedule
    s.isDot = true
    setSchedule(s, of: index)
  }
}
