import KevcBasic
import KevcIR

/// Shared lookups and checks for transforms: finding definitions and loops by their stable names, the loop-variable
/// tree that splits build, extents under the kernel's dim binding, and consumers of a tensor.
struct ScheduleEditing {
  var kernel: Kernel
  let transform: Transform

  init(_ kernel: Kernel, _ transform: Transform) {
    self.kernel = kernel
    self.transform = transform
  }

  func fail(_ message: String, _ reason: TransformError.Reason = .illegal) -> TransformError {
    TransformError(transform, message, reason: reason)
  }

  /// Index of the definition named `name`; inputs and unknown names are errors.
  func definitionIndex(_ name: String) throws(TransformError) -> Int {
    if let i = kernel.definitions.firstIndex(where: { $0.name == name }) { return i }
    if kernel.params.contains(where: { $0.name == name }) {
      throw fail("'\(name)' is an input; only definitions have schedules", .unknownDefinition)
    }
    let known = kernel.definitions.map(\.name).joined(separator: ", ")
    throw fail("no definition named '\(name)'; the kernel defines \(known)", .unknownDefinition)
  }

  func definition(_ name: String) throws(TransformError) -> Definition {
    kernel.definitions[try definitionIndex(name)]
  }

  /// Position of loop `loop` in the schedule of `d`.
  func loopIndex(_ loop: String, in d: Definition) throws(TransformError) -> Int {
    let s = d.effectiveSchedule
    if let i = s.loops.firstIndex(where: { $0.name == loop }) { return i }
    throw fail("'\(d.name)' has no loop '\(loop)'; its loops are \(s.loops.map(\.name).joined(separator: ", "))", .unknownLoop)
  }

  /// The root axis (or reduction axis) a loop variable comes from: `n.i.o` -> `n`.
  static func root(of loop: String, in s: Schedule) -> String { Kernel.rootVariable(of: loop, in: s) }

  /// Whether `loop` is (part of) a reduction axis of `d`.
  static func isReductionLoop(_ loop: String, of d: Definition) -> Bool {
    let root = Self.root(of: loop, in: d.effectiveSchedule)
    return d.reduction?.axes.contains { $0.name == root } ?? false
  }

  /// The bound value of a size; an error names the unbound dim.
  func value(_ size: SizeExpr) throws(TransformError) -> Int {
    guard let v = size.evaluate(kernel.dimBindings) else {
      throw fail("the kernel's dims must be bound (use --shape or a dims line): \(size.dimNames.sorted().joined(separator: ", "))", .unboundDims)
    }
    return v
  }

  func constantValue(_ e: Expr) -> Int? { kernel.constantValue(e) }

  func maxExtent(_ loop: String, in d: Definition) throws(TransformError) -> Int {
    do {
      return try kernel.maxExtent(loop, in: d)
    } catch {
      throw fail(error.message)
    }
  }

  /// Definitions that read `name`, in program order.
  func consumers(of name: String) -> [Definition] {
    kernel.definitions.filter { $0.name != name && $0.reads(name) }
  }

  func isResult(_ name: String) -> Bool { kernel.results.contains { $0.name == name } }

  /// A name for a new definition or loop that is not taken yet.
  func fresh(_ base: String, taken: Set<String>) -> String {
    if !taken.contains(base) { return base }
    var i = 1
    while taken.contains("\(base)\(i)") { i += 1 }
    return "\(base)\(i)"
  }

  var tensorNames: Set<String> {
    Set(kernel.params.map(\.name) + kernel.results.map(\.name) + kernel.definitions.map(\.name))
  }

  /// The shape and type of `input`, which `d` reads and a rewrite copies (deinterleave, pad_input): an input tensor,
  /// or a definition computed at the root; `d` is not a tuple reduction.
  func copiedInput(_ input: String, readBy d: Definition) throws(TransformError) -> (shape: [SizeExpr], dtype: DType) {
    guard d.reduction?.combiner == nil else { throw fail("'\(d.name)' is a tuple reduction") }
    guard d.reads(input) else { throw fail("'\(d.name)' does not read '\(input)'") }
    if let p = kernel.params.first(where: { $0.name == input }), !p.shape.isEmpty { return (p.shape, p.dtype) }
    if let producer = kernel.definitions.first(where: { $0.name == input }) {
      guard producer.effectiveSchedule.placement == .root else {
        throw fail("'\(input)' is computed inside a consumer; the copy reads a tensor computed at the root")
      }
      return (producer.shape, producer.dtype)
    }
    throw fail("'\(input)' is not a tensor", .unknownDefinition)
  }

  /// Stores a changed schedule; the natural schedule is stored as nil, so IR equality means same computation order.
  mutating func setSchedule(_ s: Schedule, of index: Int) {
    kernel.definitions[index].schedule = s == .natural(for: kernel.definitions[index]) ? nil : s
  }

  /// Loop variables of `d` whose bounds depend on `loop`'s root (data-dependent reduction bounds).
  static func dependents(of root: String, in d: Definition) -> [String] {
    (d.reduction?.axes ?? []).filter { r in
      r.lowerBound.indexNames.contains(root) || r.upperBound.indexNames.contains(root)
    }.map(\.name)
  }
}
