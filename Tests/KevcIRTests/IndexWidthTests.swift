/// The index width analysis (`IndexWidth`): 32-bit indices exactly while every index value and offset a kernel
/// computes, masked lanes included, fits in an int32, and every tensor it touches has fewer than 2^31 elements.
import KevcBasic
import Testing

@testable import KevcIR

@Suite struct IndexWidthTests {
  static func kernel(_ text: String) throws -> Kernel { try IRParser.parse(SourceFile(path: "t.kir", text: text)) }

  static func copy(_ n: Int) throws -> Kernel {
    try kernel("""
      kernel @copy(%x: f32[N]) -> (%y: f32[N]) {
        dims N = \(n)
        %y: f32[i < N] = %x[i]
      }
      """)
  }

  @Test func boundaryAtTwoToTheThirtyOne() throws {
    let fits = IndexWidth.decisions(try Self.copy((1 << 31) - 1))
    #expect(fits.map(\.bits) == [32])
    #expect(fits.first?.largest == (1 << 31) - 2)
    let past = IndexWidth.decisions(try Self.copy(1 << 31))
    #expect(past.map(\.bits) == [64])
    #expect(past.first?.reason.contains("2147483648 elements") == true)
  }

  /// Offsets count every index's largest magnitude times its stride: a transposed read of a 2^16 x 2^15 tensor
  /// (2^31 elements) does not fit, one of 2^16 x (2^15 - 1) does.
  @Test func offsetsOfEveryAccess() throws {
    func t(_ m: Int, _ n: Int) throws -> Int {
      IndexWidth.decisions(
        try Self.kernel("""
          kernel @t(%x: f32[M, N]) -> (%y: f32[N, M]) {
            dims M = \(m), N = \(n)
            %y: f32[j < N, i < M] = %x[i, j]
          }
          """)
      ).first?.bits ?? 0
    }
    #expect(try t(1 << 16, (1 << 15) - 1) == 32)
    #expect(try t(1 << 16, 1 << 15) == 64)
  }

  /// An index value computed in the kernel (not an offset) counts too: `i * i` past 2^31 keeps 64 bits, and a sum
  /// of index values over a block is bounded by its points.
  @Test func indexValuesAndSumsOfThem() throws {
    func square(_ n: Int) throws -> Int {
      IndexWidth.decisions(
        try Self.kernel("""
          kernel @sq(%x: f32[N]) -> (%y: i64[N]) {
            dims N = \(n)
            %y: i64[i < N] = (i * i)
          }
          """)
      ).first?.bits ?? 0
    }
    #expect(try square(46341) == 32, "46340^2 = 2147395600")
    #expect(try square(46342) == 64, "46341^2 = 2147488281")
    func total(_ n: Int) throws -> Int {
      IndexWidth.decisions(
        try Self.kernel("""
          kernel @tri(%x: f32[N]) -> (%y: i64) {
            dims N = \(n)
            %y: i64[] = sum<i64> [j in 0 .. $N] j
          }
          """)
      ).first?.bits ?? 0
    }
    #expect(try total(46000) == 32)
    #expect(try total(50000) == 64)
  }

  /// argmax as the tuple reduction the spec front end lowers it to (`Combiner.argExtreme`) keeps or takes its index
  /// element whole (a select-form combiner): its state is bounded by the index, not by a sum of indices, so a row
  /// of 100000 keeps 32 bits as the `argmax` operator did, where a sum of the same index values needs 64.
  @Test func selectFormTupleIsNotASum() throws {
    func bits(_ definition: String) throws -> Int {
      IndexWidth.decisions(
        try Self.kernel("""
          kernel @am(%x: f32[B, N]) -> (%i: i64[B]) {
            dims B = 2, N = 100000
            \(definition)
          }
          """)
      ).first?.bits ?? 0
    }
    let n = ReductionAxis(name: "n", lowerBound: .constant(.int(0)), upperBound: .dim("N"))
    let tuple = Definition(
      name: "i", dtype: .i64, axes: [Axis(name: "b", extent: .dim("B"))],
      reduction: Reduction(
        op: .tuple, accumulator: .f32, axes: [n],
        combiner: Combiner.argExtreme(isMax: true, valueType: .f32, index: .index("n"))),
      body: .load(Load(tensor: "x", indices: [.index("b"), .index("n")])), location: .unknown)
    #expect(try bits(IRPrinter.print(tuple)) == 32)
    #expect(try bits("%i: i64[b < B] = sum<i64> [n in 0 .. $N] n") == 64)
  }
}
