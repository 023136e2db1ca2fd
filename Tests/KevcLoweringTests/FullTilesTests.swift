// FullTiles: a local tile with a tail is versioned into full tiles (constant bounds), the last tile (its index
// fixed, shifted back to end at the edge, or where that is not exact accumulated at the full width) and anything
// else as it was.
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
    // The last tile: o fixed at 1, shifted back by 12 to end at the edge (columns 4 to 19, the first 12 computed
    // again): the accumulation and the copy-out at the full width, the read proven inside, the tile's own indices
    // unshifted.
    #expect(text.contains("if (o == 1:i64)"), "\(text)")
    #expect(text.contains("%acc[i] = %x[((1:i64 * 16:i64) + (i - 12:i64))] inbounds"), "\(text)")
    #expect(text.contains("%y[((1:i64 * 16:i64) + (i - 12:i64))] = %acc[i] inbounds"), "\(text)")
    #expect(!text.contains("min(16:i64, (20:i64 - (1:i64 * 16:i64)))"), "\(text)")
  }

  /// Where the shifted tile would not be exact, the last tile accumulates at the full width with its reads padded
  /// and copies out only its columns: when the tile loop runs on the thread pool (two threads would store the
  /// shared columns), and when the tile reads a buffer it stores into (`y += acc`: stored twice, added twice).
  @Test func aLastTileIsWidenedWhereAShiftIsNotExact() throws {
    let accumulating = Self.tile.replacingOccurrences(
      of: "%y[((o * 16:i64) + i)] = %acc[i] inbounds", with: "%y[((o * 16:i64) + i)] = (%y[((o * 16:i64) + i)] + %acc[i] inbounds)")
    let parallel = Self.tile.replacingOccurrences(of: "for o in 0 .. 2 {", with: "for o in 0 .. 2 parallel {")
    for source in [accumulating, parallel] {
      #expect(source != Self.tile)
      let program = try LoopParser.parse(SourceFile(path: "t.loops", text: source))
      let text = LoopPrinter.print(FullTiles.version(program))
      #expect(text.contains("if (o == 1:i64)"), "\(text)")
      #expect(text.contains("%acc[i] = %x[((1:i64 * 16:i64) + i)]\n"), "\(text)")
      #expect(text.contains("for i in 0 .. min(16:i64, (20:i64 - (1:i64 * 16:i64))) vectorize(16)"), "\(text)")
      #expect(!text.contains("- 12:i64"), "\(text)")
    }
  }

  /// A local tile filled by loops that are not its tail loops (a staged copy of an input, `stage`) holds the
  /// unshifted columns: the last tile is not shifted (kevc difftest seed 5050 program 122 read the copy at the
  /// shifted columns' lanes).
  @Test func aStagedCopyIsNotShifted() throws {
    let program = try LoopParser.parse(SourceFile(path: "s.loops", text: """
      loops @s(%x: f32[20]) -> (%y: f32[20]) dims(N = 20) {
        for o in 0 .. 2 {
          local %t: f32[16] {
            for d in (o * 16:i64) .. min(((o * 16:i64) + 16:i64), 20:i64) {
              %t[(d - (o * 16:i64))] = %x[d] inbounds
            }
            for i in 0 .. min(16:i64, (20:i64 - (o * 16:i64))) vectorize(16) {
              %y[((o * 16:i64) + i)] = %t[i] inbounds
            }
          }
        }
      }
      """))
    let text = LoopPrinter.print(FullTiles.version(program))
    #expect(text.contains("if (o == 1:i64)"), "\(text)")
    #expect(!text.contains("- 12:i64"), "\(text)")
    #expect(text.contains("%y[((1:i64 * 16:i64) + i)] = %t[i] inbounds"), "\(text)")
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

  /// The last tile runs at the full width only the loops of the tail it is versioned on (the copy-out's
  /// `min(5, 13 - 5 * o)`): the staged copy's loop `j in 0 .. min(4, 1 - 4 * jo)` (an unroll by 4 of an axis of
  /// extent 1) keeps its bound, where running it 4 times stored past the tile's extent of 1 along j (difftest
  /// s2026-p106: a stack overwrite, an O3 segfault).
  @Test func theLastTileWidensOnlyItsOwnTail() throws {
    let program = try LoopParser.parse(SourceFile(path: "s.loops", text: """
      loops @s(%x: f32[13]) -> (%y: f32[13]) dims(N = 13) {
        for o in 0 .. 3 {
          local %t: f32[1, 5] {
            for d in (o * 5:i64) .. min(((o * 5:i64) + 5:i64), 13:i64) {
              for jo in 0 .. 1 {
                for j in 0 .. min(4:i64, (1:i64 - (jo * 4:i64))) unroll {
                  %t[j, (d - (o * 5:i64))] = %x[d]
                }
              }
            }
            for i in 0 .. min(5:i64, (13:i64 - (o * 5:i64))) {
              %y[((o * 5:i64) + i)] = %t[0:i64, i] inbounds
            }
          }
        }
      }
      """))
    let text = LoopPrinter.print(FullTiles.version(program))
    #expect(text.contains("if (o == 2:i64)"), "\(text)")
    #expect(!text.contains("for j in 0 .. 4 "), "\(text)")
  }

  /// A loop of the versioned tail whose stores would leave the tile at the full width (`t[i + o / 2 * 2]`: inside for
  /// i < 3 on the last tile, not for i < 5) keeps its bound.
  @Test func theLastTileIsNotWidenedPastItsBuffer() throws {
    let program = try LoopParser.parse(SourceFile(path: "b.loops", text: """
      loops @b(%x: f32[13]) -> (%y: f32[13]) dims(N = 13) {
        for o in 0 .. 3 {
          local %t: f32[5] {
            for i in 0 .. min(5:i64, (13:i64 - (o * 5:i64))) {
              %t[(i + ((o / 2:i64) * 2:i64))] = %x[((o * 5:i64) + i)]
            }
            for i in 0 .. min(5:i64, (13:i64 - (o * 5:i64))) {
              %y[((o * 5:i64) + i)] = %t[(i + ((o / 2:i64) * 2:i64))] inbounds
            }
          }
        }
      }
      """))
    let text = LoopPrinter.print(FullTiles.version(program))
    #expect(text.contains("if (o == 2:i64)"), "\(text)")
    // Only the full tiles' two loops run 5 wide.
    #expect(text.components(separatedBy: "for i in 0 .. 5 {").count == 3, "\(text)")
  }

  /// A loop of the versioned tail that folds into one element of the tile (`acc[j] = max(acc[j], x[...])` along
  /// i) keeps its bound in the last tile: at the full width its extra lanes would fold the pad value 0 into the
  /// maximum.
  @Test func theLastTileDoesNotWidenAFoldIntoOneElement() throws {
    let program = try LoopParser.parse(SourceFile(path: "m.loops", text: """
      loops @m(%x: f32[20]) -> (%y: f32[40]) dims(N = 20) {
        for o in 0 .. 2 {
          local %acc: f32[2] {
            for j in 0 .. 2 {
              %acc[j] = -1000.0:f32
              for i in 0 .. min(16:i64, (20:i64 - (o * 16:i64))) {
                %acc[j] = max(%acc[j] inbounds, %x[((o * 16:i64) + i)])
              }
            }
            for j in 0 .. 2 {
              %y[((o * 2:i64) + j)] = %acc[j] inbounds
            }
          }
        }
      }
      """))
    let text = LoopPrinter.print(FullTiles.version(program))
    #expect(text.contains("if (o == 1:i64)"), "\(text)")
    // The full tiles' loop runs 16 wide (o < 1), the last tile's keeps its bound.
    #expect(text.components(separatedBy: "for i in 0 .. 16 {").count == 2, "\(text)")
  }
}
