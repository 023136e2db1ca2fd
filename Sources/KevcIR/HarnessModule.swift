import KevcBasic
/// The Python side of the GPU harness protocol that every GPU target's module shares (Triton, HIP through its
/// launcher, CuTe DSL): a `KEVC` metadata dict (kernel, dims, params and results with dtype, concrete shape and
/// value domain) and a `launch(**tensors)` that checks and unpacks its arguments. Each target adds its own fields
/// and launch lines; this is the one place that prints the common part.
///
/// Example (the head of every module's metadata and launch):
///   KEVC = {"kernel": "my_kernel", "dims": {"M": 61, "N": 96}, "params": [{"name": "x", "dtype": "bf16", ...}], ...
///   def launch(**tensors):
///       _t_x = _kevc_tensor(tensors, "x", torch.bfloat16, (61, 96))
public enum HarnessModule {
  /// A Python string literal.
  public static func pyString(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
      switch ch {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default:
        if ch.value < 0x20 || ch.value > 0x7e {
          let hex = String(ch.value, radix: 16)
          out += "\\U" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
        } else {
          out.unicodeScalars.append(ch)
        }
      }
    }
    return out + "\""
  }

  /// The torch dtype of an element type.
  public static func torch(_ t: DType) -> String {
    switch t {
    case .f16: return "torch.float16"
    case .bf16: return "torch.bfloat16"
    case .f32: return "torch.float32"
    case .f64: return "torch.float64"
    case .i8: return "torch.int8"
    case .i32: return "torch.int32"
    case .i64: return "torch.int64"
    case .bool: return "torch.bool"
    }
  }

  /// The lines of the metadata dict every target shares: kernel, dims, params, results (each `    "key": ...,\n`).
  public static func metadataHead(_ kernel: Kernel, shapes: [String: [Int]]) -> String {
    let dims = kernel.dimBindings
    func tensor(_ p: Param) -> String {
      var fields = ["\"name\": \(pyString(p.name))", "\"dtype\": \(pyString(p.dtype.rawValue))"]
      fields.append("\"shape\": [\((shapes[p.name] ?? []).map(String.init).joined(separator: ", "))]")
      if let dom = p.domain, let lo = dom.lowerBound.evaluate(dims), let hi = dom.upperBound.evaluate(dims) {
        fields.append("\"domain\": {\"lower\": \(lo), \"upper\": \(hi), \"sorted\": \(dom.sorted ? "True" : "False")}")
      } else {
        fields.append("\"domain\": None")
      }
      return "{" + fields.joined(separator: ", ") + "}"
    }
    var s = "    \"kernel\": \(pyString(kernel.name)),\n"
    s += "    \"dims\": {\(kernel.dims.compactMap { d in d.value.map { "\(pyString(d.name)): \($0)" } }.joined(separator: ", "))},\n"
    s += "    \"params\": [\n" + kernel.params.map { "        " + tensor($0) + ",\n" }.joined() + "    ],\n"
    s += "    \"results\": [\n" + kernel.results.map { "        " + tensor($0) + ",\n" }.joined() + "    ],\n"
    return s
  }

  /// The metadata's `"tolerance"` entry of every GPU target: results that an f32 contraction feeds are compared
  /// with the tolerance of the kernel's accuracy contract (`matmul_precision`; `ComputedPrecision`), whatever input
  /// precision the schedule chose (the harness takes the coarser of this and the reference's); empty under
  /// `highest` where no dot has an input precision (the entry would say what the reference does). Under another
  /// contract the `"matmul_precision"` entry names it: where a result misses its tolerance, the harness measures
  /// the dtype's own error with PyTorch computing under that contract (TF32 contractions for `high`), the
  /// straightforward evaluation a user of that contract compares with (docs/reliability.md).
  public static func tolerance(_ kernel: Kernel) -> String {
    guard kernel.matmulPrecision != .highest || kernel.definitions.contains(where: { $0.schedule?.dotPrecision != nil })
    else { return "" }
    let entries = kernel.results.map { r in
      let t = ComputedPrecision.of(r.name, in: kernel).map { ComputedPrecision.coarser($0, r.dtype) } ?? r.dtype
      return "\(pyString(r.name)): \(pyString(t.rawValue))"
    }
    let contract = kernel.matmulPrecision == .highest
      ? "" : "    \"matmul_precision\": \(pyString(kernel.matmulPrecision.rawValue)),\n"
    return "    \"tolerance\": {\(entries.joined(separator: ", "))},\n" + contract
  }

  /// Whether a param is passed as a Python number (a scalar that is not also a result).
  public static func isScalarArgument(_ p: Param, of kernel: Kernel) -> Bool {
    p.isScalar && !kernel.results.contains(where: { $0.name == p.name })
  }

  /// The checking helpers, the `launch` header and its first lines: every param and result unpacked (`_s_NAME`
  /// for scalars, `_t_NAME` for tensors) and `device` set.
  public static func launchHead(_ kernel: Kernel, shapes: [String: [Int]]) -> String {
    var s = """
      def _kevc_tensor(tensors, name, dtype, shape):
          if name not in tensors:
              raise KeyError(f"kevc launch: missing tensor '{name}'")
          t = tensors[name]
          if t.dtype != dtype or tuple(t.shape) != tuple(shape):
              raise ValueError(f"kevc launch: '{name}' must be {dtype} {tuple(shape)}, got {t.dtype} {tuple(t.shape)}")
          if not t.is_contiguous():
              raise ValueError(f"kevc launch: '{name}' must be contiguous")
          return t


      def _kevc_scalar(tensors, name, kind):
          if name not in tensors:
              raise KeyError(f"kevc launch: missing scalar '{name}'")
          v = tensors[name]
          if hasattr(v, "item"):
              v = v.item()
          return kind(v)


      def launch(**tensors):
          \"\"\"Runs the kernel: parameters and preallocated results by name (torch tensors; scalars as Python numbers
          or 0-d tensors). Allocates the workspace on the tensors' device and launches every kernel in order.\"\"\"
          import torch

      """
    var firstTensor: String?
    for p in kernel.params + kernel.results {
      if isScalarArgument(p, of: kernel) {
        let kind = p.dtype.isFloat ? "float" : p.dtype == .bool ? "bool" : "int"
        s += "    _s_\(p.name) = _kevc_scalar(tensors, \(pyString(p.name)), \(kind))\n"
      } else {
        let sh = (shapes[p.name] ?? []).map(String.init)
        let tuple = sh.isEmpty ? "()" : "(" + sh.joined(separator: ", ") + (sh.count == 1 ? ",)" : ")")
        s += "    _t_\(p.name) = _kevc_tensor(tensors, \(pyString(p.name)), \(torch(p.dtype)), \(tuple))\n"
        if firstTensor == nil { firstTensor = "_t_\(p.name)" }
      }
    }
    s += "    device = \(firstTensor.map { "\($0).device" } ?? "torch.device(\"cuda\")")\n"
    return s
  }
}
