// Parallel loops on the runtime's thread pool: results equal the serial ones for many iterations, nested loops,
// private and shared local buffers, non-zero and data-dependent bounds; the pool is reused across calls and safe
// for concurrent callers; kevc_parallel_for covers [0, count) exactly once.
import Foundation
import KevcBasic
import KevcIR
import KevcLowering
import KevcRuntime
import Testing

@testable import KevcLLVM

@Suite struct ParallelTests {
  static func rowProgram(m: Int, n: Int) -> LoopProgram {
    // y[i, j] = rev[j] + acc, where rev (a private row buffer) holds the row reversed and acc (a private
    // accumulator) its sum; s[i] = acc.
    let row: [Stmt] = [
      forEach("j", n, .serial,
        [.store(buffer: "rev", indices: [ix("j")], value: ld("x", ix("i"), .binary(.sub, int(Int64(n - 1)), ix("j"))))]
      ),
      .store(buffer: "acc", indices: [], value: f32(0)),
      forEach("j", n, .serial, [.store(buffer: "acc", indices: [], value: add(ld("acc"), ld("x", ix("i"), ix("j"))))]),
      forEach("j", n, .vectorized(width: 8), [.store(buffer: "y", indices: [ix("i"), ix("j")], value: add(ld("rev", ix("j")), ld("acc")))]),
      .store(buffer: "s", indices: [ix("i")], value: ld("acc")),
    ]
    let body: Stmt = .allocate(
      buf("rev", .f32, [n], .local), body: [.allocate(buf("acc", .f32, [], .local), body: row)])
    return LoopProgram(
      name: "rows", dims: ["M": m, "N": n], params: [buf("x", .f32, [m, n])],
      results: [buf("y", .f32, [m, n]), buf("s", .f32, [m])], temporaries: [],
      body: [forEach("i", m, .parallel, [body])])
  }

  static func rowReference(_ x: [Float], m: Int, n: Int) -> ([Float], [Float]) {
    var y = [Float](repeating: 0, count: m * n)
    var s = [Float](repeating: 0, count: m)
    for i in 0..<m {
      var acc: Float = 0
      for j in 0..<n { acc += x[i * n + j] }
      for j in 0..<n { y[i * n + j] = x[i * n + n - 1 - j] + acc }
      s[i] = acc
    }
    return (y, s)
  }

  @Test func privateLocalBuffersInsideAParallelLoop() throws {
    let (m, n) = (301, 37)
    let x = (0..<(m * n)).map { Float(($0 * 7919) % 1000) * 0.001 }
    let out = try execute(Self.rowProgram(m: m, n: n), [bytes(x)])
    let (y, s) = Self.rowReference(x, m: m, n: n)
    #expect(values(out[0], as: Float.self) == y)
    #expect(values(out[1], as: Float.self) == s)
  }

  @Test func outlinedBodyAndRuntimeCallInTheIR() throws {
    let module = try LLVMCompiledModule.compile(Self.rowProgram(m: 8, n: 4), options: LLVMCompileOptions())
    #expect(module.unoptimizedIR.contains("define internal void @rows.par1(ptr %ctx, i64 %begin, i64 %end)"))
    #expect(module.unoptimizedIR.contains("call void @kevc_parallel_for(i64"))
    #expect(module.unoptimizedIR.contains("declare void @kevc_parallel_for(i64, ptr, ptr)"))
    // The locals are allocas of the outlined body, not of the kernel.
    #expect(module.unoptimizedIR.contains("%rev = alloca float, i64 4"))
    #expect(try module.assembly().contains("kevc_parallel_for"))
    #expect(module.usesParallelRuntime)
    #expect(!(try LLVMCompiledModule.compile(elementwise("e", n: 4, f32(1)), options: LLVMCompileOptions()))
      .usesParallelRuntime)
  }

  @Test func manyIterationsNonZeroLowerBoundAndEnclosingVariables() throws {
    // for k in 0..<3 { for i in 5..<n parallel { y[k, i] = x[i] * k + scale } }, y[k, 0..<5] untouched.
    let n = 100_003
    let program = LoopProgram(
      name: "shifted", dims: ["N": n], params: [buf("x", .f32, [n]), buf("scale", .f32, [])],
      results: [buf("y", .f32, [3, n])], temporaries: [],
      body: [
        forEach("k", 3, .serial,
          [
            .loop(
              Loop(
                variable: "i", lowerBound: int(5), upperBound: int(Int64(n)), kind: .parallel,
                body: [
                  .store(
                    buffer: "y", indices: [ix("k"), ix("i")],
                    value: add(mul(ld("x", ix("i")), .cast(.f32, ix("k"))), .scalar("scale")))
                ]))
          ])
      ])
    let x = (0..<n).map { Float($0 % 97) }
    let y = values(try execute(program, [bytes(x), bytes([Float(0.5)])])[0], as: UInt32.self)
    var ok = true
    for k in 0..<3 {
      for i in 0..<n {
        let expected = i < 5 ? 0xABAB_ABAB : (x[i] * Float(k) + 0.5).bitPattern
        if y[k * n + i] != expected { ok = false }
      }
    }
    #expect(ok)
  }

  @Test func nestedParallelLoopsAndTriangularBounds() throws {
    // for i parallel { for j in 0..<i+1 parallel { y[i, j] = x[j] + i } }: the inner call runs serially.
    let n = 67
    let program = LoopProgram(
      name: "tri", dims: ["N": n], params: [buf("x", .f64, [n])], results: [buf("y", .f64, [n, n])],
      temporaries: [],
      body: [
        .loop(
          Loop(
            variable: "i", lowerBound: int(0), upperBound: int(Int64(n)), kind: .parallel,
            body: [
              .loop(
                Loop(
                  variable: "j", lowerBound: int(0), upperBound: add(ix("i"), int(1)), kind: .parallel,
                  body: [
                    .store(
                      buffer: "y", indices: [ix("i"), ix("j")], value: add(ld("x", ix("j")), .cast(.f64, ix("i"))))
                  ]))
            ]))
      ])
    let x = (0..<n).map { Double($0) * 0.25 }
    let y = values(try execute(program, [bytes(x)])[0], as: UInt64.self)
    var ok = true
    for i in 0..<n {
      for j in 0..<n where y[i * n + j] != (j <= i ? (x[j] + Double(i)).bitPattern : 0xABAB_ABAB_ABAB_ABAB) {
        ok = false
      }
    }
    #expect(ok)
  }

  @Test func sharedBufferDeclaredOutsideTheParallelLoop() throws {
    // allocate t[n] { for i parallel { t[i] = x[i] * 2 }; for i { y[i] = t[n - 1 - i] } }
    let n = 1000
    let program = LoopProgram(
      name: "shared", dims: ["N": n], params: [buf("x", .f32, [n])], results: [buf("y", .f32, [n])],
      temporaries: [buf("u", .f32, [n], .local)],
      body: [
        .allocate(
          buf("t", .f32, [n], .local),
          body: [
            forEach("i", n, .parallel, [.store(buffer: "t", indices: [ix("i")], value: mul(ld("x", ix("i")), f32(2)))]),
            forEach("i", n, .parallel, [.store(buffer: "u", indices: [ix("i")], value: ld("t", ix("i")))]),
            forEach("i", n, .serial,
              [.store(buffer: "y", indices: [ix("i")], value: ld("u", .binary(.sub, int(Int64(n - 1)), ix("i"))))]),
          ])
      ])
    let x = (0..<n).map { Float($0) }
    let y = values(try execute(program, [bytes(x)])[0], as: Float.self)
    #expect(y == (0..<n).map { Float(n - 1 - $0) * 2 })
  }

  @Test func thePoolIsReusedAcrossManyCalls() throws {
    let (m, n) = (64, 16)
    let kernel = try LLVMCompiledModule.compile(Self.rowProgram(m: m, n: n), options: LLVMCompileOptions()).jit()
    let x = (0..<(m * n)).map { Float($0 % 13) }
    var buffers = [bytes(x), [UInt8](repeating: 0, count: m * n * 4), [UInt8](repeating: 0, count: m * 4)]
    try kernel.run(&buffers)
    let threadsBefore = Self.threadCount()
    _ = try kernel.time(&buffers, iterations: 500, repeats: 4)
    let threadsAfter = Self.threadCount()
    // No thread per call (other tests of this process may start a few threads meanwhile).
    #expect(threadsAfter <= threadsBefore + 8)
    let (y, s) = Self.rowReference(x, m: m, n: n)
    #expect(values(buffers[1], as: Float.self) == y)
    #expect(values(buffers[2], as: Float.self) == s)
    #expect(kevc_thread_count() >= 1)
  }

  @Test func concurrentCallersGetCorrectResults() async throws {
    let (m, n) = (97, 29)
    try await withThrowingTaskGroup(of: Bool.self) { group in
      for t in 0..<4 {
        group.addTask {
          let kernel = try LLVMCompiledModule.compile(Self.rowProgram(m: m, n: n), options: LLVMCompileOptions()).jit()
          var ok = true
          for round in 0..<50 {
            let x = (0..<(m * n)).map { Float(($0 + t * 31 + round) % 17) }
            var buffers = [bytes(x), [UInt8](repeating: 0, count: m * n * 4), [UInt8](repeating: 0, count: m * 4)]
            try kernel.run(&buffers)
            let (y, s) = Self.rowReference(x, m: m, n: n)
            ok = ok && values(buffers[1], as: Float.self) == y && values(buffers[2], as: Float.self) == s
          }
          return ok
        }
      }
      for try await ok in group { #expect(ok) }
    }
  }

  @Test(arguments: [0, 1, 2, 7, 8, 9, 1000, 100_003])
  func runtimeCoversEveryIndexOnce(count: Int) {
    let marks = UnsafeMutablePointer<UInt8>.allocate(capacity: max(count, 1))
    marks.initialize(repeating: 0, count: max(count, 1))
    defer { marks.deallocate() }
    kevc_parallel_for(Int64(count), { context, begin, end in
      guard let marks = context?.assumingMemoryBound(to: UInt8.self) else { return }
      // A nested call runs serially on this thread and must not deadlock.
      kevc_parallel_for(1, { _, _, _ in }, nil)
      for i in Int(begin)..<Int(end) { marks[i] &+= 1 }
    }, marks)
    #expect((0..<count).allSatisfy { marks[$0] == 1 })
  }

  /// Threads of this process (Linux: entries of /proc/self/task).
  static func threadCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
  }
}
