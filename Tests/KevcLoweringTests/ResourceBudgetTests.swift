// The stack and workspace budget of a lowered program (`ResourceBudget`): frames of the kernel body and of its
// parallel tasks, the workspace block, and the diagnostics past each limit.
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@Suite struct ResourceBudgetTests {
  static func local(_ name: String, bytes: Int, body: [Stmt] = []) -> Stmt {
    .allocate(Buffer(name: name, dtype: .f32, shape: [bytes / 4], scope: .local), body: body)
  }

  static func program(body: [Stmt], temporaries: [Buffer] = []) -> LoopProgram {
    LoopProgram(name: "k", dims: [:], params: [], results: [], temporaries: temporaries, body: body)
  }

  static func loop(_ kind: LoopKind, _ body: [Stmt]) -> Stmt {
    .loop(Loop(variable: "i", lowerBound: .constant(.int(0)), upperBound: .constant(.int(4)), kind: kind, body: body))
  }

  static func ids(_ p: LoopProgram) -> [String] {
    do {
      try ResourceBudget.check(p, at: .unknown)
      return []
    } catch {
      return error.diagnostics.map(\.id.description)
    }
  }

  /// Issue 13: ten 1 MiB `stage` buffers in one function overflowed the stack of `kevc run`; one MiB fits.
  @Test func localsOfOneFrameAddUp() {
    let mib = 1 << 20
    let ten = (0..<10).reduce([Stmt]()) { inner, i in [Self.local("s\(i)", bytes: mib, body: inner)] }
    #expect(Self.ids(Self.program(body: [Self.loop(.serial, ten)])) == ["kevc.lower.stack-too-large"])
    #expect(Self.ids(Self.program(body: [Self.loop(.serial, [Self.local("s", bytes: mib)])])).isEmpty)
    // Siblings in one function share its frame (LLVM puts every alloca in the entry block).
    let siblings = [Self.local("a", bytes: mib), Self.local("b", bytes: mib), Self.local("c", bytes: 4)]
    #expect(Self.ids(Self.program(body: siblings)) == ["kevc.lower.stack-too-large"])
  }

  /// A parallel loop's body is a task with its own frame, but the caller runs tasks too: the kernel's frame and
  /// the largest task frame add up.
  @Test func parallelTasksAddToTheCallersFrame() {
    let half = ResourceBudget.maxStackBytes / 2
    let task = Self.loop(.parallel, [Self.local("t", bytes: half)])
    #expect(Self.ids(Self.program(body: [Self.local("k", bytes: half, body: [task])])).isEmpty)
    #expect(Self.ids(Self.program(body: [Self.local("k", bytes: half + 64, body: [task])])) == [
      "kevc.lower.stack-too-large"
    ])
    // Two parallel loops are two tasks, not one frame.
    let two = [task, Self.loop(.parallel, [Self.local("u", bytes: half)])]
    #expect(Self.ids(Self.program(body: two)).isEmpty)
  }

  /// Issue 13: a 1.1 PB workspace was attempted; past the budget it is refused with the size.
  @Test func workspacePastTheBudgetIsRefused() throws {
    let huge = Buffer(name: "t", dtype: .f32, shape: [1 << 24, 1 << 24], scope: .workspace)
    #expect(Self.ids(Self.program(body: [], temporaries: [huge])) == ["kevc.lower.workspace-too-large"])
    let fits = Buffer(name: "t", dtype: .f32, shape: [1 << 20], scope: .workspace)
    #expect(Self.ids(Self.program(body: [], temporaries: [fits])).isEmpty)
    do {
      try ResourceBudget.check(Self.program(body: [], temporaries: [huge]), at: .unknown)
    } catch {
      #expect(error.diagnostics.first?.message.contains("1125899906842624 bytes (1.0 PiB)") == true, "\(error)")
    }
  }
}
