// The accuracy contract of f32 contractions (`matmul_precision`) in the transforms: `precision(y, p)` beyond it is a
// typed error, random draws never go beyond it, and rule 4 of the default GPU schedule takes the fastest precision
// it allows (goldens under highest, high and medium on a small f32 matmul and conv2d).
import KevcBasic
import KevcIR
import KevcTransforms
import Testing

@Suite struct MatmulPrecisionContractTests {
  static let matmul = """
    kernel @mm(%a: f32[M, K], %b: f32[K, N]) -> (%c: f32[M, N]) {
      dims M = 1024, K = 1024, N = 1024
      %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[m, k] * %b[k, n])
    }
    """

  static func kernel(_ text: String, _ contract: MatmulPrecision) throws -> Kernel {
    try IRParser.parse(SourceFile(path: "k.kir", text: DefaultGPUScheduleTests.under(contract, text)))
  }

  /// `precision(y, p)` is legal exactly where the contract allows `p`; beyond it, its own reason
  /// (`kevc.transform.beyond-matmul-precision`).
  @Test func precisionBeyondTheContractIsATypedError() throws {
    for contract in MatmulPrecision.allCases {
      for p in DotPrecision.allCases {
        let k = try Self.kernel(Self.matmul, contract)
        let trace = Trace([.dot(tensor: "c"), .precision(tensor: "c", precision: p)])
        do {
          let out = try trace.apply(to: k)
          #expect(p.isAllowed(under: contract), "\(p) under \(contract) applied")
          #expect(out.definitions[0].schedule?.dotPrecision == p)
        } catch {
          #expect(!p.isAllowed(under: contract), "\(p) under \(contract): \(error.message)")
          #expect(error.reason == .beyondMatmulPrecision)
          #expect(error.diagnostic.id == DiagnosticID("transform", "beyond-matmul-precision"))
        }
      }
    }
    #expect(DotPrecision.allowed(under: .highest) == [.tf32x3])
    #expect(DotPrecision.allowed(under: .high) == [.tf32, .tf32x3, .bf16x3])
    #expect(DotPrecision.allowed(under: .medium) == DotPrecision.allCases)
  }

  /// The IR's verifier refuses a precision beyond the contract too (IR read back with `-x ir`, or a contract that
  /// `--matmul-precision` tightened).
  @Test func theVerifierRefusesAPrecisionBeyondTheContract() throws {
    let text = """
      kernel @mm(%a: f32[M, K], %b: f32[K, N]) -> (%c: f32[M, N]) {
        dims M = 40, N = 48, K = 32
        %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[m, k] * %b[k, n])
          schedule loops(m, n, k) root store(workspace) dot precision(tf32)
      }
      """
    let highest = try IRParser.parse(SourceFile(path: "k.kir", text: text))
    #expect(ScheduleVerifier.verify(highest).map(\.message) == [
      "schedule of '%c': precision(tf32) is beyond the kernel's matmul_precision highest",
    ])
    #expect(ScheduleVerifier.verify(try Self.kernel(text, .high)).isEmpty)
  }

  /// Random transforms and mutations of a precision (the search's proposals) only draw what the contract allows.
  @Test(arguments: MatmulPrecision.allCases)
  func randomDrawsStayWithinTheContract(_ contract: MatmulPrecision) throws {
    let base = try Self.kernel(Self.matmul, contract)
    let dotted = try Trace([.dot(tensor: "c")]).apply(to: base)
    var drawn: Set<DotPrecision> = []
    for seed in UInt64(1)...300 {
      var g = TraceGenerator(seed: seed)
      if case .precision(_, let p) = g.randomTransform(.precision, for: dotted) { drawn.insert(p) }
      let mutated = g.mutatedParameters(.precision(tensor: "c", precision: .tf32x3), for: dotted)
      if case .precision(_, let p) = mutated { drawn.insert(p) }
      for t in g.randomTrace(for: dotted, length: 6).steps {
        if case .precision(_, let p) = t { drawn.insert(p) }
      }
    }
    #expect(drawn.allSatisfy { $0.isAllowed(under: contract) }, "\(contract): \(drawn)")
    #expect(drawn.contains(DotPrecision.fastest(under: contract)), "\(contract): \(drawn)")
  }

  /// Rule 4 per contract on a compute-bound f32 matmul: highest three tf32 passes, high one tf32 pass, medium one
  /// bf16 pass, with the same tiles here (64x64: 256 output tiles against the portable GPU's multiprocessors). Its b
  /// is read K-major (b[n, k]): an MN-major f32 operand stays off `highest`'s split passes (rule 4d,
  /// DefaultGPUScheduleTests.mnMajorF32OperandsStayOffTheSplitPasses).
  @Test func rule4TakesTheContractsFastestPrecisionOnAMatmul() throws {
    let kMajor = Self.matmul.replacingOccurrences(of: "%b: f32[K, N]", with: "%b: f32[N, K]")
      .replacingOccurrences(of: "%b[k, n]", with: "%b[n, k]")
    func trace(_ c: MatmulPrecision) throws -> [String] {
      try DefaultGPUScheduleTests.trace(DefaultGPUScheduleTests.under(c, kMajor))
    }
    let highestT = try trace(.highest)
    #expect(highestT == [
      "dot(c)", "precision(c, tf32x3)", "split(c, m, 64)", "split(c, n, 64)", "split(c, k, 32)", "reorder(c, [n.o, m.o, m.i, n.i, k.o, k.i])", "bind(c, n.o, grid.x)", "bind(c, m.o, grid.y)", "bind(c, n.i, block.x)", "bind(c, m.i, block.y)", "bind(c, k.i, block.z)", "launch(c, 4, 3)",
    ], "\(highestT)")
    let highT = try trace(.high)
    #expect(highT == [
      "dot(c)", "precision(c, tf32)", "split(c, m, 64)", "split(c, n, 64)", "split(c, k, 32)", "reorder(c, [n.o, m.o, m.i, n.i, k.o, k.i])", "bind(c, n.o, grid.x)", "bind(c, m.o, grid.y)", "bind(c, n.i, block.x)", "bind(c, m.i, block.y)", "bind(c, k.i, block.z)", "launch(c, 4, 3)",
    ], "\(highT)")
    let mediumT = try trace(.medium)
    #expect(mediumT == [
      "dot(c)", "precision(c, bf16)", "split(c, m, 64)", "split(c, n, 64)", "split(c, k, 32)", "reorder(c, [n.o, m.o, m.i, n.i, k.o, k.i])", "bind(c, n.o, grid.x)", "bind(c, m.o, grid.y)", "bind(c, n.i, block.x)", "bind(c, m.i, block.y)", "bind(c, k.i, block.z)", "launch(c, 4, 3)",
    ], "\(mediumT)")
  }

  /// Rule 4 per contract on an f32 conv2d (rule 0 fuses its channels and taps).
  @Test func rule4TakesTheContractsFastestPrecisionOnAConvolution() throws {
    func trace(_ c: MatmulPrecision) throws -> [String] {
      try DefaultGPUScheduleTests.trace(DefaultGPUScheduleTests.under(c, DefaultGPUScheduleTests.f32Conv2d))
    }
    let highestT = try trace(.highest)
    #expect(highestT == [
      "fuse_axes(y, [c, p, q])", "dot(y)", "precision(y, tf32x3)", "split(y, c.p.q, 32)", "reorder(y, [i, n, j, f, c.p.q.o, c.p.q.i])", "bind(y, i, grid.x)", "bind(y, n, grid.y)", "bind(y, f, block.x)", "bind(y, j, block.y)", "bind(y, c.p.q.i, block.z)", "launch(y, 8, 3)",
    ], "\(highestT)")
    let highT = try trace(.high)
    #expect(highT == [
      "fuse_axes(y, [c, p, q])", "dot(y)", "precision(y, tf32)", "split(y, c.p.q, 32)", "reorder(y, [i, n, j, f, c.p.q.o, c.p.q.i])", "bind(y, i, grid.x)", "bind(y, n, grid.y)", "bind(y, f, block.x)", "bind(y, j, block.y)", "bind(y, c.p.q.i, block.z)", "launch(y, 8, 3)",
    ], "\(highT)")
    let mediumT = try trace(.medium)
    #expect(mediumT == [
      "fuse_axes(y, [c, p, q])", "dot(y)", "precision(y, bf16)", "split(y, c.p.q, 32)", "reorder(y, [i, n, j, f, c.p.q.o, c.p.q.i])", "bind(y, i, grid.x)", "bind(y, n, grid.y)", "bind(y, f, block.x)", "bind(y, j, block.y)", "bind(y, c.p.q.i, block.z)", "launch(y, 8, 3)",
    ], "\(mediumT)")
    // With 64 filters (a 128x64 tile) a split dot takes reduction steps of 16 and 8 warps (`splitDotStep`); one
    // tf32 pass is not a split dot and keeps the matrix units' steps of 32.
    let narrow = DefaultGPUScheduleTests.f32Conv2d.replacingOccurrences(of: "F = 128", with: "F = 64")
    let narrowHighest = try DefaultGPUScheduleTests.trace(narrow)
    #expect(narrowHighest.contains("split(y, c.p.q, 16)"), "\(narrowHighest)")
    let narrowHigh = try DefaultGPUScheduleTests.trace(DefaultGPUScheduleTests.under(.high, narrow))
    #expect(narrowHigh.contains("precision(y, tf32)") && narrowHigh.contains("split(y, c.p.q, 32)"), "\(narrowHigh)")
  }

  /// The sketches that ask for bf16x3 are offered only where the contract allows it; under highest the sketch set
  /// loses split-bf16x3 and bf16x3 (bf16x3 missed f32's tolerance on an H100: docs/reliability.md).
  @Test func bf16x3SketchesNeedHigh() throws {
    func names(_ c: MatmulPrecision) throws -> [String] {
      DefaultSchedule.gpuSketches(for: try Self.kernel(Self.matmul, c)).map(\.name)
    }
    let highest = try names(.highest)
    #expect(!highest.contains("split-bf16x3") && !highest.contains("bf16x3"), "\(highest)")
    let high = try names(.high)
    #expect(high.contains("split-bf16x3") && high.contains("tf32x3"), "\(high)")
    for c in MatmulPrecision.allCases {
      for (name, trace) in DefaultSchedule.gpuSketches(for: try Self.kernel(Self.matmul, c)) {
        for case .precision(_, let p) in trace.steps { #expect(p.isAllowed(under: c), "\(name) under \(c)") }
      }
    }
  }
}
