/// Float64 references computed once per (workload, input seed) for the CPU search, the way the GPU harness's
/// reference cache (python/kevc_gpu/references.py) does it: the interpreter's results and leeway for the inputs drawn
/// from (seed, distribution), computed from the spec's IR at the checked shape (not a candidate's scheduled IR: the
/// oracle is the spec), stored in `directory` and read back by every later candidate whose trials draw the same
/// inputs. The search shares trial seeds over an epoch of candidates (`--reference-epoch`), so most candidates read
/// their references instead of interpreting the kernel; the correctness protocol is unchanged (poisoned results,
/// every distribution, NaN never passes).
///
/// A file holds one reference: "KEVCREF1", then per result its name, dtype, shape and float64 values (in the host's
/// byte order: the files never leave the machine), then its leeway (any-value indices, alternatives); written to a temporary name and renamed, so a reader never sees half of
/// one. A file that does not read back is computed again. References above `maxBytes` are not stored.
import Foundation
import KevcBasic
import KevcIR
import KevcInterpreter

public struct ReferenceCache: Sendable {
  public let directory: String
  public var maxBytes = 256 << 20

  public init(directory: String) { self.directory = directory }

  public typealias Reference = (values: [String: TensorValue], leeway: [String: Leeway])

  /// The reference of `spec` (every dim bound) for `inputs`, drawn from (`seed`, `distribution`): from the file of
  /// that key, else interpreted now and stored. `source` says which ("cached" or "computed").
  public func reference(
    spec: Kernel, key: String, seed: UInt64, distribution: InputDistribution, inputs: [String: TensorValue]
  ) throws(DiagnosticError) -> (reference: Reference, source: String) {
    let path = (directory as NSString).appendingPathComponent(
      "\(key)-\(String(seed, radix: 16))-\(distribution.rawValue).ref")
    if let data = FileManager.default.contents(atPath: path), let r = Self.decode(data) { return (r, "cached") }
    let (values, leeway) = try Interpreter.runWithLeeway(spec, inputs: inputs)
    let data = Self.encode((values, leeway))
    if data.count <= maxBytes {
      try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      let tmp = path + ".\(getpid()).tmp"
      if FileManager.default.createFile(atPath: tmp, contents: data) { _ = rename(tmp, path) }
    }
    return ((values, leeway), "computed")
  }

  static let magic = Array("KEVCREF1".utf8)

  static func encode(_ r: Reference) -> Data {
    var out = Data(magic)
    func int(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { out.append(contentsOf: $0) } }
    func double(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    func string(_ s: String) {
      int(s.utf8.count)
      out.append(contentsOf: Array(s.utf8))
    }
    int(r.values.count)
    for (name, t) in r.values.sorted(by: { $0.key < $1.key }) {
      string(name)
      string(t.dtype.rawValue)
      int(t.shape.count)
      t.shape.forEach(int)
      int(t.values.count)
      t.values.withUnsafeBytes { out.append(contentsOf: $0) }  // the host's float64s, in one copy
      let l = r.leeway[name] ?? Leeway()
      int(l.anyValue.count)
      l.anyValue.sorted().forEach(int)
      int(l.alternatives.count)
      for (i, vs) in l.alternatives.sorted(by: { $0.key < $1.key }) {
        int(i)
        int(vs.count)
        vs.forEach(double)
      }
    }
    return out
  }

  /// The reference a file holds; nil when it is damaged or truncated (every count is checked against what is left).
  static func decode(_ data: Data) -> Reference? {
    let bytes = [UInt8](data)
    guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { return nil }
    var at = magic.count
    func int() -> Int? {
      guard at + 8 <= bytes.count else { return nil }
      var v: UInt64 = 0
      for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
      at += 8
      let i = Int64(bitPattern: v)
      return i >= 0 ? Int(i) : nil
    }
    func count(_ each: Int) -> Int? {
      guard let n = int(), n <= (bytes.count - at) / max(1, each) else { return nil }
      return n
    }
    func double() -> Double? {
      guard at + 8 <= bytes.count else { return nil }
      var v: UInt64 = 0
      for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
      at += 8
      return Double(bitPattern: v)
    }
    func string() -> String? {
      guard let n = count(1) else { return nil }
      defer { at += n }
      return String(decoding: bytes[at..<at + n], as: UTF8.self)
    }
    var values: [String: TensorValue] = [:]
    var leeway: [String: Leeway] = [:]
    guard let results = count(1) else { return nil }
    for _ in 0..<results {
      guard let name = string(), let dtype = string().flatMap(DType.init(rawValue:)), let rank = count(8) else {
        return nil
      }
      var shape: [Int] = []
      for _ in 0..<rank {
        guard let d = int() else { return nil }
        shape.append(d)
      }
      guard let n = count(8) else { return nil }
      // In one copy (a value at a time took most of a check's time in a debug build).
      let start = at
      let v = [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
        bytes.withUnsafeBytes { raw in
          UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<start + 8 * n]))
        }
        initialized = n
      }
      at += 8 * n
      var l = Leeway()
      guard let anyCount = count(8) else { return nil }
      for _ in 0..<anyCount {
        guard let i = int() else { return nil }
        l.anyValue.insert(i)
      }
      guard let alternatives = count(16) else { return nil }
      for _ in 0..<alternatives {
        guard let i = int(), let m = count(8) else { return nil }
        var vs: [Double] = []
        for _ in 0..<m {
          guard let x = double() else { return nil }
          vs.append(x)
        }
        l.alternatives[i] = vs
      }
      values[name] = TensorValue(dtype: dtype, shape: shape, values: v)
      if !l.isEmpty { leeway[name] = l }
    }
    return at == bytes.count ? (values, leeway) : nil
  }
}
