// TapBounds: a serial reduction loop whose every store accumulates a term that is zero outside an interval of its
// variable (a tap on a convolution's padding) is clamped to that interval; anything else is left as it was.
import KevcBasic
import KevcIR
import KevcLowering
import Testing

@Suite struct TapBoundsTests {
  /// A transposed convolution's row taps over a tile of two output rows (`i.i`, unrolled) reading a padded copy
  /// `x.pad` of 16 rows with a border of 2 (zero outside rows [2, 18)), the column taps `q` over a vectorized loop.
  static let tile = """
    loops @t(%x: f32[16, 20], %w: f32[3, 3]) -> (%y: f32[18, 18]) dims(H = 16) {
      workspace %x.pad: f32[20, 24]
      for d0 in 0 .. 20 {
        for d1 in 0 .. 24 {
          %x.pad[d0, d1] = %x[(d0 - 2:i64), (d1 - 2:i64)]
        }
      }
      for i.o in 0 .. 9 {
        local %acc: f32[2, 18] {
          for p in 0 .. 3 {
            for q in 0 .. 3 {
              for i.i in 0 .. 2 unroll {
                for j in 0 .. 18 vectorize(8) {
                  %acc[i.i, j] = (%acc[i.i, j] inbounds + (%x.pad[((((2:i64 * i.o) + i.i) - p) + 2:i64), ((j - q) + 2:i64)] inbounds * %w[p, q]))
                }
              }
            }
          }
        }
      }
    }
    """

  static func clamped(_ source: String) throws -> String {
    LoopPrinter.print(TapBounds.apply(try LoopParser.parse(SourceFile(path: "t.loops", text: source))))
  }

  /// p is clamped to the taps of the tile's two rows that land on rows [2, 18) of the copy (the hull over i.i); q,
  /// whose index reads the vectorized j, keeps its constant bounds.
  @Test func rowTapsAreClampedToThePaddedCopysInterior() throws {
    let text = try Self.clamped(Self.tile)
    // Rows 2 i.o + i.i - p + 2 in [2, 18) for some i.i in [0, 2): p in [2 i.o - 15, 2 i.o + 2) within [0, 3).
    let p =
      "for p in max(0:i64, ((((((2:i64 * i.o) + 0:i64) - 0:i64) + 2:i64) - 18:i64) + 1:i64)) .. "
      + "min(3:i64, ((((((2:i64 * i.o) + (2:i64 - 1:i64)) - 0:i64) + 2:i64) - 2:i64) + 1:i64))"
    #expect(text.contains(p), "\(text)")
    #expect(text.contains("for q in 0 .. 3 {"), "\(text)")
    // Nothing else changes.
    let unclamped = text.replacingOccurrences(of: p, with: "for p in 0 .. 3")
    #expect(unclamped == LoopPrinter.print(try LoopParser.parse(SourceFile(path: "t.loops", text: Self.tile))))
  }

  /// Left as they were: a copy whose border is not zero (padded with -inf), a store that is not an accumulation, a
  /// reduction whose term reads the copy through a vectorized loop only, and a read that never leaves its buffer
  /// (an unpadded convolution: `[-i, H - i)` never excludes a tap of `[0, K)`).
  @Test func loopsWithoutZeroTermsAreLeftAsTheyWere() throws {
    let variants = [
      Self.tile.replacingOccurrences(
        of: "%x[(d0 - 2:i64), (d1 - 2:i64)]", with: "%x[(d0 - 2:i64), (d1 - 2:i64)] else -inf:f32"),
      Self.tile.replacingOccurrences(of: "= (%acc[i.i, j] inbounds + (", with: "= (1.0:f32 + ("),
      Self.tile.replacingOccurrences(of: "for i.i in 0 .. 2 unroll", with: "for i.i in 0 .. 2 vectorize(2)"),
    ]
    for source in variants {
      #expect(source != Self.tile)
      let text = try Self.clamped(source)
      #expect(text.contains("for p in 0 .. 3 {"), "\(text)")
    }
    let unpadded = try Self.clamped("""
      loops @u(%x: f32[10], %w: f32[3]) -> (%y: f32[8]) dims(H = 10) {
        for i in 0 .. 8 {
          local %acc: f32[1] {
            for p in 0 .. 3 {
              %acc[0] = (%acc[0] inbounds + (%x[(i + p)] * %w[p]))
            }
          }
        }
      }
      """)
    #expect(unpadded.contains("for p in 0 .. 3 {"), "\(unpadded)")
  }

  /// A padded load read directly, at a stride (a dilated convolution's `x[i + 2 p - 2]`): p is clamped with floor
  /// divisions to the taps inside [0, 10).
  @Test func stridedTapsOfAPaddedLoadAreClamped() throws {
    let text = try Self.clamped("""
      loops @d(%x: f32[10], %w: f32[4]) -> (%y: f32[10]) dims(H = 10) {
        for i in 0 .. 10 {
          local %acc: f32[1] {
            for p in 0 .. 4 {
              %acc[0] = (%acc[0] inbounds + (%x[((i + (2:i64 * p)) - 2:i64)] * %w[p]))
            }
          }
        }
      }
      """)
    // i + 2 p - 2 in [0, 10): p in [ceil((2 - i) / 2), floor((11 - i) / 2) + 1) within [0, 4).
    let p =
      "for p in max(0:i64, (((0:i64 - ((i + (2:i64 * 0:i64)) - 2:i64)) + 1:i64) / 2:i64)) .. "
      + "min(4:i64, (((9:i64 - ((i + (2:i64 * 0:i64)) - 2:i64)) / 2:i64) + 1:i64))"
    #expect(text.contains(p), "\(text)")
  }
}
