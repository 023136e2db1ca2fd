// Equivalent schedules hash alike (`CanonicalSchedule`), different ones do not; the search's deduplication uses it.
import KevcBasic
import KevcIR
import KevcSearch
import KevcTransforms
import Testing

@Suite struct CanonicalScheduleTests {
  static let kernel = try! IRParser.parse(SourceFile(path: "k.kir", text: """
    kernel @rows(%x: f32[M, N]) -> (%y: f32[M, N]) {
      dims M = 64, N = 40
      %s: f32[m < M] = sum<f32> [n in 0 .. $N] %x[m, n]
      %y: f32[m < M, n < N] = (%x[m, n] / %s[m])
    }
    """))

  static func hash(_ text: String, target: String = "triton") throws -> String {
    let trace = try Trace.parse(SourceFile(path: "t.trace", text: text))
    return CanonicalSchedule.hash(try trace.apply(to: kernel), target: target)
  }

  @Test func equivalentSchedulesHashAlike() throws {
    let base = try Self.hash("bind(y, m, grid.x)\nbind(y, n, block.x)")
    // The printed IRs differ: the canonical form is what makes them alike.
    for text in ["bind(y, m, grid.y)\nbind(y, n, block.x)", "split(y, n, 64)\nbind(y, m, grid.x)\nbind(y, n.i, block.x)"] {
      let raw = try Trace.parse(SourceFile(path: "t.trace", text: text)).apply(to: Self.kernel)
      let plain = try Trace.parse(SourceFile(path: "t.trace", text: "bind(y, m, grid.x)\nbind(y, n, block.x)")).apply(to: Self.kernel)
      #expect(StructuralHash.of(raw) != StructuralHash.of(plain))
    }
    // One program axis on grid.y or grid.z is the same launch as on grid.x.
    #expect(try Self.hash("bind(y, m, grid.y)\nbind(y, n, block.x)") == base)
    #expect(try Self.hash("bind(y, m, grid.z)\nbind(y, n, block.x)") == base)
    // Block names do not matter on Triton (blocks are ordered by their loops).
    #expect(try Self.hash("bind(y, m, grid.x)\nbind(y, n, block.z)") == base)
    // launch with Triton's defaults changes nothing.
    #expect(try Self.hash("bind(y, m, grid.x)\nbind(y, n, block.x)\nlaunch(y, 4, 2)") == base)
    // A split whose outer loop has one iteration, with a block of the same power of two.
    #expect(try Self.hash("split(y, n, 64)\nbind(y, m, grid.x)\nbind(y, n.i, block.x)") == base)
    // Two program axes keep their relative order: (grid.y, grid.z) is (grid.x, grid.y).
    let two = "split(y, n, 8)\nbind(y, m, grid.x)\nbind(y, n.o, grid.y)\nbind(y, n.i, block.x)"
    #expect(try Self.hash(two.replacingOccurrences(of: "grid.y", with: "grid.z").replacingOccurrences(of: "grid.x", with: "grid.y")) == Self.hash(two))
    // The program-id loops in another nest order, the same bindings: the same programs.
    #expect(try Self.hash("split(y, n, 8)\nreorder(y, [n.o, m, n.i])\nbind(y, m, grid.x)\nbind(y, n.o, grid.y)\nbind(y, n.i, block.x)") == Self.hash(two))
    // Both at once: the program axes moved and bound to (grid.z, grid.y) are the launch of (grid.y, grid.x) above.
    #expect(try Self.hash("split(y, n, 8)\nreorder(y, [n.o, m, n.i])\nbind(y, n.o, grid.z)\nbind(y, m, grid.y)\nbind(y, n.i, block.x)") == Self.hash(two))
  }

  /// The default's and the sketches' algebraic steps (`to_scan`, `fuse_reductions`, `rfactor`) keep the canonical
  /// form: after them, the program axis's dimension, block names and default launches still do not matter, and the
  /// rewrite itself does.
  @Test func equivalentSchedulesAfterRewritesHashAlike() throws {
    let kernel = try IRParser.parse(SourceFile(path: "k.kir", text: """
      kernel @k(%x: f32[M, N]) -> (%y: f32[M, N], %l: f32[M], %t: f32) {
        dims M = 64, N = 40
        %y: f32[m < M, n < N] = sum<f32> [j in 0 .. (n + 1)] %x[m, j]
        %mx: f32[m < M] = max<f32> [n in 0 .. $N] %x[m, n]
        %s: f32[m < M] = sum<f32> [n in 0 .. $N] exp((%x[m, n] - %mx[m]))
        %l: f32[m < M] = (log(%s[m]) + %mx[m])
        %t: f32[] = sum<f32> [m in 0 .. $M, n in 0 .. $N] %x[m, n]
      }
      """))
    func hash(_ text: String) throws -> String {
      CanonicalSchedule.hash(try Trace.parse(SourceFile(path: "t", text: text)).apply(to: kernel), target: "triton")
    }
    let rewrites = "to_scan(y)\nfuse_reductions(s)\nrfactor(t, m, 8)\n"
    let base = try hash(rewrites + "bind(y, m, grid.x)\nbind(y, n, block.x)\nbind(s, m, grid.x)\nbind(t.rf, m.i, grid.x)")
    #expect(
      try hash(rewrites + "bind(y, m, grid.y)\nbind(y, n, block.z)\nlaunch(y, 4, 2)\nbind(s, m, grid.z)\nbind(t.rf, m.i, grid.y)")
        == base)
    // Without the scan, or without the online sum, or with another split: different programs.
    let noScan = "fuse_reductions(s)\nrfactor(t, m, 8)\n"
    #expect(try hash(noScan + "bind(y, m, grid.x)\nbind(y, n, block.x)\nbind(s, m, grid.x)\nbind(t.rf, m.i, grid.x)") != base)
    let noOnline = "to_scan(y)\nrfactor(t, m, 8)\n"
    #expect(try hash(noOnline + "bind(y, m, grid.x)\nbind(y, n, block.x)\nbind(s, m, grid.x)\nbind(t.rf, m.i, grid.x)") != base)
    let other = "to_scan(y)\nfuse_reductions(s)\nrfactor(t, m, 16)\n"
    #expect(try hash(other + "bind(y, m, grid.x)\nbind(y, n, block.x)\nbind(s, m, grid.x)\nbind(t.rf, m.i, grid.x)") != base)
  }

  @Test func differentSchedulesHashApart() throws {
    let base = try Self.hash("bind(y, m, grid.x)\nbind(y, n, block.x)")
    #expect(try Self.hash("bind(y, m, grid.x)\nbind(y, n, block.x)\nlaunch(y, 8, 2)") != base)
    // A split by 128 of 40 elements gives a block of 128, not 64.
    #expect(try Self.hash("split(y, n, 128)\nbind(y, m, grid.x)\nbind(y, n.i, block.x)") != base)
    // Swapping which program axis varies fastest changes the launch order.
    let two = "split(y, n, 8)\nbind(y, m, grid.x)\nbind(y, n.o, grid.y)\nbind(y, n.i, block.x)"
    let swapped = "split(y, n, 8)\nbind(y, m, grid.y)\nbind(y, n.o, grid.x)\nbind(y, n.i, block.x)"
    #expect(try Self.hash(two) != Self.hash(swapped))
    // On the CPU target block names and launches are not rewritten (nothing there reads them).
    #expect(try Self.hash("parallel(y, m)", target: "llvm") != Self.hash("parallel(y, m)\nsplit(y, n, 8)", target: "llvm"))
  }
}
