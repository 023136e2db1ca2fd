// Helpers for the LLVM backend tests: building loop programs by hand, packing values into the kernel ABI's byte
// buffers, and compiling + running a program through the JIT.
import Foundation
import KevcBasic
import KevcIR
import KevcLowering

@testable import KevcLLVM

// MARK: Expressions and statements

func ix(_ v: String) -> Expr { .index(v) }
func f32(_ x: Double) -> Expr { .constant(.float(x, .f32)) }
func f64(_ x: Double) -> Expr { .constant(.float(x, .f64)) }
func int(_ x: Int64, _ t: DType = .i64) -> Expr { .constant(.int(x, t)) }
func ld(_ t: String, _ idx: Expr..., bounds: LoadBounds = .inBounds) -> Expr {
  .load(Load(tensor: t, indices: idx, bounds: bounds))
}
func add(_ a: Expr, _ b: Expr) -> Expr { .binary(.add, a, b) }
func mul(_ a: Expr, _ b: Expr) -> Expr { .binary(.mul, a, b) }
func forEach(_ v: String, _ n: Int, _ kind: LoopKind = .serial, _ body: [Stmt]) -> Stmt {
  .loop(Loop(variable: v, lowerBound: int(0), upperBound: int(Int64(n)), kind: kind, body: body))
}
func buf(_ name: String, _ dtype: DType, _ shape: [Int], _ scope: MemoryScope = .global) -> Buffer {
  Buffer(name: name, dtype: dtype, shape: shape, scope: scope)
}

/// `out[i] = body(i)` for i in 0..<n, over one input `x` of the same shape.
func elementwise(
  _ name: String, n: Int, input: DType = .f32, output: DType = .f32, kind: LoopKind = .serial, _ body: Expr
) -> LoopProgram {
  LoopProgram(
    name: name, dims: ["N": n], params: [buf("x", input, [n])], results: [buf("y", output, [n])], temporaries: [],
    body: [forEach("i", n, kind, [.store(buffer: "y", indices: [ix("i")], value: body)])])
}

// MARK: Bytes

func bytes<T: BitwiseCopyable>(_ values: [T]) -> [UInt8] {
  values.withUnsafeBytes { Array($0) }
}

func values<T: BitwiseCopyable>(_ bytes: [UInt8], as: T.Type) -> [T] {
  let count = bytes.count / MemoryLayout<T>.stride
  return [T](unsafeUninitializedCapacity: count) { out, initialized in
    bytes.withUnsafeBytes { raw in
      for i in 0..<count { out[i] = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.stride, as: T.self) }
    }
    initialized = count
  }
}

/// Compiles, JITs and runs `program`; returns the result buffers (zero-initialised before the call).
func execute(_ program: LoopProgram, _ inputs: [[UInt8]], optimizationLevel: Int = 3) throws -> [[UInt8]] {
  let module = try LLVMCompiledModule.compile(program, options: LLVMCompileOptions(optimizationLevel: optimizationLevel))
  let kernel = try module.jit()
  var buffers = inputs
  for r in program.results {
    buffers.append([UInt8](repeating: 0xAB, count: r.shape.reduce(1, *) * r.dtype.byteSize))
  }
  try kernel.run(&buffers)
  return Array(buffers[inputs.count...])
}

/// The diagnostic a failing compile (or JIT) throws.
func diagnostic(_ body: () throws -> Void) -> Diagnostic? {
  do {
    try body()
    return nil
  } catch let error as DiagnosticError {
    return error.diagnostics.first
  } catch {
    return nil
  }
}

/// Same value, treating all NaNs as equal.
func same(_ a: Float, _ b: Float) -> Bool { a == b || (a.isNaN && b.isNaN) }
func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

func close(_ a: Float, _ b: Float, relative: Float = 1e-5, absolute: Float = 1e-6) -> Bool {
  same(a, b) || abs(a - b) <= absolute + relative * abs(b)
}

/// Reference f32 -> bf16 (round to nearest even; NaN quieted).
func bf16Bits(_ x: Float) -> UInt16 {
  let bits = x.bitPattern
  if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
  let lsb = (bits >> 16) & 1
  return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lsb) >> 16)
}

func bf16Value(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
