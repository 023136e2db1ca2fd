// Index arithmetic that the interval analysis bounds is emitted `nsw`; arithmetic on data keeps wrapping.
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@testable import KevcLLVM

@Suite struct ProvenIndexArithmeticTests {
  /// A compute_at nest as the default CPU schedule lowers it: `for t in i .. (i + 1)` inside a parallel loop over i,
  /// storing `y[t] = x[t] * 2`; beside it `z[i] = a[i] + 1` on i64 data (whose range nothing bounds).
  static let program = LoopProgram(
    name: "one_trip", dims: ["N": 6], params: [buf("x", .f32, [6]), buf("a", .i64, [6])],
    results: [buf("y", .f32, [6]), buf("z", .i64, [6])], temporaries: [],
    body: [
      forEach("i", 6, .parallel, [
        .loop(Loop(variable: "t", lowerBound: ix("i"), upperBound: add(ix("i"), int(1)), body: [
          .store(buffer: "y", indices: [ix("t")], value: mul(ld("x", ix("t")), f32(2)))
        ])),
        .store(buffer: "z", indices: [ix("i")], value: add(ld("a", ix("i")), int(1))),
      ])
    ])

  @Test func boundedIndexArithmeticIsNoSignedWrap() throws {
    let ir = try LLVMCompiledModule.compile(Self.program, options: LLVMCompileOptions(optimizationLevel: 0))
      .unoptimizedIR
    let adds = ir.split(separator: "\n").filter { $0.contains(" = add ") }
    // i + 1 with i in 0 ..< 6 cannot wrap: nsw, so that LLVM knows the loop over t runs exactly once.
    #expect(adds.contains { $0.contains("add nsw i64 %i, 1") })
    // a[i] + 1 reads data: it wraps (the language's integer semantics), no flag.
    #expect(adds.contains { $0.contains("= add i64 ") && !$0.contains("%i") && !$0.contains("%t") })
    // Optimised, the loop over t has no zero-trip path left (before: `icmp eq i64 %i, 9223372036854775807`).
    let optimized = try LLVMCompiledModule.compile(Self.program, options: LLVMCompileOptions()).llvmIR
    #expect(!optimized.contains("9223372036854775807"))
  }

  @Test func boundedIndexArithmeticComputesTheSameValues() throws {
    let x: [Float] = [1, -2, 3.5, 0, 7, -0.25]
    let a: [Int64] = [0, -1, Int64.max, Int64.min, 41, 5]
    let out = try execute(Self.program, [bytes(x), bytes(a)])
    #expect(values(out[0], as: Float.self) == x.map { $0 * 2 })
    #expect(values(out[1], as: Int64.self) == a.map { $0 &+ 1 })
  }
}
