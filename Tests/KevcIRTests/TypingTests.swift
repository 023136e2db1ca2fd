import KevcBasic
import KevcIR
import Testing

/// The typing rules of docs/ir.md section 2, through `Kernel.type(of:in:)` and `ExprTyping.check`.
@Suite struct TypingTests {
  static let kernel = Kernel(
    name: "k", dims: [Dim(name: "N", value: 4)],
    params: [
      Param(name: "x", dtype: .bf16, shape: [.dim("N")]), Param(name: "i", dtype: .i32, shape: [.dim("N")]),
      Param(name: "s", dtype: .f32, shape: []),
    ],
    results: [Param(name: "y", dtype: .f32, shape: [.dim("N")])],
    definitions: [
      Definition(
        name: "y", dtype: .f32, axes: [Axis(name: "n", extent: .dim("N"))],
        body: .cast(.f32, .load(Load(tensor: "x", indices: [.index("n")]))))
    ])

  static func type(_ text: String, in definition: Definition? = kernel.definitions[0]) -> DType? {
    guard let e = try? IRParser.parseExpr(SourceFile(path: "e", text: text)) else {
      Issue.record("does not parse: \(text)")
      return nil
    }
    return kernel.type(of: e, in: definition)
  }

  @Test func wellTyped() {
    let cases: [(String, DType)] = [
      ("1.5:f32", .f32), ("3:i8", .i8), ("true", .bool), ("n", .i64), ("$N", .i64), ("%s", .f32), ("%x[n]", .bf16),
      ("%x[%i[n]]", .bf16), ("%y[n]", .f32), ("%x[n] else -inf:bf16", .bf16), ("%x[n] inbounds", .bf16),
      ("(%s + 1.0:f32)", .f32), ("(n % 2)", .i64), ("(%s < 0.0:f32)", .bool), ("((n < 1) and not(true))", .bool),
      ("exp(%x[n])", .bf16), ("isnan(%s)", .bool), ("neg(%i[n])", .i32), ("abs(%s)", .f32),
      ("pow(%s, %s)", .f32), ("max(n, 3)", .i64), ("select((n == 0), %s, 0.0:f32)", .f32),
      ("cast<bool>(%i[n])", .bool), ("cast<f16>(true)", .f16), ("cast<i8>(%s)", .i8),
    ]
    for (text, t) in cases { #expect(Self.type(text) == t, "\(text)") }
  }

  @Test func illTyped() {
    let cases = [
      "(%s + %x[n])", "(n + 1:i32)", "(true + false)", "(true < false)", "(1:i32 and true)", "not(1:i64)",
      "exp(n)", "isnan(n)", "neg(true)", "pow(n, n)", "select(1:i64, n, n)", "select(true, n, %s)",
      "cast<bool>(%s)", "%x[n, n]", "%x[]", "%x[%s]", "%x[n] else 0.0:f32", "%s[]", "%x", "%nope[n]", "%nope",
      "$M", "k", "300:i8", "1.5:i32", "%x[n] else 300:i8",
    ]
    for text in cases { #expect(Self.type(text) == nil, "\(text)") }
  }

  @Test func scopeOfIndexVariables() {
    // Outside a definition any index name is accepted (loop IR); inside, only its axes and reduction axes.
    #expect(Self.type("k", in: nil) == .i64)
    #expect(Self.type("k") == nil)
    #expect(Self.kernel.type(of: .index("k"), indices: ["k"]) == .i64)
    let env = TypeEnvironment(
      tensors: ["buf": TensorType(dtype: .f32, rank: 2)], scalars: [:], dims: nil, indices: nil)
    #expect(throws: Never.self) { try ExprTyping.check(.load(Load(tensor: "buf", indices: [.index("a"), .dim("Q")])), in: env) }
    do {
      _ = try ExprTyping.check(.load(Load(tensor: "buf", indices: [.index("a")])), in: env)
      Issue.record("a rank mismatch should not type")
    } catch {
      #expect(error.id == "rank-mismatch")
      #expect(error.message == "load of '%buf' has 1 index but '%buf' has rank 2")
    }
  }
}
