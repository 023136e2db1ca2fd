import ArgumentParser
import Foundation
import KevcBasic
import KevcDriver

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compile a kernel, run it on random inputs, check it against the interpreter and time it.",
    discussion: """
      Each trial draws fresh inputs (a new seed; normal, uniform, heavy-tailed, near-overflow and zero-rich \
      distributions in turn), poisons the result buffers, runs the compiled kernel, checks that no input was \
      written, and compares every result with the float64 reference interpreter within the dtype's tolerance. \
      NaN never passes where the reference is finite. Exits with status 1 when any trial fails.
      """)

  @OptionGroup var options: InputOptions

  @OptionGroup var tuning: TuningOptions

  @Option(help: "Number of correctness trials; 0 only times the kernel (prints UNCHECKED).")
  var trials: Int = 5

  @Option(help: "Seed of the first trial.")
  var seed: UInt64 = 0x6b657663

  @Option(help: "Calls per timing repeat (0: do not time).")
  var iterations: Int = 10

  @Option(help: "Timing repeats; the median is reported.")
  var repeats: Int = 5

  @Option(name: .customLong("gpu-timeout"), help: "With --target triton, hip or cute: seconds the GPU harness gives the kernel.")
  var gpuTimeout: Double = 120

  @Option(
    help: "With --target triton: MiB of device memory the evaluation may use; the float64 reference is checked whole, in slices, or not at all (harness_error with the reason) by the plan of its footprint (docs/gpu-harness.md).")
  var deviceMemory: Int?

  @Option(help: "With --target triton: a warm-worker server's socket (python3 -m kevc_gpu serve); without one there, the harness evaluates itself.")
  var harnessServer: String?

  @Option(help: "With --target triton: calls of the reference module's eager path timed for the report (0: none).")
  var eagerCalls: Int = 10

  @Flag(
    help: "With --target triton and a --shape: also check the kernel at the spec's own (small) shape, in the same worker, as the search checks a candidate: the --shape case one trial (its distribution from the seed), timed and revalidated; the spec's shape every input distribution (docs/gpu-harness.md).")
  var withDefaultShape = false

  @Option(help: "With --target triton: at most this many seconds of timed calls and their warm-up; a slower kernel gets fewer calls (at least 3).")
  var timingSeconds: Double?

  @Option(
    name: .customLong("cost-limit-s"),
    help: "With --target triton: the roofline measures the workload's bytes and flops (about as long again as the float64 reference) only when the reference took at most this many seconds; else the static cost. Default: always measured.")
  var costLimitSeconds: Double?

  @Option(help: "With --target triton: also write the harness's JSON summary (every case, phases, timing, roofline) to this file.")
  var reportJson: String?

  func run() throws {
    if ["triton", "hip", "cute"].contains(options.target) { return try runTriton() }
    var source: SourceFile?
    var passed = true
    do throws(DiagnosticError) {
      var request = try options.request(stages: [.llvm])
      try tuning.apply(to: &request)
      source = request.source
      let result = try Compiler.compile(request, observer: options.observer)
      guard let kernel = result.boundKernel, let module = result.module else { return }
      try KernelCheck.checkMemory(kernel, workspace: module.workspaceSize)
      let jit = try module.jit()
      let report = try KernelCheck.run(
        kernel, jit: jit,
        options: KernelCheck.Options(
          trials: max(0, trials), seed: seed, timingIterations: max(0, iterations), timingRepeats: max(1, repeats)))
      print(RunReportText.render(report, kernel: kernel))
      passed = report.passed
    } catch {
      throw options.fail(error, source: source)
    }
    if !passed { throw ExitCode(1) }
  }
}
