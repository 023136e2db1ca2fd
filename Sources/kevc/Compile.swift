import ArgumentParser
import Foundation
import KevcBasic
import KevcDriver
import KevcSearch

struct Compile: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compile a spec or IR file, writing the requested stages.",
    discussion: """
      Stages, in pipeline order: ast (the parsed spec), ir (kernel IR), torch-ref (a float64 PyTorch reference module \
      from the unscheduled IR), scheduled (dims bound, schedule applied), triton (--target triton), lowered (loop \
      IR), llvm-unopt, llvm (after O3), asm, obj (host object file with the C entry point), header (its C \
      declaration, shape macros and checked entry point), lib (lib<name>.a: the object and the kevc runtime), \
      runtime (libkevc_runtime.a alone), shared and swift (lib<name>.so and its Swift wrapper, for the SwiftPM       plugin), meta (JSON: version, hashes, target, shape, trace, tuning record). With --target triton: triton,       cubin, hsaco, launcher and header (a C launcher over the CUDA driver API), torch (a torch.library op).
      Files are named <name>.<ext> (lib<name>.a), <name> being --name or the kernel's name; the C symbol is \
      --name, else <kernel>_<hash of the shape>, so that two shapes never collide. With no --emit: writes the \
      object file (or -o FILE), or every stage when --dump-dir is given. A single text stage (header and meta \
      included) goes to standard output unless -o names a file; binary stages go to files. Outputs are written \
      only when the whole compile succeeds. $KEVC_DUMP_DIR, when set, receives every stage and the IR after \
      every pass of each compile as well. docs/build.md describes every output.
      Example: kevc compile specs/softmax.kev --emit ir -o - | kevc compile -x ir - --emit llvm
      """)

  @OptionGroup var options: InputOptions

  @OptionGroup var tuning: TuningOptions

  @Option(help: ArgumentHelp("Stages to write, comma separated.", valueName: "stage,..."))
  var emit: StageList?

  @Option(help: "Write every emitted stage to DIR/<name>.<stage extension>.")
  var dumpDir: String?

  @Option(name: .short, help: "Output file for the (last) emitted stage; '-' is standard output.")
  var output: String?

  @Option(help: "The C symbol of the entry point and the file stem of the outputs (default: see above).")
  var name: String?

  @Option(help: "Write a Makefile-syntax dependency file: the outputs depend on the input, the schedule file and the tuning database consulted.")
  var depfile: String?

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
      let debugDir = ProcessInfo.processInfo.environment["KEVC_DUMP_DIR"].flatMap { $0.isEmpty ? nil : $0 }
      let printer = options.passPrinter ?? (debugDir != nil ? PassPrinter(all: false, after: [], before: []) : nil)
      printer?.record = debugDir != nil
      var request = try options.request(stages: Set(stages).union(debugDir != nil ? target.stages : []))
      if let name {
        request.stem = try Compiler.checkedSymbol(name)
        request.symbol = name
      }
      request.shapeSymbol = true
      let use = try tuning.apply(to: &request)
      source = request.source
      var result = try Compiler.compile(request, observer: printer?.observer)
      if let printer {
        for f in printer.unmatched {
          FileHandle.standardError.write(Data("kevc: warning: no pass named '\(f)' ran in this compile\n".utf8))
        }
      }
      if result.artifacts[.meta] == nil, request.stages.contains(.meta) {
        result.artifacts[.meta] = Data(metadata(request, result, use).json.utf8)
      }
      try write(result, request: request, stages: stages, use: use, debugDir: debugDir, transcript: printer?.transcript)
    } catch {
      throw options.fail(error, source: source)
    }
  }

  private func metadata(_ request: CompileRequest, _ result: CompileResult, _ use: TuningOptions.Use) -> BuildMetadata {
    let target: BuildMetadata.Target
    switch request.target {
    case .llvm:
      let machine = result.module?.targetDescription
      target = BuildMetadata.Target(
        kind: "llvm", triple: machine?.triple, cpu: machine?.cpu, cpuFeatures: machine?.features, gpuTargets: nil)
    case .triton, .hip, .cute:
      target = BuildMetadata.Target(
        kind: request.target.rawValue, triple: nil, cpu: nil, cpuFeatures: nil, gpuTargets: request.aotTargets)
    }
    return BuildMetadata(
      request: request, result: result, symbol: result.symbol ?? result.kernel.name, target: target, tuned: use.tuned,
      databasePath: use.databasePath)
  }

  private func write(
    _ result: CompileResult, request: CompileRequest, stages: [Stage], use: TuningOptions.Use, debugDir: String?,
    transcript: String?
  ) throws(DiagnosticError) {
    let stem = request.stem ?? result.kernel.name
    var writer = ArtifactWriter()
    var files: [String] = []
    func put(_ data: Data, at path: String) throws(DiagnosticError) {
      try writer.stage(data, at: path)
      if path != "-" { files.append(path) }
    }
    let ordered = Array(Set(stages)).sorted()
    if let dumpDir {
      for stage in ordered {
        guard let data = result.artifacts[stage] else { continue }
        try put(data, at: (dumpDir as NSString).appendingPathComponent(stage.fileName(stem: stem)))
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
          try put(Data("// ----- \(stage.rawValue) -----\n".utf8) + data, at: "-")
        }
      } else if let data = result.artifacts[last] {
        try put(data, at: output ?? (last.isBinary ? last.fileName(stem: stem) : "-"))
      }
    }
    if let debugDir {
      // KEVC_DUMP_DIR: every stage this compile reached, and the IR after every pass.
      let folder = debugDir as NSString
      for (stage, data) in result.artifacts.sorted(by: { $0.key < $1.key }) {
        try writer.stage(data, at: folder.appendingPathComponent(stage.fileName(stem: stem)))
      }
      if let transcript { try writer.stage(Data(transcript.utf8), at: folder.appendingPathComponent("\(stem).passes.txt")) }
    }
    if let depfile {
      guard !files.isEmpty else {
        writer.discard()
        throw usage("--depfile needs an output file (-o FILE or --dump-dir DIR)")
      }
      var inputs: [String] = []
      if request.source.path != "<stdin>" { inputs.append(request.source.path) }
      if let schedule = options.schedule { inputs.append(schedule) }
      if let db = use.databasePath { inputs.append(db) }
      try writer.stage(Data(Depfile.render(targets: files, dependencies: inputs).utf8), at: depfile)
    }
    try writer.commit()
  }

  private func usage(_ message: String) -> DiagnosticError {
    DiagnosticError(.error(DiagnosticID("driver", "bad-option"), message, at: SourceLocation(file: "kevc", line: 0, column: 0)))
  }
}
