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

  /// A window tile (`x[o * 16 + i + k - 1]`, padded at both ends) is versioned on its interior: for 1 <= o <= 2 the
  /// interval analysis proves every read inside, so that version reads without a bounds check; the edge tiles keep
  /// their padded reads.
  @Test func aWindowTileIsVersionedOnItsInterior() throws {
    let program = try LoopParser.parse(SourceFile(path: "w.loops", text: """
      loops @w(%x: f32[64]) -> (%y: f32[64]) dims(N = 64) {
        for o in 0 .. 4 {
          local %acc: f32[16] {
            for i in 0 .. 16 vectorize(16) {
              %acc[i] = 0.0:f32
            }
            for k in 0 .. 3 {
              for i in 0 .. 16 vectorize(16) {
                %acc[i] = (%acc[i] inbounds + %x[((((o * 16:i64) + i) + k) - 1:i64)])
              }
            }
            for i in 0 .. 16 vectorize(16) {
              %y[((o * 16:i64) + i)] = %acc[i] inbounds
            }
          }
        }
      }
      """))
    let text = LoopPrinter.print(FullTiles.version(program))
    #expect(text.contains("if ((o >= 1:i64) and (o <= 2:i64))"), "\(text)")
    #expect(text.contains("%x[((((o * 16:i64) + i) + k) - 1:i64)] inbounds"), "\(text)")
    #expect(text.contains("(%acc[i] inbounds + %x[((((o * 16:i64) + i) + k) - 1:i64)])\n"), "\(text)")
  }
}
