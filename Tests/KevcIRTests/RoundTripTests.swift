import Foundation
import KevcBasic
import KevcIR
import Testing

/// print -> parse -> equal, for the ir/roundtrip corpus and for kernels built in code; and the JSON form.
@Suite struct RoundTripTests {
  static let corpus = Corpus.files("roundtrip")

  @Test func corpusIsThere() {
    #expect(Self.corpus.count >= 10, "ir/roundtrip should hold at least 10 kernels")
  }

  @Test(arguments: corpus.map { $0.lastPathComponent })
  func corpusRoundTrips(_ name: String) throws {
    let url = Corpus.repository.appendingPathComponent("ir/roundtrip/\(name)")
    let source = try Corpus.source(url)
    let kernel = try IRParser.parse(source)
    #expect(Verifier.verify(kernel) == [], "\(name) should verify")
    #expect(ScheduleVerifier.verify(kernel).map(\.description) == [], "\(name)'s schedules should verify")
    let printed = IRPrinter.print(kernel)
    let reparsed = try IRParser.parse(SourceFile(path: "printed.kir", text: printed))
    #expect(reparsed.withoutLocations() == kernel.withoutLocations())
    // Printing is a fixed point.
    #expect(IRPrinter.print(reparsed) == printed)
  }

  /// A fused loop (`fuse(v, i, j)`) joins two adjacent output axes of an elementwise definition at the root; the
  /// schedule verifier says so of one that does not.
  @Test func aFusedLoopOfAxesThatAreNotAdjacentIsAScheduleError() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @k(%x: f32[N, H, W]) -> (%y: f32[N, H, W]) {
        dims N = 4, H = 14, W = 30
        %y: f32[n < N, i < H, j < W] = (%x[n, i, j] * 0.5:f32)
          schedule fuse(n.j, n, j) loops(n.j, i) root store(workspace)
      }
      """))
    #expect(ScheduleVerifier.verify(kernel).map(\.message) == [
      "schedule of '%y': fused loop 'n.j' does not join two adjacent axes ('n', 'j')",
      "schedule of '%y': loops (n.j, i) do not match its axes after splits (n, i, j)",
    ])
  }
}

extension RoundTripTests {
  /// Kernels built in code, covering every construct, quoted names and extreme constants.
  @Test func generatedKernelsRoundTrip() throws {
    var gen = KernelGenerator(rng: SeededRandom(seed: 1))
    for i in 0..<400 {
      let kernel = gen.kernel()
      let text = IRPrinter.print(kernel)
      let parsed: Kernel
      do {
        parsed = try IRParser.parse(SourceFile(path: "gen\(i).kir", text: text))
      } catch {
        Issue.record("generated kernel \(i) does not parse: \(error)\n\(text)")
        continue
      }
      #expect(parsed.withoutLocations() == kernel, "kernel \(i) changed in a round trip:\n\(text)")
    }
  }

  @Test func generatedExpressionsRoundTrip() throws {
    var gen = KernelGenerator(rng: SeededRandom(seed: 2))
    for _ in 0..<1000 {
      let e = gen.expr()
      let text = IRPrinter.print(e)
      let parsed = try IRParser.parseExpr(SourceFile(path: "expr.kir", text: text))
      #expect(parsed == e, "\(text)")
    }
  }

  /// The brief's example prints exactly like this.
  @Test func printsTheCanonicalForm() throws {
    let x = Expr.cast(.f32, .load(Load(tensor: "x", indices: [.index("m"), .index("n")])))
    let kernel = Kernel(
      name: "rmsnorm",
      dims: [Dim(name: "M", value: 61, benchValue: 8192), Dim(name: "N", value: 96, benchValue: 4096), Dim(name: "K")],
      params: [
        Param(name: "x", dtype: .bf16, shape: [.dim("M"), .dim("N")]), Param(name: "w", dtype: .bf16, shape: [.dim("N")]),
        Param(name: "eps", dtype: .f32, shape: []),
      ],
      results: [Param(name: "y", dtype: .bf16, shape: [.dim("M"), .dim("N")])],
      definitions: [
        Definition(
          name: "ss", dtype: .f32, axes: [Axis(name: "m", extent: .dim("M"))],
          reduction: Reduction(
            op: .sum, accumulator: .f32,
            axes: [ReductionAxis(name: "n", lowerBound: .constant(.int(0)), upperBound: .dim("N"))]),
          body: .binary(.mul, x, x)),
        Definition(
          name: "y", dtype: .bf16, axes: [Axis(name: "m", extent: .dim("M")), Axis(name: "n", extent: .dim("N"))],
          body: .cast(
            .bf16,
            .binary(
              .mul,
              .binary(
                .mul, x,
                .unary(
                  .rsqrt,
                  .binary(
                    .add, .binary(.div, .load(Load(tensor: "ss", indices: [.index("m")])), .cast(.f32, .dim("N"))),
                    .scalar("eps")))),
              .cast(.f32, .load(Load(tensor: "w", indices: [.index("n")])))))),
      ])
    let expected = """
      kernel @rmsnorm(%x: bf16[M, N], %w: bf16[N], %eps: f32) -> (%y: bf16[M, N]) {
        dims M = 61 bench 8192, N = 96 bench 4096, K
        %ss: f32[m < M] = sum<f32> [n in 0 .. $N] (cast<f32>(%x[m, n]) * cast<f32>(%x[m, n]))
        %y: bf16[m < M, n < N] = cast<bf16>(((cast<f32>(%x[m, n]) * rsqrt(((%ss[m] / cast<f32>($N)) + %eps))) * cast<f32>(%w[n])))
      }

      """
    #expect(IRPrinter.print(kernel) == expected)
    #expect(try IRParser.parse(SourceFile(path: "a.kir", text: expected)).withoutLocations() == kernel)
    #expect(Verifier.verify(kernel) == [])
  }

  @Test func constantForms() throws {
    let cases: [(String, Constant)] = [
      ("1.5:f32", .float(1.5, .f32)), ("-inf:f32", .float(-.infinity, .f32)), ("inf:bf16", .float(.infinity, .bf16)),
      ("nan:f64", .float(.nan, .f64)), ("3:i64", .int(3)), ("-2:i32", .int(-2, .i32)), ("true", .bool(true)),
      ("false", .bool(false)), ("1e-05:f32", .float(1e-5, .f32)), ("-0.0:f16", .float(-0.0, .f16)),
      ("-9223372036854775808:i64", .int(Int64.min)), ("1.0:f32", .float(1, .f32)),
    ]
    for (text, c) in cases {
      #expect(IRPrinter.print(c) == text)
      #expect(try IRParser.parseExpr(SourceFile(path: "c", text: text)) == .constant(c))
    }
    // Integral literals of a float type, and bare integers (i64), are accepted.
    #expect(try IRParser.parseExpr(SourceFile(path: "c", text: "2:f32")) == .constant(.float(2, .f32)))
    #expect(try IRParser.parseExpr(SourceFile(path: "c", text: "-7")) == .constant(.int(-7)))
  }

  @Test func parseGivesLocations() throws {
    let text = "// a comment\nkernel @k(%x: f32[N]) -> (%y: f32[N]) {\n  dims N = 4\n  %y: f32[n < N] = %x[n]\n}\n"
    let k = try IRParser.parse(SourceFile(path: "k.kir", text: text))
    #expect(k.location == SourceLocation(file: "k.kir", line: 2, column: 1))
    #expect(k.params[0].location == SourceLocation(file: "k.kir", line: 2, column: 11))
    #expect(k.results[0].location == SourceLocation(file: "k.kir", line: 2, column: 27))
    #expect(k.definitions[0].location == SourceLocation(file: "k.kir", line: 4, column: 3))
  }

  /// The JSON form (Codable) round-trips; inf and nan need a string strategy in JSON.
  @Test func jsonRoundTrips() throws {
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    var kernels = try Self.corpus.map { try IRParser.parse(Corpus.source($0)) }
    var gen = KernelGenerator(rng: SeededRandom(seed: 3))
    for _ in 0..<50 { kernels.append(gen.kernel()) }
    for k in kernels {
      let data = try encoder.encode(k)
      #expect(try decoder.decode(Kernel.self, from: data) == k)
    }
  }
}

extension RoundTripTests {
  /// Corpus files are written in the printer's canonical form (comment lines and blank lines aside), so that the
  /// corpus also documents exactly what `kevc --emit ir` prints.
  @Test(arguments: corpus.map { $0.lastPathComponent })
  func corpusIsCanonical(_ name: String) throws {
    let source = try Corpus.source(Corpus.repository.appendingPathComponent("ir/roundtrip/\(name)"))
    let lines = source.text.split(separator: "\n").filter {
      !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") && !$0.trimmingCharacters(in: .whitespaces).isEmpty
    }
    let kernel = try IRParser.parse(source)
    let printed = IRPrinter.print(kernel)
    #expect(lines.joined(separator: "\n") + "\n" == printed, "\(name) prints as:\n\(printed)")
    #expect(Verifier.verify(kernel).map(\.description) == [])
  }
}
