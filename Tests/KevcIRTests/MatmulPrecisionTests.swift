import Foundation
import KevcBasic
import KevcIR
import KevcSpec
import Testing

/// The accuracy contract of f32 contractions (`matmul_precision`): the spec's line, the IR header's attribute and
/// its round trip, and the tolerance it (never the schedule's dot precision) gives the results (`ComputedPrecision`,
/// `HarnessModule.tolerance`).
@Suite struct MatmulPrecisionTests {
  static func spec(_ line: String) -> String {
    """
    kernel mm(a: f32[M, K], b: f32[K, N]) -> (c: f32[M, N]) {
      \(line)
      dims M = 4, N = 5, K = 6
      c[m, n] = sum(k) a[m, k] * b[k, n]
    }
    """
  }

  static func lower(_ text: String) throws -> Kernel {
    try SpecLowering.lower(try SpecParser.parse(SourceFile(path: "t.kev", text: text)))
  }

  /// A matmul whose dot reads its operands at `precision` (a schedule), under `contract` (the header's attribute).
  static func scheduled(_ precision: String, contract: String = "") throws -> Kernel {
    try IRParser.parse(SourceFile(path: "t.kir", text: """
      kernel @mm(%a: f32[M, K], %b: f32[K, N]) -> (%c: f32[M, N])\(contract) {
        dims M = 40, N = 48, K = 32
        %c: f32[m < M, n < N] = sum<f32> [k in 0 .. $K] (%a[m, k] * %b[k, n])
          schedule loops(m, n, k) root store(workspace) dot precision(\(precision))
      }
      """))
  }

  @Test func theSpecLineSetsTheContract() throws {
    #expect(try Self.lower(Self.spec("")).matmulPrecision == .highest)
    #expect(try Self.lower(Self.spec("matmul_precision high")).matmulPrecision == .high)
    #expect(try Self.lower(Self.spec("matmul_precision medium")).matmulPrecision == .medium)
    #expect(try Self.lower(Self.spec("matmul_precision highest")).matmulPrecision == .highest)
    // A tensor named matmul_precision is still a definition (the word is not a keyword).
    let k = try Self.lower("""
      kernel f(x: f32[N]) -> (matmul_precision: f32[N]) {
        matmul_precision[n] = x[n] * 2.0
      }
      """)
    #expect(k.matmulPrecision == .highest && k.definitions.map(\.name) == ["matmul_precision"])
  }

  /// Printed in the header only when not `highest` (every existing golden is unchanged), parsed back.
  @Test func theHeaderRoundTrips() throws {
    let highest = try Self.lower(Self.spec(""))
    #expect(!IRPrinter.print(highest).contains("matmul_precision"))
    let high = try Self.lower(Self.spec("matmul_precision high"))
    let text = IRPrinter.print(high)
    #expect(text.hasPrefix("kernel @mm(%a: f32[M, K], %b: f32[K, N]) -> (%c: f32[M, N]) matmul_precision(high) {\n"), "\(text)")
    let back = try IRParser.parse(SourceFile(path: "t.kir", text: text))
    #expect(back.matmulPrecision == .high && IRPrinter.print(back) == text)
    #expect(IRPrinter.print(highest) != IRPrinter.print(Self.withContract(highest, .medium)))
    do {
      _ = try IRParser.parse(SourceFile(path: "t.kir", text: text.replacingOccurrences(of: "(high)", with: "(low)")))
      Issue.record("an unknown matmul precision parsed")
    } catch {
      #expect(error.diagnostics.first?.message.contains("expected a matmul precision (highest, high, medium)") == true)
    }
  }

  static func withContract(_ k: Kernel, _ c: MatmulPrecision) -> Kernel {
    var k = k
    k.matmulPrecision = c
    return k
  }

  /// The JSON form carries it; a kernel written before it existed (no key) reads as `highest`.
  @Test func jsonKeepsTheContractAndDefaultsToHighest() throws {
    let high = try Self.lower(Self.spec("matmul_precision high"))
    let data = try JSONEncoder().encode(high)
    #expect(try JSONDecoder().decode(Kernel.self, from: data) == high)
    var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    object.removeValue(forKey: "matmulPrecision")
    let old = try JSONSerialization.data(withJSONObject: object)
    #expect(try JSONDecoder().decode(Kernel.self, from: old).matmulPrecision == .highest)
  }

  /// The tolerance follows the contract, whatever precision the schedule chose: a tf32 (or bf16) dot under
  /// `highest` is judged at f32's tolerance (and is illegal anyway); under `high` any f32 contraction at tf32's
  /// (f16's), under `medium` at bf16's, even one computed in f32.
  @Test func theToleranceIsTheContracts() throws {
    #expect(ComputedPrecision.of("c", in: try Self.scheduled("tf32")) == .f32)
    #expect(ComputedPrecision.of("c", in: try Self.scheduled("bf16")) == .f32)
    #expect(ComputedPrecision.of("c", in: try Self.scheduled("tf32", contract: " matmul_precision(high)")) == .f16)
    #expect(ComputedPrecision.of("c", in: try Self.scheduled("tf32x3", contract: " matmul_precision(high)")) == .f16)
    #expect(ComputedPrecision.of("c", in: try Self.scheduled("bf16", contract: " matmul_precision(medium)")) == .bf16)
    let unscheduled = try Self.lower(Self.spec("matmul_precision medium"))
    #expect(ComputedPrecision.of("c", in: unscheduled) == .bf16)
    #expect(ComputedPrecision.of("c", in: try Self.lower(Self.spec(""))) == .f32)
    // The harness module's entry says the same.
    #expect(HarnessModule.tolerance(try Self.scheduled("tf32")).contains("\"c\": \"f32\""))
    #expect(HarnessModule.tolerance(try Self.scheduled("tf32x3", contract: " matmul_precision(high)")).contains("\"c\": \"f16\""))
    #expect(HarnessModule.tolerance(unscheduled).contains("\"c\": \"bf16\""))
    #expect(HarnessModule.tolerance(try Self.lower(Self.spec(""))).isEmpty)
  }

  /// Only f32 contractions (what `dot(y)` and `precision(y, p)` accept) take the contract's tolerance: an
  /// elementwise f32 result and a contraction of bf16 operands keep their own.
  @Test func onlyF32ContractionsFollowTheContract() throws {
    let k = try Self.lower("""
      kernel f(x: f32[N], a: bf16[M, K], b: bf16[K, M]) -> (y: f32[N], c: f32[M, M]) {
        matmul_precision medium
        dims N = 8, M = 4, K = 4
        y[n] = x[n] * 2.0
        c[m, j] = sum(k) f32(a[m, k]) * f32(b[k, j])
      }
      """)
    #expect(ComputedPrecision.of("y", in: k) == .f32)
    #expect(ComputedPrecision.of("c", in: k) == .f32)
  }
}
