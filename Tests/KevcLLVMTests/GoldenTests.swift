// The unoptimised IR of small hand-built programs, compared with lowering/llvm/*.ll (the emitter's exact output).
import Foundation
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@testable import KevcLLVM

@Suite struct GoldenTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../lowering/llvm").standardized

  static let programs: [(String, LoopProgram)] = [
    // A padded shift with an f16 result: y[i] = f16(x[i - 1] (pad 0) * 0.5).
    ("shift_f16", LoopProgram(
      name: "shift_f16", dims: ["N": 8], params: [buf("x", .f32, [8])], results: [buf("y", .f16, [8])],
      temporaries: [],
      body: [
        forEach("i", 8, .vectorized(width: 8), [
          .store(buffer: "y", indices: [ix("i")],
            value: mul(ld("x", .binary(.sub, ix("i"), int(1)), bounds: .padded(nil)), f32(0.5)))
        ])
      ])),
    // Row sums of an i32 matrix into a workspace, floor-divided by a scalar.
    ("rowsum_div", LoopProgram(
      name: "rowsum_div", dims: ["M": 2, "N": 3], params: [buf("a", .i32, [2, 3]), buf("d", .i32, [])],
      results: [buf("q", .i32, [2])], temporaries: [buf("s", .i32, [2], .workspace)],
      body: [
        forEach("i", 2, .parallel, [
          .allocate(buf("acc", .i32, [], .local), body: [
            .store(buffer: "acc", indices: [], value: int(0, .i32)),
            forEach("j", 3, .unrolled, [
              .store(buffer: "acc", indices: [], value: add(ld("acc"), ld("a", ix("i"), ix("j"))))
            ]),
            .store(buffer: "s", indices: [ix("i")], value: ld("acc")),
          ]),
          .store(buffer: "q", indices: [ix("i")], value: .binary(.div, ld("s", ix("i")), .scalar("d"))),
        ])
      ])),
    // A transposed 1-D convolution's taps over a padded read, y[i] = sum(p < 3) x[i - p] (pad 0) * w[p]: `TapBounds`
    // clamps the tap loop to max(0, i - 3) .. min(3, i + 1) (the smax/smin before the p loop).
    ("tap_rows", LoopProgram(
      name: "tap_rows", dims: ["N": 4, "K": 3], params: [buf("x", .f32, [4]), buf("w", .f32, [3])],
      results: [buf("y", .f32, [6])], temporaries: [],
      body: [
        forEach("i", 6, .serial, [
          .allocate(buf("acc", .f32, [], .local), body: [
            .store(buffer: "acc", indices: [], value: f32(0)),
            forEach("p", 3, .serial, [
              .store(buffer: "acc", indices: [], value: add(ld("acc"), mul(
                ld("x", .binary(.sub, ix("i"), ix("p")), bounds: .padded(nil)), ld("w", ix("p")))))
            ]),
            .store(buffer: "y", indices: [ix("i")], value: ld("acc")),
          ])
        ])
      ])),
  ]

  /// The IR without the lines that depend on the host.
  static func portable(_ ir: String) -> String {
    ir.split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.hasPrefix("target datalayout") && !$0.hasPrefix("target triple") }
      .joined(separator: "\n")
  }

  @Test(arguments: programs.map(\.0))
  func unoptimizedIRMatchesGolden(name: String) throws {
    let program = try #require(Self.programs.first { $0.0 == name }?.1)
    let ir = Self.portable(try LLVMCompiledModule.compile(program, options: LLVMCompileOptions()).unoptimizedIR)
    let url = Self.directory.appendingPathComponent("\(name).ll")
    if ProcessInfo.processInfo.environment["KEVC_UPDATE_GOLDEN"] == "1" {
      try ir.write(to: url, atomically: true, encoding: .utf8)
    }
    let golden = try String(contentsOf: url, encoding: .utf8)
    #expect(ir == golden)
  }

  @Test func goldenProgramsRun() throws {
    let shift = try #require(Self.programs.first { $0.0 == "shift_f16" }?.1)
    let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8.001]
    let y = values(try execute(shift, [bytes(x)])[0], as: UInt16.self)
    #expect(y == ([0] + x.dropLast().map { $0 * 0.5 }).map { Float16($0).bitPattern })
    let rowsum = try #require(Self.programs.first { $0.0 == "rowsum_div" }?.1)
    let q = values(try execute(rowsum, [bytes([Int32](arrayLiteral: 1, 2, 3, -4, -5, -7)), bytes([Int32(4)])])[0],
      as: Int32.self)
    #expect(q == [1, -4])
  }
}
