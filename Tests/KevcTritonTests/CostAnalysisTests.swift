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
}
