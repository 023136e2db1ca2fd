import ArgumentParser
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms

/// `kevc audit`: the default GPU schedule of each spec at its bench shape (its `bench` line; else its `dims`),
/// measured against the targets' limits (`ScheduleAudit`): programs per kernel against the multiprocessors,
/// elements per program, the largest Triton tensor, shared memory, registers, the predicted fraction of the
/// floor, and the defect classes it flags. Exits 1 when any schedule is flagged.
struct Audit: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Audit the default GPU schedule of specs against the targets' limits.",
    discussion: """
      Example: kevc audit specs/*.kev specs/kernelbench/*.kev. Each spec is bound to its bench shape (or --shape, \
      or its dims with --default-shape), scheduled by the default GPU schedule (or --sketch), and one line per \
      kernel is printed: programs / multiprocessors, elements per program, largest tensor / Triton's limit, shared \
      memory / limit, registers per thread (estimated), then the flags (idle, tensor, shared, registers, \
      pointwise-conv, quadratic, recompute) or ok. The exit status is 1 when a schedule is flagged.
      """)

  @Argument(help: "The .kev specs to audit.")
  var inputs: [String]

  @Option(help: "Bind dims, e.g. M=1024,N=4096 (instead of the bench line).")
  var shape: String?

  @Flag(help: "Audit at the spec's dims line instead of its bench line.")
  var defaultShape = false

  @Option(help: "The sketch to audit (default: the default schedule).")
  var sketch: String = "default"

  @Option(help: "Audit this trace (text or JSON) instead of a default schedule (one spec).")
  var schedule: String?

  @OptionGroup var contract: ContractOptions

  @Option(help: "Targets whose common limits apply: cuda:90, hip:gfx942 or both (comma-separated).")
  var targets: String = "cuda:90,hip:gfx942"

  func run() throws {
    var flagged = 0
    let here = SourceLocation(file: "kevc", line: 0, column: 0)
    var sources: [SourceFile] = []
    do throws(DiagnosticError) {
      var members: [GPUCapability] = []
      for t in targets.split(separator: ",").map(String.init) {
        guard let c = [GPUCapability.cudaSM90, .hipGfx942].first(where: { $0.name == t }) else {
          throw DiagnosticError(
            .error(DiagnosticID("driver", "unknown-target"), "unknown GPU target '\(t)'; available: cuda:90, hip:gfx942", at: here))
        }
        members.append(c)
      }
      let capability = GPUCapability.common(members)
      guard let s = GPUSketch.all.first(where: { $0.name == sketch }) else {
        throw DiagnosticError(
          .error(
            DiagnosticID("driver", "unknown-sketch"),
            "unknown sketch '\(sketch)'; available: \(GPUSketch.names)", at: here))
      }
      let overrides = try shape.map { text throws(DiagnosticError) in try ShapeArgument.parse(text) }
      let given = try schedule.map { path throws(DiagnosticError) in try readTraceFile(path, what: "schedule", at: here) }
      for input in inputs {
        guard let data = FileManager.default.contents(atPath: input) else {
          throw DiagnosticError(.error(DiagnosticID("driver", "no-such-file"), "cannot read input '\(input)'", at: here))
        }
        let src = SourceFile(path: input, text: String(decoding: data, as: UTF8.self))
        sources.append(src)
        let kernel = try Compiler.compile(try contract.request(src, kind: .spec, stages: [.ir])).kernel
        var dims: [String: Int] = [:]
        if let overrides {
          dims = overrides
        } else if !defaultShape {
          for d in kernel.dims { if let b = d.benchValue { dims[d.name] = b } }
        }
        let bound = try kernel.binding(dims, location: SourceLocation(file: "--shape", line: 1, column: 1))
        if given == nil { try checkSketch(s, allowedFor: bound, at: here) }
        let trace = given ?? DefaultSchedule.gpu(for: bound, capability: capability, sketch: s)
        let scheduled: Kernel
        do { scheduled = try trace.apply(to: bound) } catch { throw DiagnosticError(error.diagnostic) }
        let audit = ScheduleAudit(unscheduled: bound, scheduled: scheduled, capability: capability)
        if !audit.allFlags.isEmpty { flagged += 1 }
        let shapeText = dims.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        print("\(input) [\(shapeText.isEmpty ? "dims" : shapeText)]")
        print(audit.text(capability: capability), terminator: "")
      }
    } catch {
      let renderer = DiagnosticRenderer(format: .text, sources: sources)
      FileHandle.standardError.write(Data(renderer.render(error.diagnostics).utf8))
      throw ExitCode(1)
    }
    print("\(flagged) of \(inputs.count) schedules flagged")
    if flagged > 0 { throw ExitCode(1) }
  }
}
