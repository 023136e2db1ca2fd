import Foundation
import KevcBasic
import KevcIR
import KevcTorch
import KevcTransforms
import Testing

/// The one cost analysis (KevcIR's `CostAnalysis.swift`): the GPU harness's floor (`COST` of the torch reference
/// module) and the CPU search's roofline floor (`WorkloadCost`) are the same numbers for every spec, and the
/// analytic cost of the default CPU and GPU schedules never claims less traffic or arithmetic than that floor.
@Suite struct CostAnalysisTests {
  @Test func cpuAndGPUFloorsComeFromOneAnalysis() throws {
    var checked = 0
    for spec in TritonTestSupport.specs {
      let k = try TritonTestSupport.bound(spec)
      let floor = WorkloadCost(k)
      let stated = floor.integral
      let module = try TorchReferenceEmitter.emit(k)
      #expect(module.contains("COST = {\"bytes\": \(stated.bytes), \"flops\": \(stated.flops)}"), "\(spec.lastPathComponent)")
      let schedules: [(String, Trace, ScheduleCost.Machine)] = [
        ("cpu", DefaultSchedule.cpu(for: k), .cpu(cores: 2)), ("gpu", DefaultSchedule.gpu(for: k), .init()),
      ]
      for (target, trace, machine) in schedules {
        let cost = ScheduleCost.estimate(try trace.apply(to: k), machine: machine)
        #expect(cost.bytes >= floor.bytes * 0.999, "\(spec.lastPathComponent) \(target): \(cost.bytes) < \(floor.bytes) bytes")
        #expect(cost.flops >= floor.flops * 0.999, "\(spec.lastPathComponent) \(target): \(cost.flops) < \(floor.flops) flops")
        #expect(cost.seconds > 0 && cost.seconds.isFinite)
      }
      checked += 1
    }
    #expect(checked > 30)
  }

  /// A GPU schedule and a CPU schedule of one kernel are costed by the same code: a CPU machine with the GPU's
  /// numbers gives the same bytes and flops for the same scheduled kernel.
  @Test func machineChangesTimeNotCounts() throws {
    let spec = TritonTestSupport.inRepository("specs/softmax.kev")
    let k = try TritonTestSupport.bound(spec)
    let s = try DefaultSchedule.gpu(for: k).apply(to: k)
    let gpu = ScheduleCost.estimate(s)
    let cpu = ScheduleCost.estimate(s, machine: .cpu(cores: 16))
    #expect(gpu.bytes == cpu.bytes && gpu.flops == cpu.flops && gpu.kernels == cpu.kernels)
    #expect(gpu.seconds < cpu.seconds)
  }
  /// The matmul at 4096^3 under `trace` with its dot's precision replaced by `precision`.
  static func matmul(_ precision: DotPrecision?) throws -> (unscheduled: Kernel, scheduled: Kernel) {
    let k = try TritonTestSupport.bound(
      TritonTestSupport.inRepository("specs/matmul.kev"), ["M": 4096, "N": 4096, "K": 4096])
    var s = try DefaultSchedule.gpu(for: k).apply(to: k)
    guard let i = s.definitions.firstIndex(where: { $0.effectiveSchedule.isDot }) else {
      Issue.record("the default GPU schedule of matmul has no dot")
      return (k, s)
    }
    s.definitions[i].schedule?.dotPrecision = precision
    return (k, s)
  }

  /// A contraction's predicted time follows the precision it runs at: f32 `ieee` (no precision) at the FMA peak,
  /// `tf32x3` at a third of the tf32 rate, `tf32` at the tf32 rate, `bf16` at the matrix units' peak.
  @Test func dotTimeFollowsPrecision() throws {
    let machine = ScheduleCost.Machine()
    let costs = try [nil, DotPrecision.tf32x3, .tf32, .bf16].map { ScheduleCost.estimate(try Self.matmul($0).scheduled) }
    let t = costs.map(\.seconds)
    #expect(t[0] > t[1] && t[1] > t[2] && t[2] > t[3], "ieee, tf32x3, tf32, bf16: \(t)")
    // Compute-bound at 4096^3 in ieee and tf32x3: the time is the flops over the rate (plus a launch).
    #expect(costs.allSatisfy { $0.flops == costs[0].flops })
    let flops = costs[0].flops
    #expect(abs(t[0] / (flops / machine.peakFlops) - 1) < 0.02, "\(t[0]) s for \(flops) flops")
    #expect(abs(t[1] / (3 * flops / machine.tf32Flops) - 1) < 0.02, "\(t[1]) s for \(flops) flops")
  }

  /// `kevc audit`'s fraction of the floor: the floor is at the matrix units' peak whatever the precision, so an f32
  /// matmul left in `ieee` reaches the FMA peak over the matrix units' peak (a tenth), `tf32x3` a third of the tf32
  /// rate over it (a sixth); bf16 more (there the operand re-reads of the model's memory side bound it).
  @Test func auditFloorFractionFollowsPrecision() throws {
    func fraction(_ p: DotPrecision?) throws -> Double {
      let m = try Self.matmul(p)
      return ScheduleAudit(unscheduled: m.unscheduled, scheduled: m.scheduled).floorFraction
    }
    let machine = ScheduleCost.Machine()
    let ieee = try fraction(nil)
    let x3 = try fraction(.tf32x3)
    let bf16 = try fraction(.bf16)
    #expect(abs(ieee / (machine.peakFlops / machine.dotFlops) - 1) < 0.02, "\(ieee)")
    #expect(abs(x3 / (machine.tf32Flops / 3 / machine.dotFlops) - 1) < 0.02, "\(x3)")
    #expect(bf16 > 2 * x3 && bf16 <= 1, "\(bf16)")
  }
}
