/// argmax/argmin (the tuple reduction `Combiner.argExtreme`, recognised by structure: `argExtremeDirection`) over a
/// block's reduction lanes with single-operand reductions instead of one two-operand `tl.reduce`: the NaN lanes'
/// smallest index, the extreme of the other lanes, then the smallest index holding it. The state and its meaning
/// are the combiner's (NaN is the extreme, the first index wins a tie, index -1 is the empty state), so the serial
/// loop still combines blocks with the generated combine function.
///
///     t_v, t_i = tl.reduce((t_v, t_i), None, _kevc_combine_idx)
///     ->
///     ok = t_i != -1
///     nan_i = tl.min(tl.where(ok & (t_v != t_v), t_i, 2147483647))
///     best = tl.max(tl.where(ok & (t_v == t_v), t_v, -float("inf")))
///     best_i = tl.min(tl.where(ok & (t_v == best), t_i, 2147483647))
///     t_i = tl.where(nan_i != 2147483647, nan_i, tl.where(best_i != 2147483647, best_i, -1))
///     t_v = tl.where(nan_i != 2147483647, float("nan"), tl.where(best_i != 2147483647, best, -float("inf")))
///
/// Why: on an H100 and an H200 (Triton 3.6) the two-operand `tl.reduce` of specs/argmax.kev at 4096 x 32000 (a
/// 2048-wide block over 8 warps, in a pipelined loop) returned indices that are not the maximum's for 4041 of 4096
/// rows, with an int64 and with an int32 index (bench/gpu/argreduce-h200-2026-12-06/); single-operand reductions
/// of the same shapes (every sum, max and min kernel) pass there. Measured on the GPU: see that folder.
import KevcBasic
import KevcIR

extension KernelBuilder {
  /// Reduces the block state (value, index) `names` over `reductionLanes` (nil axis: every lane, to a scalar; else
  /// one lane at a time, kept as a dimension of 1) in place, as the argExtreme combiner would.
  mutating func argExtremeBlock(
    _ c: Combiner, isMax: Bool, names: [String], frame: Frame, reductionLanes: [String], axisLanes: [String]
  ) {
    let (v, i) = (names[0], names[1])
    // The empty state's index (-1, or below a range that contains -1: Combiner.argExtreme).
    let empty = TritonType.literal(c.components[1].identity)
    let valueType = c.components[0].dtype
    let indexType = tupleRegister(c.components[1])
    let none = TritonType.literal(TritonType.highest(indexType == "tl.int32" ? .i32 : .i64))
    let worst = TritonType.literal(isMax ? TritonType.lowest(valueType) : TritonType.highest(valueType))
    let extreme = isMax ? "tl.max" : "tl.min"
    let axes: [Int?] = axisLanes.isEmpty ? [nil] : blockDimensionsDescending(frame, reductionLanes)
    for axis in axes {
      let over = axis.map { ", axis=\($0), keep_dims=True" } ?? ""
      let ok = fresh("ok")
      line("\(ok) = \(i) != \(empty)")
      var nanIndex: String?
      var numbers = ok
      if valueType.isFloat {
        let n = fresh("nan_i")
        line("\(n) = tl.min(tl.where(\(ok) & (\(v) != \(v)), \(i), \(none))\(over))")
        nanIndex = n
        numbers = "\(ok) & (\(v) == \(v))"
      }
      let best = fresh("best")
      line("\(best) = \(extreme)(tl.where(\(numbers), \(v), \(worst))\(over))")
      let bestIndex = fresh("best_i")
      line("\(bestIndex) = tl.min(tl.where(\(numbers) & (\(v) == \(best)), \(i), \(none))\(over))")
      var index = "tl.where(\(bestIndex) != \(none), \(bestIndex), \(empty))"
      var value = "tl.where(\(bestIndex) != \(none), \(best), \(worst))"
      if let n = nanIndex {
        index = "tl.where(\(n) != \(none), \(n), \(index))"
        value = "tl.where(\(n) != \(none), float(\"nan\"), \(value))"
      }
      line("\(i) = (\(index)).to(\(indexType))")
      line("\(v) = (\(value)).to(\(TritonType.register(valueType)))")
    }
  }
}
