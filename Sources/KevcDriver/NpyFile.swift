import Foundation
import KevcBasic
import KevcInterpreter

/// NumPy `.npy` (format 1.0) files for exchanging tensors with Python (the GPU harness and the torch reference
/// tests): values are written as float64 (`<f8`) for float types, int64 (`<i8`) for integers and `|b1` for bool,
/// so that every dtype (bf16 included) is exact; reading accepts `<f8 <f4 <f2 <i8 <i4 |i1 |b1 |u1`, C order only.
public enum NpyFile {
  public static func encode(_ t: TensorValue) -> Data {
    let descr: String
    var body: [UInt8] = []
    switch t.dtype {
    case .f16, .bf16, .f32, .f64:
      descr = "<f8"
      body.reserveCapacity(t.values.count * 8)
      for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
    case .i8, .i32, .i64:
      descr = "<i8"
      for v in t.values {
        let i = ElementEncoding.storedInteger(v, t.dtype)
        withUnsafeBytes(of: i.littleEndian) { body.append(contentsOf: $0) }
      }
    case .bool:
      descr = "|b1"
      for v in t.values { body.append(v != 0 ? 1 : 0) }
    }
    let shape = t.shape.isEmpty ? "()" : t.shape.count == 1 ? "(\(t.shape[0]),)" : "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let n = UInt16(header.utf8.count)
    out.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
    out.append(contentsOf: Array(header.utf8))
    out.append(contentsOf: body)
    return out
  }

  /// Decodes an `.npy` file as a tensor of `dtype` (values converted as a store to that type would).
  public static func decode(_ data: Data, as dtype: DType, path: String) throws(DiagnosticError) -> TensorValue {
    let bytes = [UInt8](data)
    func fail(_ m: String) -> DiagnosticError {
      DiagnosticError(.error(DiagnosticID("driver", "bad-npy"), "\(path): \(m)", at: SourceLocation(file: path, line: 0, column: 0)))
    }
    guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else { throw fail("not an .npy file") }
    let major = bytes[6]
    var offset: Int
    var length: Int
    if major == 1 {
      length = Int(bytes[8]) | Int(bytes[9]) << 8
      offset = 10
    } else {
      guard bytes.count >= 12 else { throw fail("truncated header") }
      length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      offset = 12
    }
    guard offset + length <= bytes.count else { throw fail("truncated header") }
    let header = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
    offset += length
    guard !header.contains("'fortran_order': True") else { throw fail("fortran order is not supported") }
    guard let d0 = header.range(of: "'descr': '"), let d1 = header[d0.upperBound...].firstIndex(of: "'") else {
      throw fail("no descr in header")
    }
    let descr = String(header[d0.upperBound..<d1])
    guard let s0 = header.range(of: "'shape': ("), let s1 = header[s0.upperBound...].firstIndex(of: ")") else {
      throw fail("no shape in header")
    }
    var shape: [Int] = []
    for part in header[s0.upperBound..<s1].split(separator: ",") {
      let t = part.trimmingCharacters(in: .whitespaces)
      if t.isEmpty { continue }
      guard let v = Int(t), v >= 0 else { throw fail("bad shape '\(t)'") }
      shape.append(v)
    }
    guard let count = TensorValue.elementCount(shape) else { throw fail("shape too large") }
    let size: Int
    switch descr {
    case "<f8", "<i8": size = 8
    case "<f4", "<i4": size = 4
    case "<f2": size = 2
    case "|i1", "|b1", "|u1": size = 1
    default: throw fail("unsupported dtype '\(descr)'")
    }
    guard bytes.count - offset >= count * size else { throw fail("truncated data") }
    var values: [Double] = []
    values.reserveCapacity(count)
    for i in 0..<count {
      let at = offset + i * size
      let v: Double
      switch descr {
      case "<f8": v = ElementEncoding.decode(bytes, at: at, as: .f64)
      case "<f4": v = ElementEncoding.decode(bytes, at: at, as: .f32)
      case "<f2": v = ElementEncoding.decode(bytes, at: at, as: .f16)
      case "<i8": v = ElementEncoding.decode(bytes, at: at, as: .i64)
      case "<i4": v = ElementEncoding.decode(bytes, at: at, as: .i32)
      case "|i1": v = ElementEncoding.decode(bytes, at: at, as: .i8)
      default: v = Double(bytes[at])
      }
      values.append(dtype.isFloat ? dtype.round(v) : Double(ElementEncoding.storedInteger(v, dtype)))
    }
    return TensorValue(dtype: dtype, shape: shape, values: values)
  }
}
