import KevcBasic
import KevcIR

/// `compute_at(ss, y, m)`: compute `ss` inside loop `m` of its only consumer `y`, over the region of `ss` that one
/// iteration of `m` reads; the region is stored in a buffer local to that iteration (`store_in` may change the
/// scope). This fuses a producer into its consumer's tile, and a reduction into its epilogue (norms, softmax);
/// where the regions of successive iterations overlap, the overlap is recomputed.
///
/// Legal when `ss` is not a result and every index `y` reads `ss` at is affine in `y`'s loop variables (so the
/// region has a fixed size); the region must fit local storage (1 MiB). When other definitions also read `ss` and
/// all of them are already computed at the same loop of `y` (siblings: softmax's sum, which reads the row max, once
/// it is computed in y's row loop) and read only what the region covers, `ss` is computed once there for all of
/// them. Otherwise `y` gets its own copy `ss.y` (recomputation: the producer is pure), computed at the loop, and
/// the others keep reading `ss`; a producer left with no reader is removed.
///
/// Before:
/// ```
/// %ss: f32[m < M] = sum<f32> [n in 0 .. $N] ...
/// %y: f32[m < M, n < N] = ... %ss[m] ...
/// ```
/// After `compute_at(ss, y, m)`:
/// ```
/// %ss: f32[m < M] = sum<f32> [n in 0 .. $N] ...
///   schedule loops(m, n) at(y, m) store(local)
/// ```
extension ScheduleEditing {
  static let localStorageLimit = 1 << 20

  mutating func computeAt(_ tensor: String, _ consumerName: String, _ loop: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    let producer = kernel.definitions[index]
    let consumer = try definition(consumerName)
    _ = try loopIndex(loop, in: consumer)
    if isResult(tensor) {
      throw fail("'\(tensor)' is a result of the kernel; it must be computed over its whole domain", .resultStorage)
    }
    if let f = producer.effectiveSchedule.fusion {
      throw fail("'\(tensor)' iterates the fused loop '\(f.variable)' (fuse_axes); it is computed at the root")
    }
    let readers = consumers(of: tensor)
    guard readers.contains(where: { $0.name == consumerName }) else {
      throw fail("'\(consumerName)' does not read '\(tensor)'")
    }
    if consumerName == tensor { throw fail("a definition cannot be computed inside itself") }
    let others = readers.filter { $0.name != consumerName }
    if !others.isEmpty && !sharable(producer, with: others, at: loop, of: consumer) {
      let copy = try recompute(tensor, for: consumerName)
      try computeAt(copy, consumerName, loop)
      return
    }
    if case .computeAt(let c, _) = consumer.effectiveSchedule.placement, c == tensor {
      throw fail("'\(consumerName)' is computed inside '\(tensor)'; the placement would be circular")
    }
    // Every read must be affine in the consumer's loop variables, with a region of bounded size.
    let region: [RegionDimension]
    do {
      region = try RegionAnalysis(kernel).region(of: producer, readBy: consumer, at: loop)
    } catch {
      throw fail(error.message)
    }
    let bytes = region.reduce(producer.dtype.byteSize) { $0 &* $1.extent }
    if bytes > Self.localStorageLimit {
      let shape = region.map { String($0.extent) }.joined(separator: " x ")
      throw fail(
        "the region of '\(tensor)' that one iteration of '\(consumerName).\(loop)' reads is \(shape) elements (\(bytes) bytes), more than local storage allows; compute it at an inner loop")
    }
    var s = producer.effectiveSchedule
    s.placement = .computeAt(consumer: consumerName, loop: loop)
    if s.storage.scope == .workspace { s.storage.scope = .local }
    setSchedule(s, of: index)
  }

  /// Whether every other reader of `producer` is itself computed at `loop` of `consumer` (a sibling, emitted there
  /// after the producer) and reads only what the producer's region there covers: then the producer is computed
  /// once at the loop for all of them.
  func sharable(_ producer: Definition, with others: [Definition], at loop: String, of consumer: Definition) -> Bool {
    let analysis = RegionAnalysis(kernel)
    let order = kernel.definitions.map(\.name)
    guard let producerPosition = order.firstIndex(of: producer.name) else { return false }
    return others.allSatisfy { sibling in
      guard case .computeAt(let c, let l) = sibling.effectiveSchedule.placement, c == consumer.name, l == loop,
        let position = order.firstIndex(of: sibling.name), position > producerPosition
      else { return false }
      return (try? analysis.covers(producer, readBy: sibling, at: loop, of: consumer)) ?? false
    }
  }

  /// Gives `consumer` its own copy of `tensor` (same definition and schedule, placed right before the consumer);
  /// returns the copy's name.
  mutating func recompute(_ tensor: String, for consumerName: String) throws(TransformError) -> String {
    let producer = try definition(tensor)
    // The copy would read definitions computed inside the original, which only exist there.
    let inside = kernel.definitions.filter {
      if case .computeAt(let c, _) = $0.effectiveSchedule.placement { return c == tensor }
      return false
    }.map(\.name)
    if !inside.isEmpty {
      throw fail(
        "'\(tensor)' has other readers, so '\(consumerName)' would need its own copy, but \(inside.map { "'\($0)'" }.joined(separator: ", ")) \(inside.count == 1 ? "is" : "are") computed inside '\(tensor)'; compute_root \(inside.count == 1 ? "it" : "them") first")
    }
    let name = fresh("\(tensor).\(consumerName)", taken: tensorNames)
    var copy = producer
    copy.name = name
    let consumerIndex = try definitionIndex(consumerName)
    kernel.definitions[consumerIndex] = kernel.definitions[consumerIndex].mappingExpressions { e in
      e.rewritten { node in
        guard case .load(var l) = node, l.tensor == tensor else { return nil }
        l.tensor = name
        return .load(l)
      }
    }
    kernel.definitions.insert(copy, at: consumerIndex)
    // A definition nobody reads any more is dropped.
    if consumers(of: tensor).isEmpty, !isResult(tensor), let i = kernel.definitions.firstIndex(where: { $0.name == tensor }) {
      kernel.definitions.remove(at: i)
    }
    return name
  }

  mutating func computeRoot(_ tensor: String) throws(TransformError) {
    let index = try definitionIndex(tensor)
    var s = kernel.definitions[index].effectiveSchedule
    guard s.placement != .root else { throw fail("'\(tensor)' is already computed at the root") }
    s.placement = .root
    if s.storage.scope == .local { s.storage.scope = .workspace }
    setSchedule(s, of: index)
  }
}
