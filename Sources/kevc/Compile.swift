import ArgumentParser
import Foundation
import KevcBasic
import KevcDriver

struct Compile: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compile a spec or IR file, writing the requested stages.",
    discussion: """
      Stages, in pipeline order: ast (the parsed spec), ir (kernel IR), torch-ref (a float64 PyTorch reference module \
      from the unscheduled IR), scheduled (dims bound, schedule \
      applied), lowered (loop IR), llvm-unopt, llvm \
      (after O3), asm, obj (host object file with the C entry point), header (its C declaration).
      With no --emit: writes an object file (<kernel>.o, or -o FILE), or every stage when --dump-dir is given.
      A single text stage goes to standard output unless -o names a file. Outputs are written only when the whole
      compile succeeds.
      Example: kevc compile specs/softmax.kev --emit ir -o - | kevc compile -x ir - --emit llvm
      """)

  @OptionGroup var options: InputOptions

  @OptionGroup var tuning: TuningOptions

  @Option(help: ArgumentHelp("Stages to write, comma separated.", valueName: "stage,..."))
  var emit: StageList?

  @Option(help: "Write every emitted stage to DIR/<kernel>.<stage extension>.")
  var dumpDir: String?

  @Option(name: .short, help: "Output file for the (last) emitted stage; '-' is standard output.")
  var output: String?

  func run() throws {
    var source: SourceFile?
    do throws(DiagnosticError) {
      let target = CompileTarget(rawValue: options.target) ?? .llvm
      let defaultStage: Stage
      switch target {
      case .llvm: defaultStage = .obj
      case .triton: defaultStage = .triton
      case .hip: defaultStage = .hip
      case .cute: defaultStage = .cute
      }
      let stages = emit?.stages ?? (dumpDir != nil ? target.stages : [defaultStage])
      var request = try options.request(stages: Set(stages))
      try tuning.apply(to: &request)
      source = request.source
      let result = try Compiler.compile(request, observer: options.observer)
      try write(result, stages: stages)
    } catch {
      throw options.fail(error, source: source)
    }
  }

  private func write(_ result: CompileResult, stages: [Stage]) throws(DiagnosticError) {
    let name = result.kernel.name
    var writer = ArtifactWriter()
    var toStdout: [(Stage, Data)] = []
    let ordered = Array(Set(stages)).sorted()
    if let dumpDir {
      for stage in ordered {
        guard let data = result.artifacts[stage] else { continue }
        try writer.stage(data, at: (dumpDir as NSString).appendingPathComponent("\(name).\(stage.fileExtension)"))
      }
    }
    if let last = ordered.last, output != nil || dumpDir == nil {
      if ordered.count > 1 && dumpDir == nil {
        // Several stages and no dump folder: all of them to one stream.
        guard output == nil || output == "-" else {
          writer.discard()
          throw usage("several stages need --dump-dir, or -o -")
        }
        for stage in ordered {
          guard let data = result.artifacts[stage] else { continue }
          if stage.isBinary {
            writer.discard()
            throw usage("stage '\(stage.rawValue)' is binary; write it with --dump-dir or on its own with -o")
          }
          toStdout.append((stage, Data("// ----- \(stage.rawValue) -----\n".utf8) + data))
        }
      } else if let data = result.artifacts[last] {
        let path = output ?? (last.isBinary || last == .header ? "\(name).\(last.fileExtension)" : "-")
        if path == "-" { toStdout.append((last, data)) } else { try writer.stage(data, at: path) }
      }
    }
    try writer.commit()
    for (_, data) in toStdout { FileHandle.standardOutput.write(data) }
  }

  private func usage(_ message: String) -> DiagnosticError {
    DiagnosticError(.error(DiagnosticID("driver", "bad-option"), message, at: SourceLocation(file: "kevc", line: 0, column: 0)))
  }
}
