import KevcBasic
import KevcIR

/// A static estimate of a bound kernel's compulsory cost, for roofline floors.
///
/// bytes: every parameter (tensors and scalars) read once plus every result written once, at the bound shape.
/// flops: for each definition, its float arithmetic operations per point (`add sub mul div mod max min pow` and
/// the float math functions on float operands; integer index arithmetic, comparisons, selects, casts and loads are
/// free) plus one combine per reduction point, times the number of points of its domain. A reduction range whose
/// bounds depend on the definition's axes is counted at the axes' mid-points (a triangle counts half); a range that
/// depends on loaded data counts as length 1, so the estimate is a lower bound there (the reference module's
/// `measured_cost(inputs)` counts exactly for given inputs, including gathers that read only part of an input).
public enum KernelCost {
  public static func estimate(_ kernel: Kernel) -> (bytes: Int, flops: Int) {
    let dims = kernel.dimBindings
    func count(_ shape: [SizeExpr]) -> Int {
      var n = 1
      for s in shape { n = n.multipliedReportingOverflow(by: max(0, s.evaluate(dims) ?? 0)).partialValue }
      return n
    }
    var bytes = 0
    for p in kernel.params { bytes = bytes &+ count(p.shape) &* p.dtype.byteSize }
    for r in kernel.results { bytes = bytes &+ count(r.shape) &* r.dtype.byteSize }

    var flops = 0.0
    for d in kernel.definitions {
      var ops = Double(Emitter.floatOps(d.body, kernel: kernel, definition: d))
      var points = Double(count(d.shape))
      if let r = d.reduction {
        ops += 1
        var mid: [String: Double] = [:]
        for a in d.axes { mid[a.name] = Double(max(0, (a.extent.evaluate(dims) ?? 0) - 1)) / 2 }
        for axis in r.axes {
          let lo = average(axis.lowerBound, mid: mid, dims: dims)
          let hi = average(axis.upperBound, mid: mid, dims: dims)
          let length: Double
          if let lo, let hi { length = max(0, hi - lo) } else { length = 1 }
          points *= length
          mid[axis.name] = (lo ?? 0) + max(0, length - 1) / 2
        }
      }
      flops += ops * points
    }
    let f = flops.isFinite && flops < 9.0e18 ? Int(flops) : Int.max
    return (bytes, f)
  }

  /// The value of an integer expression with index variables at their mid-points; nil when it reads data.
  static func average(_ e: Expr, mid: [String: Double], dims: [String: Int]) -> Double? {
    switch e {
    case .constant(let c): return c.doubleValue
    case .index(let n): return mid[n]
    case .dim(let n): return dims[n].map(Double.init)
    case .scalar, .load, .select: return nil
    case .cast(_, let a): return average(a, mid: mid, dims: dims)
    case .unary(let op, let a):
      guard let x = average(a, mid: mid, dims: dims) else { return nil }
      switch op {
      case .neg: return -x
      case .abs: return Swift.abs(x)
      case .not, .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .erf, .floor, .ceil, .isnan: return nil
      }
    case .binary(let op, let a, let b):
      guard let x = average(a, mid: mid, dims: dims), let y = average(b, mid: mid, dims: dims) else { return nil }
      switch op {
      case .add: return x + y
      case .sub: return x - y
      case .mul: return x * y
      case .div: return y == 0 ? 0 : (x / y).rounded(.down)
      case .max: return Swift.max(x, y)
      case .min: return Swift.min(x, y)
      case .mod, .pow, .eq, .ne, .lt, .le, .gt, .ge, .and, .or: return nil
      }
    }
  }
}

extension KernelCost {
  /// Whether the compulsory cost (`measured_cost`) can differ between inputs of the same shape: a load whose
  /// index, a select whose condition, or a reduction range whose bounds read data (a loaded value or a scalar
  /// parameter) decides which elements are read and which points are evaluated (gathers, jagged ranges,
  /// data-dependent branches). When false, the GPU harness measures the cost once per reference module.
  public static func dependsOnInputs(_ kernel: Kernel) -> Bool {
    func readsData(_ e: Expr) -> Bool {
      var found = false
      e.forEach { node in
        switch node {
        case .load, .scalar: found = true
        case .constant, .index, .dim, .unary, .binary, .select, .cast: break
        }
      }
      return found
    }
    func decidesByData(_ e: Expr) -> Bool {
      var found = false
      e.forEach { node in
        switch node {
        case .load(let l): if l.indices.contains(where: readsData) { found = true }
        case .select(let c, _, _): if readsData(c) { found = true }
        case .constant, .index, .dim, .scalar, .unary, .binary, .cast: break
        }
      }
      return found
    }
    return kernel.definitions.contains { d in
      decidesByData(d.body) || (d.reduction?.axes ?? []).contains { readsData($0.lowerBound) || readsData($0.upperBound) }
    }
  }
}
