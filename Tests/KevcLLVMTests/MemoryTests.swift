// Buffers beyond parameters: local accumulators, workspace intermediates, padded loads, data-dependent loop bounds.
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@testable import KevcLLVM

@Suite struct MemoryTests {
  /// t = a @ b (workspace, accumulated in a local), u = t + 1 (second workspace buffer), c = 2 u.
  static func matmul(m: Int, n: Int, k: Int, kind: LoopKind = .serial) -> LoopProgram {
    let acc = buf("acc", .f32, [], .local)
    return LoopProgram(
      name: "mm", dims: ["M": m, "N": n, "K": k], params: [buf("a", .f32, [m, k]), buf("b", .f32, [k, n])],
      results: [buf("c", .f32, [m, n])],
      temporaries: [buf("t", .f32, [m, n], .workspace), buf("u", .f32, [m, n], .workspace)],
      body: [
        forEach("i", m, .serial, [
          forEach("j", n, kind, [
            .allocate(acc, body: [
              .store(buffer: "acc", indices: [], value: f32(0)),
              .loop(Loop(variable: "r", lowerBound: int(0), upperBound: .dim("K"), body: [
                .store(buffer: "acc", indices: [],
                  value: add(ld("acc"), mul(ld("a", ix("i"), ix("r")), ld("b", ix("r"), ix("j")))))
              ])),
              .store(buffer: "t", indices: [ix("i"), ix("j")], value: ld("acc")),
            ])
          ])
        ]),
        forEach("i", m, .serial, [
          forEach("j", n, .serial, [
            .store(buffer: "u", indices: [ix("i"), ix("j")], value: add(ld("t", ix("i"), ix("j")), f32(1)))
          ])
        ]),
        forEach("i", m, .parallel, [
          forEach("j", n, .vectorized(width: 8), [
            .store(buffer: "c", indices: [ix("i"), ix("j")], value: mul(f32(2), ld("u", ix("i"), ix("j"))))
          ])
        ]),
      ])
  }

  @Test func matmulWithLocalAccumulatorAndWorkspace() throws {
    let (m, n, k) = (3, 5, 7)
    let a: [Float] = (0..<(m * k)).map { Float($0 % 5) - 2 }
    let b: [Float] = (0..<(k * n)).map { Float($0 % 3) * 0.5 }
    for kind in [LoopKind.serial, .unrolled, .vectorized(width: 4), .parallel] {
      let program = Self.matmul(m: m, n: n, k: k, kind: kind)
      let module = try LLVMCompiledModule.compile(program, options: LLVMCompileOptions())
      // t: 15 floats = 60 bytes -> one 64-byte slot; u starts at 64.
      #expect(module.workspaceSize == 128)
      let kernel = try module.jit()
      var buffers = [bytes(a), bytes(b), [UInt8](repeating: 0, count: m * n * 4)]
      try kernel.run(&buffers)
      let c = values(buffers[2], as: Float.self)
      for i in 0..<m {
        for j in 0..<n {
          var s: Float = 0
          for r in 0..<k { s += a[i * k + r] * b[r * n + j] }
          #expect(c[i * n + j] == 2 * (s + 1), "c[\(i),\(j)] with \(kind)")
        }
      }
    }
  }

  @Test func workspaceLayoutIsAlignedAndChecked() throws {
    let program = LoopProgram(
      name: "ws", dims: [:], params: [], results: [],
      temporaries: [
        buf("a", .i8, [1], .workspace), buf("l", .f64, [100], .local), buf("b", .f64, [3], .workspace),
        buf("c", .bf16, [0], .workspace), buf("d", .f32, [16], .workspace),
      ], body: [])
    let layout = try WorkspaceLayout(program)
    #expect(layout.offsets == ["a": 0, "b": 64, "c": 128, "d": 128])
    #expect(layout.size == 192)
    let huge = LoopProgram(
      name: "huge", dims: [:], params: [], results: [], temporaries: [buf("h", .f64, [1 << 40, 1 << 40], .workspace)],
      body: [])
    #expect(diagnostic { _ = try WorkspaceLayout(huge) }?.id == DiagnosticID("llvm", "invalid-program"))
  }

  @Test func paddedLoadsNeverTouchMemoryOutside() throws {
    // y[i] = x[i * stride + offset] padded with 7 (or 0), for wild strides and offsets.
    let x: [Float] = [10, 11, 12, 13]
    for (stride, offset, pad) in [
      (Int64(1), Int64(-2), 7.0 as Double?), (1 << 40, 0, nil), (-(1 << 40), 3, 7), (1, 1 << 62, 7),
      (1, Int64.min, nil),
    ] {
      let index = add(mul(ix("i"), int(stride)), int(offset))
      let bounds = LoadBounds.padded(pad.map { .float($0, .f32) })
      let program = elementwise("pad", n: 8, .binary(.add, ld("x", index, bounds: bounds), f32(0)))
      var withInput = program
      withInput.params = [buf("x", .f32, [4])]
      let out = values(try execute(withInput, [bytes(x)])[0], as: Float.self)
      for i in 0..<8 {
        let (p, overflow1) = Int64(i).multipliedReportingOverflow(by: stride)
        let (j, overflow2) = p.addingReportingOverflow(offset)
        let inside = !overflow1 && !overflow2 && j >= 0 && j < 4
        #expect(out[i] == (inside ? x[Int(j)] : Float(pad ?? 0)), "stride \(stride) offset \(offset) i \(i)")
      }
    }
  }

  @Test func paddedRank2AndEmptyBuffers() throws {
    // y[i, j] = x[i - 1, j + 1] padded -1 over a 3x3 domain of a 3x3 x; e[i] = empty[i] padded 5.
    let x: [Int32] = Array(0..<9)
    let program = LoopProgram(
      name: "pad2", dims: [:], params: [buf("x", .i32, [3, 3]), buf("empty", .i32, [0])],
      results: [buf("y", .i32, [3, 3]), buf("e", .i32, [2])], temporaries: [],
      body: [
        forEach("i", 3, .serial, [
          forEach("j", 3, .vectorized(width: 4), [
            .store(buffer: "y", indices: [ix("i"), ix("j")],
              value: ld("x", .binary(.sub, ix("i"), int(1)), add(ix("j"), int(1)),
                bounds: .padded(.int(-1, .i32))))
          ])
        ]),
        forEach("i", 2, .serial, [
          .store(buffer: "e", indices: [ix("i")], value: ld("empty", ix("i"), bounds: .padded(.int(5, .i32))))
        ]),
      ])
    let out = try execute(program, [bytes(x), []])
    #expect(values(out[0], as: Int32.self) == [-1, -1, -1, 1, 2, -1, 4, 5, -1])
    #expect(values(out[1], as: Int32.self) == [5, 5])
  }

  @Test func dataDependentLoopBounds() throws {
    // Jagged row sums: y[r] = sum(v[offsets[r] ..< offsets[r + 1]]), bounds loaded from an i32 buffer.
    let offsets: [Int32] = [0, 2, 5, 5, 9]
    let v: [Float] = (1...9).map(Float.init)
    let acc = buf("acc", .f32, [1], .local)
    let program = LoopProgram(
      name: "jagged", dims: [:], params: [buf("offsets", .i32, [5]), buf("v", .f32, [9])],
      results: [buf("y", .f32, [4])], temporaries: [],
      body: [
        forEach("r", 4, .serial, [
          .allocate(acc, body: [
            .store(buffer: "acc", indices: [int(0)], value: f32(0)),
            .loop(Loop(
              variable: "e", lowerBound: ld("offsets", ix("r")), upperBound: ld("offsets", add(ix("r"), int(1))),
              kind: .vectorized(width: 4),
              body: [
                .store(buffer: "acc", indices: [int(0)], value: add(ld("acc", int(0)), ld("v", ix("e"))))
              ])),
            .store(buffer: "y", indices: [ix("r")], value: ld("acc", int(0))),
          ])
        ])
      ])
    #expect(values(try execute(program, [bytes(offsets), bytes(v)])[0], as: Float.self) == [3, 12, 0, 30])
  }
}
