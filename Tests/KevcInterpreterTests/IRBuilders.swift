// Small helpers to build kernel IR by hand in tests (the interpreter must not depend on the spec parser).
import KevcBasic
import KevcIR
import KevcInterpreter

func ix(_ name: String) -> Expr { .index(name) }
func i64(_ v: Int64) -> Expr { .constant(.int(v, .i64)) }
func lit(_ v: Double, _ t: DType = .f32) -> Expr { .constant(.float(v, t)) }
func ld(_ t: String, _ idx: Expr..., pad: Constant? = nil) -> Expr {
  .load(Load(tensor: t, indices: idx, bounds: .padded(pad)))
}
func ldIn(_ t: String, _ idx: Expr...) -> Expr { .load(Load(tensor: t, indices: idx, bounds: .inBounds)) }
func bin(_ op: BinaryOp, _ a: Expr, _ b: Expr) -> Expr { .binary(op, a, b) }
func un(_ op: UnaryOp, _ a: Expr) -> Expr { .unary(op, a) }
func + (a: Expr, b: Expr) -> Expr { .binary(.add, a, b) }
func - (a: Expr, b: Expr) -> Expr { .binary(.sub, a, b) }
func * (a: Expr, b: Expr) -> Expr { .binary(.mul, a, b) }
func / (a: Expr, b: Expr) -> Expr { .binary(.div, a, b) }

func sz(_ d: String) -> SizeExpr { .dim(d) }
func sz(_ c: Int) -> SizeExpr { .constant(c) }
func ax(_ name: String, _ e: SizeExpr) -> Axis { Axis(name: name, extent: e) }
func raxis(_ name: String, _ upper: Expr, from lower: Expr = i64(0)) -> ReductionAxis {
  ReductionAxis(name: name, lowerBound: lower, upperBound: upper)
}
func param(_ name: String, _ t: DType, _ shape: SizeExpr..., domain: ValueDomain? = nil) -> Param {
  Param(name: name, dtype: t, shape: shape, domain: domain)
}

func tensor(_ t: DType, _ shape: [Int], _ values: [Double]) -> TensorValue {
  TensorValue(dtype: t, shape: shape, values: values)
}

/// A kernel of one definition per entry; results are the definitions named in `results` (all of them by default).
func kernel(
  dims: [String: Int] = [:], params: [Param], definitions: [Definition], results: [String]? = nil
) -> Kernel {
  let names = results ?? definitions.map { $0.name }
  let res = names.compactMap { n in
    definitions.first { $0.name == n }.map { Param(name: n, dtype: $0.dtype, shape: $0.shape) }
  }
  return Kernel(
    name: "test", dims: dims.sorted { $0.key < $1.key }.map { Dim(name: $0.key, value: $0.value) },
    params: params, results: res, definitions: definitions,
    location: SourceLocation(file: "test.kev", line: 1, column: 1))
}

/// The id of the first diagnostic `body` throws, or nil when it does not throw.
func diagnosticID(_ body: () throws -> Void) -> String? {
  do {
    try body()
    return nil
  } catch let error as DiagnosticError {
    return error.diagnostics.first?.id.description
  } catch {
    return "not a DiagnosticError: \(error)"
  }
}
