import KevcBasic
import KevcIR

/// `precision(y, tf32 | tf32x3 | bf16x3 | bf16)`: the precision a `dot` reads its f32 operands in on the matrix
/// unit. `tf32` (one tensor-core pass on operands rounded to 10 mantissa bits) and `bf16` (operands rounded to
/// bf16) trade accuracy for tensor-core speed; `tf32x3` splits each operand into a tf32 high part and a tf32
/// remainder and sums three passes (hi*hi + hi*lo + lo*hi), which keeps about f32's accuracy; `bf16x3` does the
/// same with bf16 parts (each operand represented to 2^-16 at worst, the dropped lo*lo at most 2^-16 of each
/// product: within 0.072 of f32's tolerance on the harness's distributions, python/tests/test_bf16x3_numerics.py,
/// at half tf32x3's tensor-core work). The value computed is the same
/// contraction; only the rounding of its operands changes. Which precisions are allowed is the user's contract,
/// not the schedule's: the kernel's `matmul_precision` (`MatmulPrecision`: `highest` allows `tf32x3`, `high` also
/// `tf32` and `bf16x3`, `medium` also `bf16`), and the harness's tolerance follows the contract, never the
/// precision chosen (`ComputedPrecision`, `python/kevc_gpu/tolerance.py`). Block-level targets honour it (Triton's
/// `input_precision`, a cast of the operands for bf16, the split written out for tf32x3 and bf16x3; the CuTe DSL's
/// MMA atoms refuse the split precisions, HIP computes them in f32); the CPU computes the contraction in f32
/// regardless.
///
/// Legal when `y` is marked `dot`, accumulates in f32, not both operands are already 16-bit floats (those
/// run on the matrix unit as they are: `DotPattern.precisionMismatch`), and the kernel's `matmul_precision` allows
/// `p` (else `kevc.transform.beyond-matmul-precision`).
///
/// Before:
/// ```
/// %c: f32[i < M, j < N] = sum<f32> [k in 0 .. $K] (%a[i, k] * %b[k, j])
///   schedule loops(i, j, k) root store(global) dot
/// ```
/// After `precision(c, tf32x3)`:
/// ```
///   schedule loops(i, j, k) root store(global) dot precision(tf32x3)
/// ```
extension ScheduleEditing {
  mutating func precision(_ tensor: String, _ precision: DotPrecision) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let d = kernel.definitions[index]
    var s = d.effectiveSchedule
    guard s.isDot else { throw fail("'\(tensor)' is not marked 'dot'; apply dot(\(tensor)) first") }
    if let why = DotPattern.precisionMismatch(d, in: kernel) { throw fail(why) }
    guard precision.isAllowed(under: kernel.matmulPrecision) else {
      throw fail(
        "precision(\(tensor), \(precision.rawValue)) needs matmul_precision \(MatmulPrecision.allCases.filter { $0.allows(precision.requiredMatmulPrecision) }.map(\.rawValue).joined(separator: " or ")); "
          + "the kernel asks for \(kernel.matmulPrecision.rawValue) (the spec's `matmul_precision` line or --matmul-precision)",
        .beyondMatmulPrecision)
    }
    s.dotPrecision = precision
    setSchedule(s, of: index)
  }
}
