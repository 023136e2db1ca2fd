// Small kernels built directly in kernel IR, shared by the lowering tests and the golden files.
import KevcBasic
import KevcIR

func ix(_ v: String) -> Expr { .index(v) }
func dim(_ d: String) -> Expr { .dim(d) }
func i64(_ v: Int64) -> Expr { .constant(.int(v)) }
func f32(_ v: Double) -> Expr { .constant(.float(v, .f32)) }
func load(_ t: String, _ indices: Expr..., pad: Constant? = nil) -> Expr {
  .load(Load(tensor: t, indices: indices, bounds: .padded(pad)))
}
func cast(_ t: DType, _ e: Expr) -> Expr { .cast(t, e) }
func + (a: Expr, b: Expr) -> Expr { .binary(.add, a, b) }
func - (a: Expr, b: Expr) -> Expr { .binary(.sub, a, b) }
func * (a: Expr, b: Expr) -> Expr { .binary(.mul, a, b) }
func / (a: Expr, b: Expr) -> Expr { .binary(.div, a, b) }
func axis(_ name: String, _ extent: SizeExpr) -> Axis { Axis(name: name, extent: extent) }
func raxis(_ name: String, _ lo: Expr, _ hi: Expr) -> ReductionAxis {
  ReductionAxis(name: name, lowerBound: lo, upperBound: hi)
}
func tensor(_ name: String, _ t: DType, _ shape: SizeExpr...) -> Param { Param(name: name, dtype: t, shape: shape) }

enum Kernels {
  /// y[m, n] = bf16(f32(x[m, n]) * rsqrt(ss[m] / N + eps) * f32(w[n])), ss[m] = sum(n) f32(x[m, n])^2.
  static func rmsnorm(m: Int = 61, n: Int = 96) -> Kernel {
    let x = cast(.f32, load("x", ix("m"), ix("n")))
    return Kernel(
      name: "rmsnorm", dims: [Dim(name: "M", value: m), Dim(name: "N", value: n)],
      params: [
        tensor("x", .bf16, .dim("M"), .dim("N")), tensor("w", .bf16, .dim("N")),
        Param(name: "eps", dtype: .f32, shape: []),
      ],
      results: [tensor("y", .bf16, .dim("M"), .dim("N"))],
      definitions: [
        Definition(
          name: "ss", dtype: .f32, axes: [axis("m", .dim("M"))],
          reduction: Reduction(op: .sum, accumulator: .f32, axes: [raxis("n", i64(0), dim("N"))]), body: x * x),
        Definition(
          name: "y", dtype: .bf16, axes: [axis("m", .dim("M")), axis("n", .dim("N"))],
          body: cast(
            .bf16,
            x * .unary(.rsqrt, load("ss", ix("m")) / cast(.f32, dim("N")) + .scalar("eps"))
              * cast(.f32, load("w", ix("n"))))),
      ])
  }

  /// y[i] = x[i] + 1.
  static func addOne(n: Int = 4) -> Kernel {
    Kernel(
      name: "add_one", dims: [Dim(name: "N", value: n)], params: [tensor("x", .f32, .dim("N"))],
      results: [tensor("y", .f32, .dim("N"))],
      definitions: [
        Definition(name: "y", dtype: .f32, axes: [axis("i", .dim("N"))], body: load("x", ix("i")) + f32(1))
      ])
  }

  /// y[b, co, l] = sum(ci, k < 3) w[co, ci, k] * x[b, ci, l + k - 1] (zero padding of 1 on each side).
  static func conv1d() -> Kernel {
    Kernel(
      name: "conv1d", dims: [Dim(name: "B", value: 2), Dim(name: "C", value: 3), Dim(name: "L", value: 8)],
      params: [
        tensor("x", .f32, .dim("B"), .dim("C"), .dim("L")), tensor("w", .f32, .dim("C"), .dim("C"), .constant(3)),
      ],
      results: [tensor("y", .f32, .dim("B"), .dim("C"), .dim("L"))],
      definitions: [
        Definition(
          name: "y", dtype: .f32, axes: [axis("b", .dim("B")), axis("co", .dim("C")), axis("l", .dim("L"))],
          reduction: Reduction(
            op: .sum, accumulator: .f32, axes: [raxis("ci", i64(0), dim("C")), raxis("k", i64(0), i64(3))]),
          body: load("w", ix("co"), ix("ci"), ix("k")) * load("x", ix("b"), ix("ci"), ix("l") + ix("k") - i64(1)))
      ])
  }

  /// y[t, d] = emb[ids[t], d].
  static func embedding() -> Kernel {
    Kernel(
      name: "embedding", dims: [Dim(name: "T", value: 5), Dim(name: "V", value: 11), Dim(name: "D", value: 4)],
      params: [tensor("ids", .i64, .dim("T")), tensor("emb", .f32, .dim("V"), .dim("D"))],
      results: [tensor("y", .f32, .dim("T"), .dim("D"))],
      definitions: [
        Definition(
          name: "y", dtype: .f32, axes: [axis("t", .dim("T")), axis("d", .dim("D"))],
          body: load("emb", load("ids", ix("t")), ix("d")))
      ])
  }

  /// y[b, d] = sum(j in offsets[b] .. offsets[b + 1]) values[j, d] (jagged rows).
  static func jaggedSum() -> Kernel {
    Kernel(
      name: "jagged_sum", dims: [Dim(name: "B", value: 3), Dim(name: "R", value: 10), Dim(name: "D", value: 4)],
      params: [
        tensor("offsets", .i64, .add(.dim("B"), .constant(1))), tensor("values", .f32, .dim("R"), .dim("D")),
      ],
      results: [tensor("y", .f32, .dim("B"), .dim("D"))],
      definitions: [
        Definition(
          name: "y", dtype: .f32, axes: [axis("b", .dim("B")), axis("d", .dim("D"))],
          reduction: Reduction(
            op: .sum, accumulator: .f32,
            axes: [raxis("j", load("offsets", ix("b")), load("offsets", ix("b") + i64(1)))]),
          body: load("values", ix("j"), ix("d")))
      ])
  }

  /// y[m] = argmax(k) x[m, k] (or argmin), the tuple reduction Reduction.argExtreme.
  static func argmax(isMax: Bool = true, dtype: DType = .f32) -> Kernel {
    Kernel(
      name: isMax ? "argmax" : "argmin", dims: [Dim(name: "M", value: 2), Dim(name: "N", value: 5)],
      params: [tensor("x", dtype, .dim("M"), .dim("N"))], results: [tensor("y", .i64, .dim("M"))],
      definitions: [
        Definition(
          name: "y", dtype: .i64, axes: [axis("m", .dim("M"))],
          reduction: .argExtreme(isMax: isMax, accumulator: dtype, axis: raxis("k", i64(0), dim("N"))),
          body: load("x", ix("m"), ix("k")))
      ])
  }

  /// Row softmax: mx[m] = max(n) x, e[m, n] = exp(x - mx), s[m] = sum(n) e, y = e / s; reads x with a -inf pad.
  static func softmax() -> Kernel {
    let x = load("x", ix("m"), ix("n"), pad: .float(-.infinity, .f32))
    return Kernel(
      name: "softmax", dims: [Dim(name: "M", value: 3), Dim(name: "N", value: 7)],
      params: [tensor("x", .f32, .dim("M"), .dim("N"))], results: [tensor("y", .f32, .dim("M"), .dim("N"))],
      definitions: [
        Definition(
          name: "mx", dtype: .f32, axes: [axis("m", .dim("M"))],
          reduction: Reduction(op: .max, accumulator: .f32, axes: [raxis("n", i64(0), dim("N"))]), body: x),
        Definition(
          name: "e", dtype: .f32, axes: [axis("m", .dim("M")), axis("n", .dim("N"))],
          body: .unary(.exp, x - load("mx", ix("m")))),
        Definition(
          name: "s", dtype: .f32, axes: [axis("m", .dim("M"))],
          reduction: Reduction(op: .sum, accumulator: .f32, axes: [raxis("n", i64(0), dim("N"))]),
          body: load("e", ix("m"), ix("n"))),
        Definition(
          name: "y", dtype: .f32, axes: [axis("m", .dim("M")), axis("n", .dim("N"))],
          body: load("e", ix("m"), ix("n")) / load("s", ix("m"))),
      ])
  }

  /// Integer reductions: mn[m] = min(n) q[m, n] (i32), pr[m] = prod(n) q (i64 accumulator).
  static func intReductions() -> Kernel {
    Kernel(
      name: "int_reductions", dims: [Dim(name: "M", value: 2), Dim(name: "N", value: 3)],
      params: [tensor("q", .i32, .dim("M"), .dim("N"))],
      results: [tensor("mn", .i32, .dim("M")), tensor("pr", .i64, .dim("M"))],
      definitions: [
        Definition(
          name: "mn", dtype: .i32, axes: [axis("m", .dim("M"))],
          reduction: Reduction(op: .min, accumulator: .i32, axes: [raxis("n", i64(0), dim("N"))]),
          body: load("q", ix("m"), ix("n"))),
        Definition(
          name: "pr", dtype: .i64, axes: [axis("m", .dim("M"))],
          reduction: Reduction(op: .prod, accumulator: .i64, axes: [raxis("n", i64(0), dim("N"))]),
          body: load("q", ix("m"), ix("n"))),
      ])
  }

  /// Every kernel above, with the name of its golden file.
  static let all: [(String, Kernel)] = [
    ("rmsnorm", rmsnorm()), ("add_one", addOne()), ("conv1d", conv1d()), ("embedding", embedding()),
    ("jagged_sum", jaggedSum()), ("argmax", argmax()), ("argmin_i32", argmax(isMax: false, dtype: .i32)),
    ("softmax", softmax()), ("int_reductions", intReductions()),
  ]
}
