import ArgumentParser
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcTransforms

/// `kevc opt`: kernel IR in, kernel IR out, like mlir-opt: apply a trace of transforms and print the result.
struct Opt: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Apply a trace of schedule transforms to kernel IR and print the resulting IR.",
    discussion: """
      The input is a .kir file (or a .kev spec, lowered first). Dims are bound from the IR's dims line and \
      --shape. Each transform is checked; an illegal one stops with a located error naming the IR objects \
      involved. With --print-ir-after-all, the IR after every step goes to standard error, and steps that \
      changed nothing are marked (unchanged).
      Example: kevc opt specs/softmax.kev --apply bench/cpu/softmax.trace
      """)

  @Argument(help: "A .kir IR file or .kev spec; '-' reads standard input (with -x).")
  var input: String

  @Option(name: .customShort("x"), help: "The input's kind: spec or ir. Default: from the file extension.")
  var language: InputKind?

  @Option(help: ArgumentHelp("The trace to apply (text, one transform per line, or JSON).", valueName: "trace"))
  var apply: String?

  @Option(help: "Bind dims, e.g. M=1024,N=4096.")
  var shape: String?

  @Option(help: "Apply the target's default schedule (llvm or triton) when no --apply is given.")
  var defaultSchedule: String?

  @Option(help: ArgumentHelp("With --default-schedule triton: the sketch (" + GPUSketch.names + ")."))
  var sketch: String?

  @Option(help: ArgumentHelp("With --default-schedule triton: size it for this GPU (cuda:90, hip:gfx942, sm_90, gfx942; comma separated: what all allow). Default: portable.", valueName: "gpu"))
  var gpu: String?

  @Flag(help: "Print the IR after every transform to standard error, marking transforms that changed nothing.")
  var printIRAfterAll = false

  @Flag(help: "Print the trace that was applied as JSON instead of the IR.")
  var emitTraceJSON = false

  @OptionGroup var contract: ContractOptions

  @Option(help: "How to print errors: text or json.")
  var diagnostics: DiagnosticRenderer.Format = .text

  @Option(name: .short, help: "Output file; default standard output.")
  var output: String?

  func run() throws {
    var source: SourceFile?
    var traceSource: SourceFile?
    do throws(DiagnosticError) {
      let here = SourceLocation(file: "kevc", line: 0, column: 0)
      let kind = language ?? InputKind(path: input)
      guard let kind else {
        throw DiagnosticError(
          .error(DiagnosticID("driver", "unknown-input-kind"), "cannot tell the kind of '\(input)'; use -x spec or -x ir", at: here))
      }
      let text = try readText(input, what: "input")
      source = SourceFile(path: input == "-" ? "<stdin>" : input, text: text)
      let overrides = try shape.map { text throws(DiagnosticError) in try ShapeArgument.parse(text) } ?? [:]
      guard let src = source else { return }
      let front = try Compiler.compile(try contract.request(src, kind: kind, stages: [.ir]))
      let bound = try front.kernel.binding(overrides, location: SourceLocation(file: "--shape", line: 1, column: 1))
      var trace = Trace([])
      if let apply {
        let t = SourceFile(path: apply, text: try readText(apply, what: "trace"))
        traceSource = t
        trace = try Trace.parse(t)
      } else if let target = defaultSchedule {
        switch target {
        case "llvm": trace = DefaultSchedule.cpu(for: bound, targetCPU: nil, features: nil)
        case "triton":
          let name = sketch ?? "default"
          guard let s = GPUSketch.all.first(where: { $0.name == name }) else {
            throw DiagnosticError(
              .error(
                DiagnosticID("driver", "unknown-sketch"),
                "unknown sketch '\(name)'; available: \(GPUSketch.names)", at: here))
          }
          try checkSketch(s, allowedFor: bound, at: here)
          let capability = try gpu.map { n throws(DiagnosticError) in try gpuCapability(n, at: here) } ?? .portable
          trace = DefaultSchedule.gpu(for: bound, capability: capability, sketch: s)
        default:
          throw DiagnosticError(
            .error(
              DiagnosticID("driver", "unknown-target"), "unknown target '\(target)'; available targets: llvm, triton",
              at: here))
        }
      }
      let result: Kernel
      do {
        result = try trace.applyObserving(to: bound) { index, step, k, changed in
          guard printIRAfterAll else { return }
          let mark = changed ? "" : " (unchanged)"
          FileHandle.standardError.write(
            Data("// ----- IR after \(index + 1): \(TraceText.print(step))\(mark) -----\n\(IRPrinter.print(k))\n".utf8))
        }
      } catch {
        throw DiagnosticError(error.diagnostic)
      }
      let out = emitTraceJSON ? trace.json + "\n" : IRPrinter.print(result)
      if let output, output != "-" {
        var writer = ArtifactWriter()
        try writer.stage(Data(out.utf8), at: output)
        try writer.commit()
      } else {
        FileHandle.standardOutput.write(Data(out.utf8))
      }
    } catch {
      let renderer = DiagnosticRenderer(format: diagnostics, sources: [source, traceSource].compactMap { $0 })
      FileHandle.standardError.write(Data(renderer.render(error.diagnostics).utf8))
      throw ExitCode(1)
    }
  }

  private func readText(_ path: String, what: String) throws(DiagnosticError) -> String {
    if path == "-" { return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DiagnosticError(
        .error(DiagnosticID("driver", "no-such-file"), "cannot read \(what) '\(path)'", at: SourceLocation(file: "kevc", line: 0, column: 0)))
    }
    return String(decoding: data, as: UTF8.self)
  }
}
