import KevcBasic

/// The precision a result was computed in: the least precise float type that any value feeding it was rounded to
/// or computed in (the type of an operation, the target of a cast, a definition's dtype, a reduction's
/// accumulator), following loads through the definitions they read. Inputs and constants are exact and do not
/// count. An f32 contraction (`DotPattern.isF32Contraction`, what `precision(y, p)` applies to) counts the
/// precision the kernel's accuracy contract allows (`Kernel.matmulPrecision`: f32 under `highest`, tf32's, i.e.
/// f16's, under `high`, bf16 under `medium`), whatever input precision its schedule chose: the contract, not the
/// schedule, decides what counts as correct. `f64(sum<f32>(k) x[k])` is computed in f32, so its f64 result is compared with f32's tolerance
/// (`Comparison.compare(..., tolerance:)`); `sum<f64>(k) f64(x[k])` is computed in f64.
public enum ComputedPrecision {
  /// Float types from the most to the least precise (by the comparison's tolerance).
  static let order: [DType] = [.f64, .f32, .f16, .bf16]

  /// The less precise (larger tolerance) of two types; integer types count as exact.
  public static func coarser(_ a: DType, _ b: DType) -> DType {
    let ra = order.firstIndex(of: a) ?? -1
    let rb = order.firstIndex(of: b) ?? -1
    return ra >= rb ? a : b
  }

  /// The precision `result` (a definition) was computed in; nil when it computes no float.
  public static func of(_ result: String, in kernel: Kernel) -> DType? {
    var worst: DType? = nil
    func note(_ t: DType?) {
      guard let t, t.isFloat else { return }
      worst = worst.map { coarser($0, t) } ?? t
    }
    var seen: Set<String> = []
    var pending = [result]
    while let name = pending.popLast() {
      guard seen.insert(name).inserted, let d = kernel.definitions.first(where: { $0.name == name }) else { continue }
      note(d.dtype)
      note(d.reduction?.accumulator)
      // An f32 contraction's operands may be read in any precision the contract allows (tf32 keeps f16's 10
      // mantissa bits, bf16 its own 7); under `highest` that is f32's tolerance, already noted by the accumulator.
      if kernel.matmulPrecision != .highest, DotPattern.isF32Contraction(d, in: kernel) {
        note(kernel.matmulPrecision.contractionTolerance)
      }
      for e in d.expressions {
        e.forEach { node in
          switch node {
          case .load(let l): pending.append(l.tensor)
          case .unary, .binary, .select, .cast: note(kernel.type(of: node, in: d))
          case .constant, .index, .dim, .scalar: break
          }
        }
      }
    }
    return worst
  }

  /// Definitions that may hold doubtful elements (the checker's leeway, `Interpreter.runWithLeeway` and the torch
  /// reference's `reference_with_leeway`): those that floor, ceil, compare, take a float mod of or convert
  /// to an integer a float, take a select-form tuple reduction with a float order key (SelectFormCombiner.orderKey:
  /// an argmax/argmin of floats), or read such a definition (program order).
  public static func definitionsThatMayDoubt(_ kernel: Kernel) -> Set<String> {
    var out: Set<String> = []
    for d in kernel.definitions {
      var doubts = false
      // A select-form tuple reduction ranking by a float (argmax as a tuple): its near ties.
      if let c = d.reduction?.combiner, SelectFormCombiner.analyse(c)?.orderKey(in: c) != nil { doubts = true }
      for e in d.expressions {
        e.forEach { node in
          switch node {
          case .load(let l): if out.contains(l.tensor) { doubts = true }
          case .unary(let op, let x):
            if op == .floor || op == .ceil, kernel.type(of: x, in: d)?.isFloat ?? true { doubts = true }
          case .binary(let op, let x, _):
            switch op {
            case .eq, .ne, .lt, .le, .gt, .ge, .mod: if kernel.type(of: x, in: d)?.isFloat ?? true { doubts = true }
            case .add, .sub, .mul, .div, .max, .min, .pow, .and, .or: break
            }
          case .cast(let t, let x):
            if !t.isFloat, kernel.type(of: x, in: d)?.isFloat ?? true { doubts = true }
          case .constant, .index, .dim, .scalar, .select: break
          }
        }
      }
      if doubts { out.insert(d.name) }
    }
    return out
  }
}
