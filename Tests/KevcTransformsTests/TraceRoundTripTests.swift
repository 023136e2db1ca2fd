import Foundation
import KevcBasic
import KevcIR
import KevcTransforms
import Testing

/// Traces round-trip through both of their forms: text -> Trace -> text gives the same text, and
/// Trace -> JSON -> Trace gives the same trace, for a trace that uses every transform kind, every memory scope
/// and every GPU dimension. Malformed trace text is rejected with located diagnostics.
@Suite struct TraceRoundTripTests {
  /// One line per transform kind (in `Transform`'s order), then every scope and GPU dimension once.
  static let everyKind = """
    split(y, n, 8)
    tile(y, [m, n.o], [64, 128])
    reorder(y, [n.i, m.i])
    inline(t)
    compute_at(ss, y, m.o)
    compute_root(ss)
    store_in(ss, local)
    layout(t, [1, 0])
    pad(t, [0, 4])
    stage(x, y, k.o, shared)
    cache(y, n.o, local)
    vectorize(y.acc, n, 8)
    unroll(y.acc, k, 4)
    parallel(y, m.o)
    bind(y, m.o, grid.x)
    rfactor(y, k, 16)
    dot(y)
    launch(y, 8, 3)
    store_in(a, global)
    store_in(a, workspace)
    bind(y, a, grid.y)
    bind(y, a, grid.z)
    bind(y, a, block.x)
    bind(y, a, block.y)
    bind(y, a, block.z)
    bind(y, a, warp)
    bind(y, a, thread.x)
    bind(y, a, thread.y)
    bind(y, a, thread.z)

    """

  static func parse(_ text: String) throws -> Trace {
    try TraceText.parse(SourceFile(path: "t.trace", text: text))
  }

  @Test func everyTransformKindIsCovered() throws {
    let trace = try Self.parse(Self.everyKind)
    // One step per case of `Transform`, by their text names.
    let names = Set(trace.steps.map { TraceText.print($0).prefix { $0 != "(" } })
    #expect(
      names == [
        "split", "tile", "reorder", "inline", "compute_at", "compute_root", "store_in", "layout", "pad", "stage",
        "cache", "vectorize", "unroll", "parallel", "bind", "rfactor", "dot", "launch",
      ])
    let dims = Set(trace.steps.compactMap { step -> GPUDimension? in
      if case .bind(_, _, let d) = step { return d }
      return nil
    })
    #expect(dims == Set(GPUDimension.allCases))
    let scopes = Set(trace.steps.compactMap { step -> MemoryScope? in
      switch step {
      case .storeIn(_, let s), .stage(_, _, _, let s), .cache(_, _, let s): return s
      default: return nil
      }
    })
    #expect(scopes == Set(MemoryScope.allCases))
  }

  @Test func textRoundTrips() throws {
    let trace = try Self.parse(Self.everyKind)
    #expect(trace.text == Self.everyKind)
    #expect(try Self.parse(trace.text) == trace)
    // Locations are the steps' lines.
    #expect(trace.locations.map(\.line) == Array(1...trace.steps.count))
  }

  @Test func jsonRoundTrips() throws {
    let trace = try Self.parse(Self.everyKind)
    let json = trace.json
    let decoded = try JSONDecoder().decode(Trace.self, from: Data(json.utf8))
    #expect(decoded == trace)
    #expect(decoded.text == Self.everyKind)
    // `Trace.parse` takes either form.
    #expect(try Trace.parse(SourceFile(path: "t.json", text: json)) == trace)
    #expect(try Trace.parse(SourceFile(path: "t.trace", text: Self.everyKind)) == trace)
  }

  @Test func commentsBlankLinesAndSpacingAreFree() throws {
    let text = "# a schedule\n\n  split( y ,n , 8 )   # inner comment\n\ttile(y,[m,n.o],[64,128])\n"
    let trace = try Self.parse(text)
    #expect(trace.text == "split(y, n, 8)\ntile(y, [m, n.o], [64, 128])\n")
    #expect(trace.locations.map(\.line) == [3, 4])
    #expect(trace.locations.map(\.column) == [3, 2])
  }

  @Test(arguments: [
    ("splat(y, n, 8)", "unknown transform 'splat'", "kevc.trace.unknown-transform"),
    ("split(y, n)", "'split' takes (tensor, loop, factor)", "kevc.trace.bad-arguments"),
    ("split(y, n, x)", "'split' takes (tensor, loop, factor)", "kevc.trace.bad-arguments"),
    ("store_in(t, registers)", "unknown memory scope 'registers'", "kevc.trace.bad-arguments"),
    ("bind(y, m, grid.w)", "unknown GPU dimension 'grid.w'", "kevc.trace.bad-arguments"),
    ("split(y, n, 8", "expected ')'", "kevc.trace.syntax"),
    ("split(y, n, 8) x", "unexpected text after ')'", "kevc.trace.syntax"),
  ])
  func malformedTextIsRejected(_ text: String, _ message: String, _ id: String) throws {
    do {
      _ = try TraceText.parse(SourceFile(path: "bad.trace", text: "dot(c)\n" + text + "\n"))
      Issue.record("'\(text)' parsed")
    } catch {
      let d = try #require(error.diagnostics.first)
      #expect(d.message.hasPrefix(message), "\(d)")
      #expect(d.id.description == id)
      #expect(d.location.file == "bad.trace")
      #expect(d.location.line == 2)
    }
  }

  @Test func badJSONIsRejected() {
    #expect(throws: DiagnosticError.self) {
      _ = try Trace.parse(SourceFile(path: "t.json", text: "{\"steps\": [{\"splat\": {}}]}"))
    }
  }

  /// A 40,000-byte line of nested lists (the crash of issue 13 needed 19 KB) is a located `too-deep` error, in text
  /// and in JSON, never a stack overflow.
  @Test func deeplyNestedTracesAreLocatedErrors() throws {
    let depth = 20_000
    let text = "dot(c)\nsplit(y, " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + ", 4)\n"
    do {
      _ = try Trace.parse(SourceFile(path: "deep.trace", text: text))
      Issue.record("a nested trace parsed")
    } catch {
      let d = try #require(error.diagnostics.first)
      #expect(d.id.description == "kevc.trace.too-deep", "\(d)")
      #expect(d.location.line == 2)
      #expect(d.location.column == 10 + TraceText.maxDepth)
    }
    let json = "{\"steps\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
    do {
      _ = try Trace.parse(SourceFile(path: "deep.json", text: json))
      Issue.record("a nested JSON trace parsed")
    } catch {
      let d = try #require(error.diagnostics.first)
      #expect(d.id.description == "kevc.trace.too-deep", "\(d)")
      #expect(d.location.line == 1 && d.location.column == 10 + Trace.maxJSONDepth)
    }
    // Brackets inside strings do not count; ordinary traces stay well inside the limit.
    let names = "{\"steps\": [{\"dot\": {\"tensor\": \"" + String(repeating: "[", count: 100) + "\"}}]}"
    do {
      _ = try Trace.parse(SourceFile(path: "s.json", text: names))
    } catch {
      #expect(error.diagnostics.allSatisfy { $0.id.description != "kevc.trace.too-deep" }, "\(error)")
    }
    #expect(try Trace.parse(SourceFile(path: "t.json", text: Self.parse(Self.everyKind).json)) == Self.parse(Self.everyKind))
  }
}
