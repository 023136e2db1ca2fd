import KevcBasic
import KevcIR

/// Applying transforms and traces. Every application re-verifies the kernel (IR and schedules), so a transform
/// either yields a valid kernel or is rejected with a reason.
extension Transform {
  public func apply(to kernel: Kernel) throws(TransformError) -> Kernel {
    var editing = ScheduleEditing(kernel, self)
    switch self {
    case .split(let t, let l, let f): try editing.split(t, l, by: f)
    case .tile(let t, let ls, let ss): try editing.tile(t, ls, ss)
    case .reorder(let t, let ls): try editing.reorder(t, ls)
    case .inline(let t): try editing.inline(t)
    case .computeAt(let t, let c, let l): try editing.computeAt(t, c, l)
    case .computeRoot(let t): try editing.computeRoot(t)
    case .storeIn(let t, let s): try editing.storeIn(t, s)
    case .layout(let t, let p): try editing.layout(t, p)
    case .pad(let t, let a): try editing.pad(t, a)
    case .stage(let t, let c, let l, let s): try editing.stage(t, c, l, s)
    case .cache(let t, let l, let s): try editing.cache(t, l, s)
    case .vectorize(let t, let l, let w): try editing.vectorize(t, l, w)
    case .unroll(let t, let l, let f): try editing.unroll(t, l, f)
    case .parallel(let t, let l): try editing.parallel(t, l)
    case .bind(let t, let l, let d): try editing.bind(t, l, d)
    case .rfactor(let t, let l, let f): try editing.rfactor(t, l, f)
    case .dot(let t): try editing.dot(t)
    case .launch(let t, let w, let s): try editing.launch(t, warps: w, stages: s)
    case .fuseAxes(let t, let ls): try editing.fuseAxes(t, ls)
    case .precision(let t, let p): try editing.precision(t, p)
    case .groupPrograms(let t, let g): try editing.groupPrograms(t, g)
    case .persistent(let t, let p): try editing.persistent(t, p)
    case .computeWith(let t, let b, let l): try editing.computeWith(t, b, at: l)
    case .fuseReductions(let t): try editing.fuseReductions(t)
    case .fuseSiblings(let t): try editing.fuseSiblings(t)
    case .welford(let t): try editing.welford(t)
    case .toScan(let t): try editing.toScan(t)
    case .phaseSplit(let t, let ls): try editing.phaseSplit(t, ls)
    case .storePhases(let t): try editing.storePhases(t)
    case .deinterleave(let t, let i, let l): try editing.deinterleave(t, i, l)
    case .padInput(let t, let i): try editing.padInput(t, i)
    }
    let problems = Verifier.verify(editing.kernel) + ScheduleVerifier.verify(editing.kernel)
    if let first = problems.first {
      throw TransformError(self, "the result does not verify: \(first.message)", reason: .doesNotVerify)
    }
    try Self.checkPlacements(editing.kernel, self)
    return editing.kernel
  }

  /// Every definition computed inside a consumer still has a region there that the lowering can compute and that
  /// fits its storage: a step that changes the consumer's loops (a split, a reorder, moving the consumer itself
  /// inside another definition) changes the regions of the producers computed in it, so each step re-checks them
  /// rather than leaving the lowering to reject the result.
  static func checkPlacements(_ kernel: Kernel, _ transform: Transform) throws(TransformError) {
    let analysis = RegionAnalysis(kernel)
    for p in kernel.definitions {
      guard case .computeAt(let consumerName, let loop) = p.effectiveSchedule.placement,
        let consumer = kernel.definitions.first(where: { $0.name == consumerName })
      else { continue }
      func fail(_ message: String) -> TransformError {
        TransformError(
          transform, "'\(p.name)' is computed at '\(consumerName).\(loop)', but \(message)", reason: .badPlacement)
      }
      let region: [RegionDimension]
      do {
        region = try analysis.region(of: p, readBy: consumer, at: loop)
      } catch {
        throw fail(error.message)
      }
      let scope = p.effectiveSchedule.storage.scope
      guard scope == .local || scope == .shared else { continue }
      let bytes = region.reduce(p.dtype.byteSize) { $0.multipliedReportingOverflow(by: $1.extent).partialValue }
      if bytes > ScheduleEditing.localStorageLimit || bytes < 0 {
        let shape = region.map { String($0.extent) }.joined(separator: " x ")
        throw fail("its region there is \(shape) elements (\(bytes) bytes), more than local storage allows")
      }
    }
  }
}

extension Trace {
  /// Applies every step in order; the error carries the failing step's index and location.
  public func apply(to kernel: Kernel) throws(TransformError) -> Kernel {
    var k = kernel
    for (i, step) in steps.enumerated() {
      do {
        k = try step.apply(to: k)
      } catch {
        var e = error
        e.step = i
        e.location = location(of: i)
        throw e
      }
    }
    return k
  }

  /// Applies every step, reporting the kernel after each one (for `--print-ir-after-all`).
  public func applyObserving(
    to kernel: Kernel, _ observe: (Int, Transform, Kernel, _ changed: Bool) -> Void
  ) throws(TransformError) -> Kernel {
    var k = kernel
    for (i, step) in steps.enumerated() {
      let before = k
      do {
        k = try step.apply(to: k)
      } catch {
        var e = error
        e.step = i
        e.location = location(of: i)
        throw e
      }
      observe(i, step, k, k != before)
    }
    return k
  }
}

extension Trace {
  /// The definitions each step created, by step index (stage: `x.y`, cache: `y.acc`, rfactor: `y.rf`), so that a
  /// tool writing later steps (the LLM agent) can name them. Steps from the first one that does not apply are left out.
  public func createdDefinitions(on kernel: Kernel) -> [(step: Int, names: [String])] {
    var k = kernel
    var out: [(step: Int, names: [String])] = []
    for (i, step) in steps.enumerated() {
      guard let next = try? step.apply(to: k) else { break }
      let before = Set(k.definitions.map(\.name))
      let created = next.definitions.map(\.name).filter { !before.contains($0) }
      if !created.isEmpty { out.append((i, created)) }
      k = next
    }
    return out
  }
}
