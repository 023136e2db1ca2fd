import ArgumentParser
import Foundation
import KevcBasic
import KevcDriver
import KevcIR
import KevcInterpreter

/// `kevc interpret` (hidden): runs the float64 reference interpreter on a kernel and writes its inputs and results
/// as `.npy` files, for cross-checking the torch reference module and the GPU harness against the oracle.
///
/// Layout of --outputs DIR: `manifest.json` (kernel, dims, params and results with dtype and shape, seed,
/// distribution), `inputs/NAME.npy` and `results/NAME.npy` (floats as float64, integers as int64, bool as bool).
/// With --inputs DIR the inputs are read from `DIR/NAME.npy` instead of drawn from --seed/--distribution; with
/// --leeway, `leeway.json` holds each result's leeway (`Interpreter.runWithLeeway`: `any_value`, flat indices, and
/// `alternatives`, flat index -> values), for cross-checking the torch reference's `reference_with_leeway`.
struct Interpret: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the reference interpreter and write inputs and results as .npy files (for tests).",
    shouldDisplay: false)

  @OptionGroup var options: InputOptions

  @Option(help: "Seed of the random inputs.")
  var seed: UInt64 = 0x6b657663

  @Option(help: "Input distribution: normal, uniform, heavy-tailed, near-overflow, with-zeros, ties.")
  var distribution: String = "normal"

  @Option(help: "Read inputs from DIR/NAME.npy instead of drawing them.")
  var inputs: String?

  @Option(help: "Folder to write manifest.json, inputs/ and results/ into.")
  var outputs: String

  @Flag(help: "Also write leeway.json: per result, the elements the checker's leeway accepts any value for and the argmax alternatives (Interpreter.runWithLeeway).")
  var leeway = false

  func run() throws {
    var source: SourceFile?
    do throws(DiagnosticError) {
      let here = SourceLocation(file: "kevc", line: 0, column: 0)
      let request = try options.request(stages: [.ir])
      source = request.source
      let front = try Compiler.compile(request)
      let kernel = try front.kernel.binding(request.shapeOverrides, location: SourceLocation(file: "--shape", line: 1, column: 1))
      guard let dist = InputDistribution(rawValue: distribution) else {
        throw DiagnosticError(.error(DiagnosticID("driver", "bad-option"), "unknown distribution '\(distribution)'", at: here))
      }
      var values: [String: TensorValue]
      if let inputs {
        values = [:]
        for p in kernel.params {
          let path = (inputs as NSString).appendingPathComponent("\(p.name).npy")
          guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticError(.error(DiagnosticID("driver", "no-such-file"), "cannot read '\(path)'", at: here))
          }
          values[p.name] = try NpyFile.decode(data, as: p.dtype, path: path)
        }
      } else {
        values = RandomInputs.generate(for: kernel, seed: seed, distribution: dist)
      }
      var results: [String: TensorValue]
      var leeways: [String: Leeway] = [:]
      if leeway {
        (results, leeways) = try Interpreter.runWithLeeway(kernel, inputs: values)
      } else {
        results = try Interpreter.run(kernel, inputs: values)
      }
      var writer = ArtifactWriter()
      func put(_ t: TensorValue, _ folder: String, _ name: String) throws(DiagnosticError) {
        let path = ((outputs as NSString).appendingPathComponent(folder) as NSString).appendingPathComponent("\(name).npy")
        try writer.stage(NpyFile.encode(t), at: path)
      }
      for p in kernel.params { if let v = values[p.name] { try put(v, "inputs", p.name) } }
      for r in kernel.results { if let v = results[r.name] { try put(v, "results", r.name) } }
      func entry(_ name: String, _ t: TensorValue?) -> [String: Any] {
        ["name": name, "dtype": t?.dtype.rawValue ?? "", "shape": t?.shape ?? []]
      }
      let manifest: [String: Any] = [
        "kernel": kernel.name, "dims": kernel.dimBindings, "seed": String(seed), "distribution": dist.rawValue,
        "params": kernel.params.map { entry($0.name, values[$0.name]) },
        "results": kernel.results.map { entry($0.name, results[$0.name]) },
      ]
      let json = (try? JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])) ?? Data("{}".utf8)
      try writer.stage(json, at: (outputs as NSString).appendingPathComponent("manifest.json"))
      if leeway {
        var table: [String: Any] = [:]
        for r in kernel.results {
          let l = leeways[r.name] ?? Leeway()
          table[r.name] = [
            "any_value": l.anyValue.sorted(),
            "alternatives": Dictionary(uniqueKeysWithValues: l.alternatives.map { (String($0.key), $0.value.sorted()) }),
          ]
        }
        let text = (try? JSONSerialization.data(withJSONObject: table, options: [.sortedKeys])) ?? Data("{}".utf8)
        try writer.stage(text, at: (outputs as NSString).appendingPathComponent("leeway.json"))
      }
      try writer.commit()
    } catch {
      throw options.fail(error, source: source)
    }
  }
}
