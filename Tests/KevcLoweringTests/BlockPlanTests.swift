/// The block level of the thread plan (`BlockPlan.swift`): which loops a block's threads share, and when the plan
/// is refused because the redundant code would race.
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@Suite struct BlockPlanTests {
  static let x = Buffer(name: "x", dtype: .f32, shape: [5, 300], scope: .global)
  static let out = Buffer(name: "out", dtype: .f32, shape: [5], scope: .global)
  static let y = Buffer(name: "y", dtype: .f32, shape: [5, 300], scope: .global)

  static func load(_ b: String, _ i: [Expr]) -> Expr { .load(Load(tensor: b, indices: i, bounds: .inBounds)) }

  /// `for m bind(grid.x) { local acc { acc = init; for k bind(block.x) { acc = acc op x[m, k] }; out[m] = acc };
  /// for n bind(block.x) { y[m, n] = x[m, n] } }`
  static func program(op: BinaryOp = .add, accumulator: MemoryScope = .local, privateAccumulator: Bool = true) -> LoopProgram {
    let m = Expr.index("m")
    let acc = privateAccumulator ? "acc" : "out"
    let accIndex: [Expr] = privateAccumulator ? [] : [m]
    let reduce = Stmt.loop(
      Loop(
        variable: "k", lowerBound: .constant(.int(0)), upperBound: .constant(.int(300)), kind: .gpu(.blockX),
        body: [.store(buffer: acc, indices: accIndex, value: .binary(op, load(acc, accIndex), load("x", [m, .index("k")])))]))
    let copy = Stmt.loop(
      Loop(
        variable: "n", lowerBound: .constant(.int(0)), upperBound: .constant(.int(300)), kind: .gpu(.blockX),
        body: [.store(buffer: "y", indices: [m, .index("n")], value: load("x", [m, .index("n")]))]))
    let reduction: [Stmt] =
      privateAccumulator
      ? [
        .allocate(
          Buffer(name: "acc", dtype: .f32, shape: [], scope: accumulator),
          body: [
            .store(buffer: "acc", indices: [], value: .constant(.float(0, .f32))), reduce,
            .store(buffer: "out", indices: [m], value: load("acc", [])),
          ])
      ]
      : [.store(buffer: "out", indices: [m], value: .constant(.float(0, .f32))), reduce]
    let outer = Loop(
      variable: "m", lowerBound: .constant(.int(0)), upperBound: .constant(.int(5)), kind: .gpu(.gridX),
      body: reduction + [copy])
    return LoopProgram(name: "k", dims: [:], params: [x], results: [out, y], temporaries: [], body: [.loop(outer)])
  }

  @Test func reductionAndStridedLoopShareTheBlock() throws {
    let plan = ThreadPlan(Self.program(), contractions: [:])
    let phase = try #require(plan.phases.first)
    let block = try #require(phase.block)
    #expect(phase.threads == 5 && block.threads == 256)
    #expect(phase.launch.blocks == 5 && phase.launch.threadsPerBlock == 256)
    #expect(block.loops["k"] == .reduction(accumulator: "acc", indices: [], op: .add, dtype: .f32))
    #expect(block.loops["n"] == .strided)
    let text = plan.text(Self.program())
    #expect(text.contains("phase 0: 5 block(s) of 256 threads"))
    #expect(text.contains("cooperative k: block reduction into %acc[] (add, f32)"))
  }

  /// Every thread of a block would update `out[m]` in the redundant code: no block plan (one thread per row).
  @Test func sharedAccumulatorIsRefused() throws {
    let plan = ThreadPlan(Self.program(privateAccumulator: false), contractions: [:])
    let phase = try #require(plan.phases.first)
    #expect(phase.block == nil)
    #expect(phase.threadLoops.map(\.loop.variable) == ["m"])
    #expect(phase.launch.threadsPerBlock == 256 && phase.launch.blocks == 1)
  }

  /// A non-associative update (sub) is not a block reduction; the loop is not injective either, so it stays serial
  /// in every thread, where its store to a private accumulator is allowed.
  @Test func subtractionIsNotABlockReduction() throws {
    let phase = try #require(ThreadPlan(Self.program(op: .sub), contractions: [:]).phases.first)
    let block = try #require(phase.block)
    #expect(block.loops["k"] == nil && block.loops["n"] == .strided)
  }

  /// Identities: the partial of a thread with no iterations.
  @Test func identities() {
    #expect(ThreadPlan.identity(.add, .f32) == .zero(.f32))
    #expect(ThreadPlan.identity(.mul, .i32) == .int(1, .i32))
    #expect(ThreadPlan.identity(.max, .f32) == .float(-.infinity, .f32))
    #expect(ThreadPlan.identity(.min, .i8) == .int(127, .i8))
    #expect(ThreadPlan.identity(.max, .i64) == .int(Int64.min, .i64))
  }
}

/// The thread chain's overlap check on split tails: each index is checked on its own where the row-major offset's
/// box reaches past a row (`n.o * 32 + n.i` with `n.i < min(32, 61 - 32 * n.o)` reaches 63 in a row of 61).
@Suite struct ThreadChainTests {
  static func plan(_ store: String) throws -> ThreadPlan {
    let text = """
      loops @t(%x: f32[67, 61]) -> (%y: f32[67, 61]) dims() {
        for m.o in 0 .. 3 bind(grid.y) {
          for n.o in 0 .. 2 bind(grid.x) {
            for m.i in 0 .. min(32:i64, (67:i64 - (m.o * 32:i64))) bind(block.y) {
              for n.i in 0 .. min(32:i64, (61:i64 - (n.o * 32:i64))) bind(block.x) {
                \(store)
              }
            }
          }
        }
      }
      """
    return ThreadPlan(try LoopParser.parse(SourceFile(path: "t.loops", text: text)), contractions: [:])
  }

  @Test func splitTailsBecomeThreads() throws {
    let p = try Self.plan("%y[((m.o * 32:i64) + m.i), ((n.o * 32:i64) + n.i)] = %x[((m.o * 32:i64) + m.i), ((n.o * 32:i64) + n.i)]")
    #expect(p.phases.first?.threadLoops.map(\.loop.variable) == ["m.o", "n.o", "m.i", "n.i"])
  }

  /// Two threads store one element (`n.i + n.o` is not injective): the chain stops before the loops that collide.
  @Test func collidingIndicesAreStillRefused() throws {
    let p = try Self.plan("%y[((m.o * 32:i64) + m.i), (n.o + n.i)] = %x[((m.o * 32:i64) + m.i), (n.o + n.i)]")
    let chain = p.phases.first?.threadLoops.map(\.loop.variable) ?? []
    #expect(!(chain.contains("n.o") && chain.contains("n.i")), "\(chain)")
  }
}
