// FullTiles: a local tile with a tail is versioned into full tiles (constant bounds), the last tile (its index
// fixed, accumulation at the full width) and anything else as it was.
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@Suite struct FullTilesTests {
  static let tile = """
    loops @t(%x: f32[20]) -> (%y: f32[20]) dims(N = 20) {
      for o in 0 .. 2 {
        local %acc: f32[16] {
          for i in 0 .. min(16:i64, (20:i64 - (o * 16:i64))) vectorize(16) {
            %acc[i] = %x[((o * 16:i64) + i)]
          }
          for i in 0 .. min(16:i64, (20:i64 - (o * 16:i64))) vectorize(16) {
            %y[((o * 16:i64) + i)] = %acc[i] inbounds
          }
        }
      }
    }
    """

  @Test func aTileWithATailIsVersioned() throws {
    let program = try LoopParser.parse(SourceFile(path: "t.loops", text: Self.tile))
    let text = LoopPrinter.print(FullTiles.version(program))
    // Full tiles: o < 1, constant bounds, the read proven inside.
    #expect(text.contains("if ((o < 1:i64) and ((20:i64 - (o * 16:i64)) >= 16:i64))"))
    #expect(text.contains("%acc[i] = %x[((o * 16:i64) + i)] inbounds"))
    // The last tile: o fixed at 1, the accumulation at the full width with its read padded, the copy-out bounded.
    #expect(text.contains("if (o == 1:i64)"))
    #expect(text.contains("%acc[i] = %x[((1:i64 * 16:i64) + i)]\n"))
    #expect(text.contains("for i in 0 .. min(16:i64, (20:i64 - (1:i64 * 16:i64))) vectorize(16)"))
  }
}
