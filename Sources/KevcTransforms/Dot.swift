import KevcBasic
import KevcIR

/// `dot(y)`: mark a contraction to be mapped onto a matrix unit (`tl.dot`, MMA / wgmma). Recognised by its index
/// pattern (`DotPattern`, which the accuracy contract's tolerance reads too), never by name: a sum over `k` of a product of two loads (each possibly cast), where both loads use
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
    if let why = DotPattern.mismatch(d, in: kernel) { throw fail(why) }
    var s = d.effectiveSchedule
    s.isDot = true
    setSchedule(s, of: index)
  }
}
