import Foundation
import KevcBasic
import KevcIR
import KevcSpec
import Testing

/// Spec text -> kernel IR: names, ranges, weak/strong typing with explicit casts, hoisting, dims, domains and
/// shape constraints. Every lowered kernel must also pass the IR verifier.
@Suite struct SpecLoweringTests {
  func lower(_ text: String, path: String = "t.kev") throws -> Kernel {
    let file = try SpecParser.parse(SourceFile(path: path, text: text))
    let kernel = try SpecLowering.lower(file)
    let problems = Verifier.verify(kernel)
    #expect(problems.isEmpty, "verifier: \(problems.map(\.description))\n\(IRPrinter.print(kernel))")
    return kernel
  }

  /// The diagnostics of a spec that must fail, as one-line strings without the file name.
  func errors(_ text: String, shape: [String: Int]? = nil) -> [String] {
    do {
      let kernel = try SpecLowering.lower(try SpecParser.parse(SourceFile(path: "t.kev", text: text)))
      if let shape {
        _ = try kernel.binding(shape, location: SourceLocation(file: "<command line>", line: 1, column: 1))
      }
      return []
    } catch {
      return error.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message) [\($0.id)]" }
    }
  }

  func definition(_ k: Kernel, _ name: String) throws -> Definition {
    try #require(k.definitions.first { $0.name == name })
  }

  @Test func matmulContraction() throws {
    let k = try lower(
      """
      kernel mm(a: f32[M, K], b: f32[K, N]) -> (c: f32[M, N]) {
        dims M = 4, N = 5, K = 6
        bench M = 1024, N = 1024, K = 512
        c[m, n] = sum(k) a[m, k] * b[k, n]
      }
      """)
    #expect(k.dims == [Dim(name: "M", value: 4, benchValue: 1024), Dim(name: "K", value: 6, benchValue: 512),
                       Dim(name: "N", value: 5, benchValue: 1024)])
    let c = try definition(k, "c")
    #expect(c.dtype == .f32)
    #expect(c.axes == [Axis(name: "m", extent: .dim("M")), Axis(name: "n", extent: .dim("N"))])
    #expect(c.reduction == Reduction(op: .sum, accumulator: .f32, axes: [
      ReductionAxis(name: "k", lowerBound: .constant(.int(0)), upperBound: .dim("K"))]))
    #expect(c.body == .binary(.mul, .load(Load(tensor: "a", indices: [.index("m"), .index("k")])),
                              .load(Load(tensor: "b", indices: [.index("k"), .index("n")]))))
    #expect(k.constraints.isEmpty)
    #expect(c.location == SourceLocation(file: "t.kev", line: 4, column: 3))
    #expect(k.location == SourceLocation(file: "t.kev", line: 1, column: 1))
    #expect(k.params[1].location == SourceLocation(file: "t.kev", line: 1, column: 25))
  }

  /// `pow` with a constant exponent of 2, 3 or 4 lowers to products; another exponent stays `pow`.
  @Test func smallIntegerPowersAreProducts() throws {
    let k = try lower(
      """
      kernel p(x: f32[N]) -> (a: f32[N], b: f32[N], c: f32[N], d: f32[N]) {
        dims N = 7
        a[n] = pow(x[n], 2.0)
        b[n] = pow(x[n], 3.0)
        c[n] = pow(x[n], 4.0)
        d[n] = pow(x[n], 1.5)
      }
      """)
    func printed(_ name: String) throws -> String { IRPrinter.print(try definition(k, name).body) }
    #expect(try printed("a") == "(%x[n] * %x[n])")
    #expect(try printed("b") == "((%x[n] * %x[n]) * %x[n])")
    #expect(try printed("c") == "((%x[n] * %x[n]) * (%x[n] * %x[n]))")
    #expect(try printed("d") == "pow(%x[n], 1.5:f32)")
  }

  @Test func rmsnormWeakDimAdoptsF32() throws {
    let k = try lower(
      """
      kernel rmsnorm(x: bf16[M, N], w: bf16[N], eps: f32) -> (y: bf16[M, N]) {
        dims M = 61, N = 96
        ss[m] = sum<f32>(n) f32(x[m, n]) * f32(x[m, n])
        y[m, n] = bf16(f32(x[m, n]) * rsqrt(ss[m] / N + eps) * f32(w[n]))
      }
      """)
    let ss = try definition(k, "ss")
    #expect(ss.dtype == .f32 && ss.axes == [Axis(name: "m", extent: .dim("M"))])
    let y = try definition(k, "y")
    let text = IRPrinter.print(y.body)
    #expect(text.contains("f32(%N)") || text.contains("cast"), "\(text)")
    // ss[m] / N: the dim is cast to f32.
    var sawCast = false
    y.body.forEach { if case .cast(.f32, .dim("N")) = $0 { sawCast = true } }
    #expect(sawCast)
  }

  @Test func softmaxWithNestedReductionsIsHoistedAndDeduplicated() throws {
    let k = try lower(
      """
      kernel softmax(x: f32[M, N]) -> (y: f32[M, N]) {
        dims M = 3, N = 7
        y[m, n] = exp(x[m, n] - max(j) x[m, j]) / sum(j) exp(x[m, j] - max(i) x[m, i])
      }
      """)
    let names = k.definitions.map(\.name)
    #expect(names == ["_r0", "_r1", "_r2", "y"], "\(names)")
    let r0 = try definition(k, "_r0")
    #expect(r0.axes == [Axis(name: "m", extent: .dim("M"))])
    #expect(r0.reduction?.op == .max)
    // max(j) and max(i) differ only by the variable's name: not identical, so both exist.
    let r2 = try definition(k, "_r2")
    #expect(r2.reduction?.op == .sum)
    #expect(r2.axes == [Axis(name: "m", extent: .dim("M"))])
  }

  @Test func identicalHoistedReductionsAreComputedOnce() throws {
    let k = try lower(
      """
      kernel norm(a: f32[B, D]) -> (out: f32[B]) {
        dims B = 2, D = 3
        out[i] = sqrt(sum(d) a[i, d] * a[i, d]) * sqrt(sum(d) a[i, d] * a[i, d])
      }
      """)
    #expect(k.definitions.map(\.name) == ["_r0", "out"])
  }

  @Test func hoistedNamesAvoidUserNames() throws {
    let k = try lower(
      """
      kernel f(_r0: f32[M, N]) -> (y: f32[M]) {
        dims M = 2, N = 3
        y[m] = 2 * sum(n) _r0[m, n]
      }
      """)
    #expect(k.definitions.map(\.name) == ["_r1", "y"])
  }

  @Test func convWithPaddingElseAndInferredTaps() throws {
    let k = try lower(
      """
      kernel pool(x: f32[N, C, L]) -> (y: f32[N, C, (L - 1) // 2 + 1], z: bf16[N, F, L]) {
        dims N = 2, C = 3, L = 9, F = 4
        y[n, c, l] = max(k < 3) x[n, c, 2 * l + k - 1] else -inf
        z[n, f, l] = bf16(sum<f32>(c, k < 3) x[n, c, l + k - 1] * w2[f, c, k])
      }
      """.replacingOccurrences(of: "w2[f, c, k]", with: "1.0"))
    let y = try definition(k, "y")
    #expect(y.axes[2].extent == .add(.div(.sub(.dim("L"), .constant(1)), .constant(2)), .constant(1)))
    guard case .load(let load) = y.body else {
      Issue.record("expected a load: \(y.body)")
      return
    }
    #expect(load.bounds == .padded(.float(-.infinity, .f32)))
    #expect(y.reduction?.axes == [ReductionAxis(name: "k", lowerBound: .constant(.int(0)), upperBound: .constant(.int(3)))])
  }

  @Test func convInfersTapRangeFromWeights() throws {
    let k = try lower(
      """
      kernel conv1d(x: bf16[N, C, L], w: bf16[F, C, K]) -> (y: bf16[N, F, L]) {
        dims N = 3, C = 13, L = 61, F = 20, K = 3
        y[n, f, l] = bf16(sum<f32>(c, k) f32(x[n, c, l + k - 1]) * f32(w[f, c, k]))
      }
      """)
    let r = try definition(k, "_r0")
    #expect(r.reduction?.axes.map(\.upperBound) == [.dim("C"), .dim("K")])
    #expect(r.axes.map(\.name) == ["n", "f", "l"])
    #expect(k.definitions.last?.body == .cast(.bf16, .load(Load(tensor: "_r0", indices: [.index("n"), .index("f"), .index("l")]))))
  }

  @Test func gatherCastsIndicesToI64() throws {
    let k = try lower(
      """
      kernel bag(table: f32[V, D], idx: i32[B, J] in 0 .. V) -> (out: f32[B, D]) {
        dims V = 10, D = 4, B = 3, J = 2
        out[b, d] = sum(j) table[idx[b, j], d]
      }
      """)
    #expect(k.params[1].domain == ValueDomain(lowerBound: .constant(0), upperBound: .dim("V")))
    let out = try definition(k, "out")
    #expect(out.body == .load(Load(tensor: "table", indices: [
      .cast(.i64, .load(Load(tensor: "idx", indices: [.index("b"), .index("j")]))), .index("d")])))
  }

  @Test func jaggedRange() throws {
    let k = try lower(
      """
      kernel jag(values: f32[R, D], offsets: i32[B + 1] sorted in 0 .. R + 1) -> (out: f32[B, D]) {
        dims R = 10, D = 4, B = 3
        out[b, d] = sum(j in offsets[b] .. offsets[b + 1]) values[j, d]
      }
      """)
    #expect(k.params[1].domain?.sorted == true)
    let out = try definition(k, "out")
    let axis = try #require(out.reduction?.axes.first)
    #expect(axis.lowerBound == .cast(.i64, .load(Load(tensor: "offsets", indices: [.index("b")]))))
    #expect(axis.upperBound == .cast(.i64, .load(Load(tensor: "offsets", indices: [.binary(.add, .index("b"), .constant(.int(1)))]))))
  }

  @Test func causalMaskAdoptsFloatTypeForInf() throws {
    let k = try lower(
      """
      kernel mask(sc: bf16[S, S]) -> (s: bf16[S, S]) {
        dims S = 5
        s[i, j] = where(j <= i, sc[i, j], -inf)
      }
      """)
    let s = try definition(k, "s")
    #expect(s.body == .select(.binary(.le, .index("j"), .index("i")), .load(Load(tensor: "sc", indices: [.index("i"), .index("j")])),
                              .constant(.float(-.infinity, .bf16))))
  }

  @Test func scalarParamsScalarResultsArgmaxAndBoolOps() throws {
    let k = try lower(
      """
      kernel misc(x: f32[M, N], t: f32, lengths: i32[M]) -> (idx: i64[M], best: f32[M], loss: f32, keep: bool[M, N]) {
        dims M = 3, N = 4
        idx[m] = argmax(n) x[m, n]
        best[m] = x[m, idx[m]]
        loss = (sum(m, n) x[m, n] * x[m, n]) / (M * N)
        keep[m, n] = x[m, n] > t and not isnan(x[m, n]) or n < lengths[m]
      }
      """)
    let idx = try definition(k, "idx")
    // argmax is the tuple reduction of the largest value and its index (Combiner.argExtreme).
    #expect(idx.dtype == .i64 && idx.reduction?.op == .tuple && idx.reduction?.accumulator == .f32)
    #expect(idx.reduction?.combiner == Combiner.argExtreme(isMax: true, valueType: .f32, index: .index("n")))
    let loss = try definition(k, "loss")
    #expect(loss.axes.isEmpty)
    #expect(loss.body == .binary(.div, .load(Load(tensor: "_r0", indices: [])),
                                 .cast(.f32, .binary(.mul, .dim("M"), .dim("N")))))
    let keep = try definition(k, "keep")
    // n adopts i32 from lengths.
    var sawCast = false
    keep.body.forEach { if case .cast(.i32, .index("n")) = $0 { sawCast = true } }
    #expect(sawCast)
    #expect(k.definitions.map(\.name) == ["idx", "best", "_r0", "loss", "keep"])
  }

  @Test func castsAndLiteralFolding() throws {
    let k = try lower(
      """
      kernel casts(x: bf16[N], c: i32[N]) -> (y: f32[N], z: i8[N], w: bool[N], v: f64[N]) {
        dims N = 3
        y[n] = f32(x[n]) * 2 + 0.5 + f32(c[n])
        z[n] = i8(c[n] % 3) + 1
        w[n] = bool(c[n])
        v[n] = f64(x[n]) * (1 + 0.25)
      }
      """)
    let y = try definition(k, "y")
    #expect(y.body == .binary(.add, .binary(.add, .binary(.mul, .cast(.f32, .load(Load(tensor: "x", indices: [.index("n")]))),
                                                        .constant(.float(2, .f32))), .constant(.float(0.5, .f32))),
                              .cast(.f32, .load(Load(tensor: "c", indices: [.index("n")])))))
    let z = try definition(k, "z")
    #expect(z.body == .binary(.add, .cast(.i8, .binary(.mod, .load(Load(tensor: "c", indices: [.index("n")])), .constant(.int(3, .i32)))),
                              .constant(.int(1, .i8))))
    let v = try definition(k, "v")
    #expect(v.body == .binary(.mul, .cast(.f64, .load(Load(tensor: "x", indices: [.index("n")]))),
                              .binary(.add, .constant(.float(1, .f64)), .constant(.float(0.25, .f64)))))
  }

  @Test func bf16WithF32Accumulator() throws {
    let k = try lower(
      """
      kernel s(x: bf16[M, N]) -> (y: f32[M]) {
        dims M = 2, N = 3
        y[m] = sum<f32>(n) x[m, n]
      }
      """)
    let y = try definition(k, "y")
    #expect(y.reduction?.accumulator == .f32)
    #expect(y.body == .cast(.f32, .load(Load(tensor: "x", indices: [.index("m"), .index("n")]))))
  }

  @Test func explicitAxisRangesAndTriangularBounds() throws {
    let k = try lower(
      """
      kernel t(x: f32[M, N], offsets: i32[B + 1]) -> (y: f32[M, N], len: i32[B]) {
        dims M = 2, N = 3, B = 4, T = 2
        y[m, n] = sum(j < n + 1) x[m, j]
        l2[b < B] = min(offsets[b + 1] - offsets[b], T)
        len[b] = l2[b]
      }
      """)
    #expect(k.dims.map(\.name) == ["M", "N", "B", "T"])
    let l2 = try definition(k, "l2")
    #expect(l2.dtype == .i32 && l2.axes == [Axis(name: "b", extent: .dim("B"))])
    let y = try definition(k, "y")
    #expect(y.reduction?.axes.first?.upperBound == .binary(.add, .index("n"), .constant(.int(1))))
  }

  /// Sizes past `ShapeLimits` are located `kevc.shape.too-large` errors at binding, before any stage multiplies
  /// them (issue 13: `dims N = 9223372036854775807` trapped in `Kernel.maxExtent`).
  @Test func sizesPastTheLimitsAreTooLarge() throws {
    let big = "kernel f(x: f32[N]) -> (y: f32[N]) {\n  dims N = 9223372036854775807\n  y[i] = x[i] * 2.0\n}\n"
    #expect(errors(big, shape: [:]) == [
      "1:10: dimension 'N' = 9223372036854775807 is larger than the limit of 1099511627776 [kevc.shape.too-large]"
    ])
    let small = "kernel f(x: f32[N]) -> (y: f32[N]) {\n  dims N = 8\n  y[i] = x[i] * 2.0\n}\n"
    #expect(errors(small, shape: ["N": Int.max]) == [
      "1:1: dimension 'N' = 9223372036854775807 is larger than the limit of 1099511627776 [kevc.shape.too-large]"
    ])
    #expect(errors(small, shape: ["N": ShapeLimits.maxExtent]).isEmpty)
    // Each extent within the limit, the product past 2^48 elements (and past 2^63 in the second binding).
    let square = "kernel g(x: f32[M, N]) -> (y: f32[M]) {\n  dims M = 2, N = 2\n  y[m] = sum(n < N) x[m, n]\n}\n"
    #expect(errors(square, shape: ["M": 1 << 25, "N": 1 << 24]).first?.hasSuffix("[kevc.shape.too-large]") == true)
    #expect(errors(square, shape: ["M": 1 << 40, "N": 1 << 40]).first?.hasPrefix(
      "1:10: 'x' has more than 281474976710656 elements") == true)
    #expect(errors(square, shape: ["M": 1 << 24, "N": 1 << 24]).isEmpty)
    // A size expression that overflows 64 bits, and a constant reduction range past the limit.
    let product = "kernel h(x: f32[N * N]) -> (y: f32[N * N]) {\n  dims N = 8\n  y[i] = x[i]\n}\n"
    #expect(errors(product, shape: ["N": 1 << 40]).first?.contains("overflows 64 bits") == true)
    let range = "kernel r(x: f32[N]) -> (y: f32[N]) {\n  dims N = 8\n  y[i] = sum(k in 0 .. 9223372036854775807) x[i]\n}\n"
    #expect(errors(range, shape: [:]).first?.hasSuffix("[kevc.shape.too-large]") == true)
  }

  @Test func symbolicExtentsBecomeConstraints() throws {
    let k = try lower(
      """
      kernel mm(x: f32[M, K], w: f32[J, N]) -> (y: f32[M, N]) {
        dims M = 2, K = 3, J = 3, N = 4
        y[m, n] = sum(k) x[m, k] * w[k, n]
      }
      """)
    #expect(k.constraints.count == 1)
    #expect(try k.binding([:], location: .unknown).dims.map(\.value) == [2, 3, 3, 4])
    let e = errors(
      """
      kernel mm(x: f32[M, K], w: f32[J, N]) -> (y: f32[M, N]) {
        dims M = 2, K = 3, J = 3, N = 4
        y[m, n] = sum(k) x[m, k] * w[k, n]
      }
      """, shape: ["J": 5])
    #expect(e == ["3:32: shape mismatch: 'k' indexes dimension 1 of 'x' (K = 3) and dimension 0 of 'w' (J = 5) [kevc.spec.shape-mismatch]"])
  }

  @Test func bindingOverridesAndChecks() throws {
    let k = try lower(
      """
      kernel f(x: f32[N - 2], i: i32[N] in 0 .. N - 3) -> (y: f32[N - 2]) {
        y[n] = x[n]
      }
      """)
    let cl = SourceLocation(file: "<command line>", line: 1, column: 1)
    #expect(throws: DiagnosticError.self) { try k.binding([:], location: cl) }
    let b = try k.binding(["N": 5], location: cl)
    #expect(b.dims == [Dim(name: "N", value: 5)])
    do {
      _ = try k.binding(["N": 2, "Q": 1], location: cl)
      Issue.record("expected errors")
    } catch {
      let text = error.diagnostics.map(\.description)
      #expect(text == ["<command line>:1:1: error: unknown dimension 'Q' in --shape; the dimensions of 'f' are N [kevc.spec.unknown-dimension]"])
    }
    do {
      _ = try k.binding(["N": 2], location: cl)
      Issue.record("expected errors")
    } catch {
      #expect(error.diagnostics.map(\.message) == [
        "dimension 0 of 'x' has size N - 2 = 0 under this binding; sizes must be at least 1",
        "dimension 0 of 'y' has size N - 2 = 0 under this binding; sizes must be at least 1",
        "value range of 'i' is empty under this binding (0 = 0 .. N - 3 = -1)",
      ])
    }
    do {
      _ = try k.binding(["N": 0], location: cl)
      Issue.record("expected errors")
    } catch {
      #expect(error.diagnostics.map(\.message).first == "dimension 'N' must be at least 1, got 0")
    }
  }

  @Test func everyBundledSpecLowersVerifiesAndBinds() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    var count = 0
    for folder in ["specs", "specs/kernelbench", "Tests/Corpus/novel"] {
      let dir = root.appendingPathComponent(folder)
      let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".kev") }
      for name in names.sorted() {
        let url = dir.appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        do {
          let k = try lower(text, path: folder + "/" + name)
          _ = try k.binding([:], location: .unknown)
          count += 1
        } catch {
          Issue.record("\(folder)/\(name): \(error)")
        }
      }
    }
    #expect(count > 0)
  }
}

/// `Tests/Corpus/spec-errors/*.kev`: malformed specs. Each begins with `# expect: LINE:COL: error: MESSAGE [ID]`
/// lines, exactly the diagnostics that parsing, lowering and binding (no `--shape`) must produce, in order.
/// `KEVC_RECORD=1` rewrites the expectations from the current output (and fails, so that a recording is always
/// reviewed before it is committed).
@Suite struct SpecErrorCorpusTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Corpus/spec-errors")

  static let files: [String] =
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".kev") }.sorted()

  static func diagnostics(_ text: String, path: String) -> [String] {
    do {
      let kernel = try SpecLowering.lower(try SpecParser.parse(SourceFile(path: path, text: text)))
      _ = try kernel.binding([:], location: SourceLocation(file: "<command line>", line: 1, column: 1))
      return []
    } catch {
      return error.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.severity.rawValue): \($0.message) [\($0.id)]" }
    }
  }

  @Test func corpusCoversEveryDiagnosticKind() {
    #expect(Self.files.count >= 40)
  }

  @Test(arguments: files)
  func producesExactlyTheExpectedDiagnostics(_ name: String) throws {
    let url = Self.folder.appendingPathComponent(name)
    let data = try Data(contentsOf: url)
    let text = String(decoding: data, as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let prefix = "# expect: "
    let expected = lines.prefix { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    let actual = Self.diagnostics(text, path: name)
    if ProcessInfo.processInfo.environment["KEVC_RECORD"] != nil, actual != expected {
      let body = lines.drop { $0.hasPrefix(prefix) }.joined(separator: "\n")
      let header = actual.map { prefix + $0 }.joined(separator: "\n")
      try Data((header + "\n" + body).utf8).write(to: url)
      Issue.record("recorded \(name); review and run again")
      return
    }
    #expect(!expected.isEmpty, "\(name) has no '# expect:' lines")
    #expect(actual == expected, "\(name)")
  }
}

/// The front end never traps: truncations and random byte edits of valid specs give a kernel (which must pass
/// the verifier) or located diagnostics, never a crash.
@Suite struct SpecRobustnessTests {
  static let seeds: [String] = [
    """
    kernel attention(q: bf16[B, H, S, D], k: bf16[B, H, S, D], v: bf16[B, H, S, D]) -> (o: bf16[B, H, S, D]) {
      dims B = 2, H = 3, S = 7, D = 4
      s[b, h, i, j] = where(j <= i, (sum<f32>(d) f32(q[b, h, i, d]) * f32(k[b, h, j, d])) * rsqrt(f32(D)), -inf)
      mx[b, h, i] = max(j) s[b, h, i, j]
      p[b, h, i, j] = exp(s[b, h, i, j] - mx[b, h, i])
      o[b, h, i, e] = bf16((sum<f32>(j) p[b, h, i, j] * f32(v[b, h, j, e])) / sum(j) p[b, h, i, j])
    }
    """,
    """
    kernel bag(table: f32[V, D], indices: i32[NNZ] in 0 .. V,
               offsets: i32[B + 1] sorted in 0 .. NNZ + 1) -> (out: f32[B, D], n: i64[B]) {
      dims V = 10, D = 4, B = 3, NNZ = 9; bench V = 100
      out[b, d] = sum(j in offsets[b] .. offsets[b + 1]) table[indices[j], d]
      n[b] = sum<i64>(j in offsets[b] .. offsets[b + 1]) i64(indices[j] >= 0 and not (indices[j] == 3))
    }
    """,
    """
    kernel pool(x: f32[N, C, L], w: f16[C, K], lo: f32) -> (y: f32[N, C, (L - 1) // 2 + 1], a: i64[N, C]) {
      dims N = 2, C = 3, L = 9, K = 3
      y[n, c, l] = max(k < 3) x[n, c, 2 * l + k - 1] else -inf
      t[n, c, l < L] = max(f32(w[c, l % K]) * x[n, c, l], lo) + 1e-5 * .5 - 2. / 3
      a[n, c] = argmax(l) t[n, c, l] % 2.0
    }
    """,
  ]

  /// SplitMix64: a small deterministic generator, so that failures reproduce.
  typealias Generator = SplitMix64

  /// Runs the whole front end; returns whether it produced a kernel.
  @discardableResult
  func frontEnd(_ bytes: [UInt8]) -> Bool {
    let text = String(decoding: bytes, as: UTF8.self)
    do {
      let kernel = try SpecLowering.lower(try SpecParser.parse(SourceFile(path: "fuzz.kev", text: text)))
      let problems = Verifier.verify(kernel)
      #expect(problems.isEmpty, "lowered kernel fails the verifier:\n\(text)\n\(problems.map(\.description))")
      _ = SpecASTPrinter.print(try SpecParser.parse(SourceFile(path: "fuzz.kev", text: text)))
      _ = try? kernel.binding([:], location: .unknown)
      return true
    } catch {
      #expect(!error.diagnostics.isEmpty)
      for d in error.diagnostics { #expect(d.location.line >= 1 && d.location.column >= 1, "\(d)") }
      return false
    }
  }

  @Test func seedsAreValid() {
    for s in Self.seeds { #expect(frontEnd(Array(s.utf8)), "\(s)") }
  }

  @Test func everyTruncation() {
    for s in Self.seeds {
      let bytes = Array(s.utf8)
      for n in 0..<bytes.count { frontEnd(Array(bytes[0..<n])) }
    }
  }

  @Test func randomEdits() {
    var g = Generator(state: 42)
    let alphabet = Array("()[]{}<>=+-*/%,.:;#! \n\t0123456789eaxkmnsumaxinelsewherebf16f32i64".utf8) + [0, 0xFF, 0xC3]
    for s in Self.seeds {
      let original = Array(s.utf8)
      for _ in 0..<400 {
        var bytes = original
        for _ in 0..<(1 + g.below(4)) {
          switch g.below(3) {
          case 0 where !bytes.isEmpty: bytes.remove(at: g.below(bytes.count))
          case 1: bytes.insert(alphabet[g.below(alphabet.count)], at: g.below(bytes.count + 1))
          default:
            // Duplicate a random slice (repeats brackets, operators and whole statements).
            let a = g.below(bytes.count)
            let b = min(bytes.count, a + g.below(12))
            bytes.insert(contentsOf: bytes[a..<b], at: g.below(bytes.count + 1))
          }
        }
        frontEnd(bytes)
      }
    }
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
    let chain = Array(repeating: "x[n]", count: 5000).joined(separator: " + ")
    let negations = String(repeating: "-", count: 5000) + "x[n]"
    for body in [deep, chain, negations] {
      let text = "kernel f(x: f32[N]) -> (y: f32[N]) {\n  dims N = 2\n  y[n] = \(body)\n}\n"
      #expect(!frontEnd(Array(text.utf8)))
    }
  }
}
