/// Small `@triton.jit` functions the generated kernels call for IR semantics Triton lacks as one operation:
/// floored integer division and modulo (0 for a zero divisor), floored float modulo, saturating float -> int
/// casts (NaN -> 0) and NaN-propagating max/min combines (argmax/argmin, tuple reductions, get a combine function
/// generated from their combiner: TritonTuple.swift). Only the helpers a module uses are emitted.
enum TritonHelpers {
  static let sources: [String: String] = [
    "_kevc_floordiv": """
      @triton.jit
      def _kevc_floordiv(a, b):
          safe = tl.where(b == 0, 1, b)
          q = a // safe
          r = a - q * safe
          q = tl.where((r != 0) & ((r < 0) != (safe < 0)), q - 1, q)
          return tl.where(b == 0, 0, q)
      """,
    "_kevc_floormod": """
      @triton.jit
      def _kevc_floormod(a, b):
          safe = tl.where(b == 0, 1, b)
          r = a % safe
          r = tl.where((r != 0) & ((r < 0) != (safe < 0)), r + safe, r)
          return tl.where(b == 0, 0, r)
      """,
    "_kevc_fmod": """
      @triton.jit
      def _kevc_fmod(a, b):
          return a - tl.floor(a / b) * b
      """,
    "_kevc_f2i8": saturating("i8", "tl.int8", "128.0", "127", "-128"),
    "_kevc_f2i32": saturating("i32", "tl.int32", "2147483648.0", "2147483647", "-2147483648"),
    "_kevc_f2i64": saturating("i64", "tl.int64", "9223372036854775808.0", "9223372036854775807", "-9223372036854775808"),
    "_kevc_max_nan": """
      @triton.jit
      def _kevc_max_nan(a, b):
          return tl.maximum(a, b, propagate_nan=tl.PropagateNan.ALL)
      """,
    "_kevc_min_nan": """
      @triton.jit
      def _kevc_min_nan(a, b):
          return tl.minimum(a, b, propagate_nan=tl.PropagateNan.ALL)
      """,
    "_kevc_mul": """
      @triton.jit
      def _kevc_mul(a, b):
          return a * b
      """,
  ]

  static var names: [String] { sources.keys.sorted() }

  static func saturating(_ t: String, _ tl: String, _ limit: String, _ max: String, _ min: String) -> String {
    """
    @triton.jit
    def _kevc_f2\(t)(x):
        ok = (x >= -\(limit)) & (x < \(limit))
        y = tl.where(ok, x, 0.0).to(\(tl))
        y = tl.where(x >= \(limit), \(max), y)
        return tl.where(x < -\(limit), \(min), y)
    """
  }
}
