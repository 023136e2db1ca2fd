// Loop IR's text form: round trips, the syntax of every construct, and parse diagnostics.
import KevcBasic
import KevcIR
import Testing

@testable import KevcLowering

func parse(_ text: String, path: String = "t.loops") throws(DiagnosticError) -> LoopProgram {
  try LoopParser.parse(SourceFile(path: path, text: text))
}

@Test(arguments: Kernels.all.map(\.0))
func loweredProgramsRoundTrip(name: String) throws {
  let kernel = try #require(Kernels.all.first { $0.0 == name }?.1)
  let p = try LowerToLoops.lower(kernel)
  let text = LoopPrinter.print(p)
  let back = try parse(text)
  #expect(back == p)
  #expect(LoopPrinter.print(back) == text)
}

/// A program using every statement, loop kind, scope, operator and kind of constant.
func everything() -> LoopProgram {
  let unaries = UnaryOp.allCases.map { Expr.unary($0, f32(0.5)) }
  let binaries = BinaryOp.allCases.map { Expr.binary($0, ix("i.o"), dim("N")) }
  let constants: [Constant] = [
    .float(1.5, .f32), .float(-.infinity, .bf16), .float(.infinity, .f16), .float(.nan, .f64), .float(-0.0, .f32),
    .float(0, .f32), .float(1e-5, .f32), .float(1e300, .f64), .float(-2.5e-300, .f64), .float(123456789012345, .f64),
    .float(1e15, .f64), .float(-7, .f32), .float(.leastNonzeroMagnitude, .f64), .int(3), .int(-1), .int(Int64.min), .int(Int64.max),
    .int(-128, .i8), .int(Int64(Int32.max), .i32), .bool(true), .bool(false),
  ]
  let values: [Expr] =
    unaries + binaries + constants.map(Expr.constant) + [
      .select(.constant(.bool(true)), .scalar("eps"), cast(.f32, dim("N"))),
      .load(Load(tensor: "x", indices: [ix("i.o"), .binary(.add, ix("j"), i64(-2))], bounds: .padded(.float(-.infinity, .f32)))),
      .load(Load(tensor: "x", indices: [i64(0), load("idx", ix("j"))], bounds: .padded(.zero(.f32)))),
      .load(Load(tensor: "x", indices: [i64(0), i64(1)], bounds: .inBounds)),
      .load(Load(tensor: "flag", indices: [], bounds: .padded(.bool(true)))),
      .binary(.mul, .binary(.add, .unary(.neg, ix("a")), .binary(.max, ix("b"), i64(-3))), i64(2)),
    ]
  let stores = values.map { Stmt.store(buffer: "s.acc", indices: [], value: $0) }
  let kinds: [LoopKind] = [.serial, .parallel, .vectorized(width: 8), .unrolled] + GPUDimension.allCases.map(LoopKind.gpu)
  var body: [Stmt] = stores
  body.append(.ifThen(condition: .binary(.lt, ix("j"), i64(3)), then: [], else: []))
  body.append(.ifThen(condition: load("flag"), then: stores.prefix(1).map { $0 }, else: stores.suffix(1).map { $0 }))
  for (n, kind) in kinds.enumerated() {
    body = [
      .loop(
        Loop(
          variable: n == 0 ? "i.o" : "v\(n)", lowerBound: n.isMultiple(of: 2) ? i64(Int64(-n)) : load("idx", i64(0)),
          upperBound: n == 3 ? dim("N") : i64(Int64(n) * 10), kind: kind, body: body))
    ]
  }
  body = [
    .allocate(Buffer(name: "s.acc", dtype: .f32, shape: [], scope: .local), body: body),
    .allocate(Buffer(name: "tile", dtype: .bf16, shape: [16, 16], scope: .shared), body: []),
    .loop(Loop(variable: "j", lowerBound: i64(0), upperBound: i64(0), body: [])),
    .allocate(
      Buffer(name: "a b", dtype: .i64, shape: [], scope: .local),
      body: [
        .loop(
          Loop(
            variable: "exp", lowerBound: i64(0), upperBound: i64(0),
            body: [
              .store(
                buffer: "a b", indices: [],
                value: .binary(.add, .load(Load(tensor: "a b", indices: [], bounds: .inBounds)), ix("exp") + i64(1)))
            ]))
      ]),
  ]
  return LoopProgram(
    name: "everything", dims: ["N": 3, "A": 0, "Zed": 1 << 40],
    params: [
      Buffer(name: "x", dtype: .f32, shape: [3, 4], scope: .global),
      Buffer(name: "idx", dtype: .i64, shape: [0], scope: .global),
      Buffer(name: "eps", dtype: .f32, shape: [], scope: .global),
      Buffer(name: "odd", dtype: .i8, shape: [2], scope: .shared),
    ],
    results: [Buffer(name: "y.out", dtype: .bool, shape: [1, 1, 1], scope: .global)],
    temporaries: [
      Buffer(name: "ws", dtype: .f64, shape: [7], scope: .workspace),
      Buffer(name: "flag", dtype: .bool, shape: [], scope: .local),
    ],
    body: body, dotAccumulators: ["a b", "ws"])
}

@Test func everyConstructRoundTrips() throws {
  let p = everything()
  let text = LoopPrinter.print(p)
  let back = try parse(text)
  #expect(back == p)
  #expect(LoopPrinter.print(back) == text)
  for piece in [
    "dims(A = 0, N = 3, Zed = 1099511627776) dot(%\"a b\", %ws) {", "%odd: i8[2] shared", "  workspace %ws: f64[7]\n",
    "  local %flag: bool[]\n", "shared %tile: bf16[16, 16] {\n  }", "for j in 0 .. 0 {\n  }",
    " parallel {", " vectorize(8) {", " unroll {", " bind(grid.x) {", " bind(thread.z) {", " bind(warp) {",
    "for i.o in 0 .. 0 {", "for v1 in %idx[0:i64] .. 10 parallel", " .. $N unroll {",
    "-inf:bf16", "inf:f16", "nan:f64", "-0.0:f32", " = 0.0:f32\n", "1e-05:f32", "1e+300:f64", "123456789012345.0:f64",
    "-7.0:f32", "5e-324:f64", "for \"exp\" in 0 .. 0 {", "%\"a b\"[] = (%\"a b\"[] inbounds + (\"exp\" + 1:i64))", "-9223372036854775808:i64", "9223372036854775807:i64", "-128:i8", "true",
    "false", "select(true, %eps, cast<f32>($N))", "%x[i.o, (j + -2:i64)] else -inf:f32",
    "%x[0:i64, %idx[j]] else 0.0:f32", "%x[0:i64, 1:i64] inbounds", "%flag[] else true",
    "((neg(a) + max(b, -3:i64)) * 2:i64)", "(i.o % $N)", "(i.o != $N)", "(i.o and $N)", "pow(i.o, $N)",
    "rsqrt(0.5:f32)", "isnan(0.5:f32)", "not(0.5:f32)", "if (j < 3:i64) {\n", "} else {\n",
  ] {
    #expect(text.contains(piece), "missing \(piece)")
  }
}

@Test func parsesHandWrittenText() throws {
  let p = try parse(
    """
    # comments and loose spacing are fine
    // both kinds
    loops @k(%x:f32[2,3]) -> (%y: f32[2]) dims(M=2) {
      for m in 0..2 vectorize(4) {
        %y[m] = (%x[m, 2] inbounds+ 1:f32)   # trailing comment
      }
    }
    """)
  #expect(
    p.body == [
      .loop(
        Loop(
          variable: "m", lowerBound: i64(0), upperBound: i64(2), kind: .vectorized(width: 4),
          body: [
            .store(
              buffer: "y", indices: [ix("m")],
              value: .binary(.add, .load(Load(tensor: "x", indices: [ix("m"), i64(2)], bounds: .inBounds)), f32(1)))
          ]))
    ])
}

@Test(arguments: [
  ("loops @k() -> () dims() {\n  %y[] = 1.5\n}", "loops.bad-literal", 2, 10),
  ("loops @k() -> () dims() {\n  %y[] = 1.5:q32\n}", "loops.unknown-type", 2, 14),
  ("loops @k() -> () dims() {\n  %y[] = 1e5\n}", "loops.bad-literal", 2, 10),
  ("loops @k() -> () dims() {\n  %y[] = -true\n}", "loops.syntax", 2, 11),
  ("loops @k() -> () dims() {\n  %\"y[] = 1:i64\n}", "loops.syntax", 2, 3),
  ("loops @k() -> () dims() {\n  %y[] = \"a\\qb\"\n}", "loops.syntax", 2, 10),
  ("loops @k() -> () dims() {\n  %y[] = 99999999999999999999:i64\n}", "loops.bad-literal", 2, 10),
  ("loops @k() -> () dims() {\n  %y[] = frob(1:i64)\n}", "loops.unknown-function", 2, 10),
  ("loops @k() -> () dims() {\n  %y[] = add(1:i64, 2:i64)\n}", "loops.unknown-function", 2, 10),
  ("loops @k() -> () dims() {\n  %y[] = exp(1:f32, 2:f32)\n}", "loops.arity", 2, 10),
  ("loops @k() -> () dims() {\n  %y[] = (1:i64 max 2:i64)\n}", "loops.syntax", 2, 17),
  ("loops @k() -> () dims() {\n  %y[] = 1:i64 + 2:i64\n}", "loops.syntax", 2, 16),
  ("loops @k() -> () dims() {\n  for i in 0 .. 4 sideways {\n  }\n}", "loops.unknown-loop-kind", 2, 19),
  ("loops @k() -> () dims() {\n  for i in 0 .. 4 bind(grid.w) {\n  }\n}", "loops.unknown-gpu-dim", 2, 24),
  ("loops @k() -> () dims() {\n  for i in 0 .. 4 {\n", "loops.syntax", 3, 1),
  ("loops @k() -> () dims(M = 1, M = 2) {\n}", "loops.duplicate-dim", 1, 30),
  ("loops @k() -> () dims(M = -1) {\n}", "loops.syntax", 1, 27),
  ("loops @k(%x: f32[99999999999999999999]) -> () dims() {\n}", "loops.bad-literal", 1, 18),
  ("loops @k() -> () dims() {\n}\n}", "loops.syntax", 3, 1),
  ("loops @k() -> () dims() {\n  %y[] = 1:i64 ; \n}", "loops.bad-character", 2, 16),
  ("loops @k() -> () dims() {\n  %y[] = \u{e9}\n}", "loops.bad-character", 2, 10),
  ("loops @k() -> () dims() {\n  frob %y: f32[] {\n  }\n}", "loops.syntax", 2, 3),
  ("kernel k() {}", "loops.syntax", 1, 1),
  ("", "loops.syntax", 1, 1),
])
func parseErrorsAreLocated(_ source: String, _ id: String, _ line: Int, _ column: Int) {
  #expect {
    _ = try parse(source)
  } throws: { error in
    guard let d = (error as? DiagnosticError)?.diagnostics.first else { return false }
    let ok = d.id.description == "kevc." + id && d.location == SourceLocation(file: "t.loops", line: line, column: column)
    if !ok { Issue.record("got \(d)") }
    return ok
  }
}

@Test func deepNestingIsAnErrorNotACrash() {
  let deep = String(repeating: "(", count: 100_000)
  #expect(throws: DiagnosticError.self) { _ = try parse("loops @k() -> () dims() {\n %y[] = \(deep)") }
  let blocks = String(repeating: "if true {", count: 100_000)
  #expect(throws: DiagnosticError.self) { _ = try parse("loops @k() -> () dims() {\n\(blocks)") }
}

@Test func truncatedAndMutatedTextNeverTraps() {
  let text = LoopPrinter.print(everything())
  let bytes = Array(text.utf8)
  var failures = 0
  for n in stride(from: 0, to: bytes.count, by: 7) {
    do { _ = try parse(String(decoding: bytes[0..<n], as: UTF8.self)) } catch { failures += 1 }
  }
  #expect(failures > 0)
  var rng = SplitMix(state: 7)
  let alphabet = Array("()[]{}<>,:=%$@.-+*/!#0123456789 \nabcdefinx".utf8)
  for _ in 0..<300 {
    var mutated = bytes
    for _ in 0..<3 {
      let i = Int(rng.next() % UInt64(mutated.count))
      mutated[i] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
    }
    _ = try? parse(String(decoding: mutated, as: UTF8.self))
  }
}
