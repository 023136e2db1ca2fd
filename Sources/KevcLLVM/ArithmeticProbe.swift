/// The arithmetic peak of one core as kevc's code generation can reach it: a JIT-compiled loop of independent
/// vector FMAs (`accumulators` of them, each `lanes` wide, enough to hide the FMA latency on every current x86 and
/// Arm core), the same target machine as every kernel (so AVX-512 off, as `HostTargetMachine` says). It reads and
/// writes one small buffer and nothing else, so its rate is the FMA units' throughput, not a chain's latency:
///
///     loop:  a0 = fma(a0, m, c); a1 = fma(a1, m, c); ... a11 = fma(a11, m, c)   (x `steps`)
///     exit:  buffer[0..8] = a0 + a1 + ... + a11
///
/// The roofline's peak (KevcSearch's `MachineProbe`) is this rate times the cores.
import CLLVM
import KevcBasic

public enum ArithmeticProbe {
  static let lanes = 8
  static let accumulators = 12
  static let steps = 2048
  static let name = "kevc_probe_fma"

  /// Float operations of one call (an FMA counts two).
  public static var flopsPerCall: Double { Double(steps * accumulators * lanes * 2) }

  /// Bytes of the one buffer the kernel takes: the multiplier, the addend and each accumulator's start.
  public static var bufferBytes: Int { (accumulators + 2) * lanes * 4 }

  /// The probe's textual LLVM IR.
  static var ir: String {
    let v = "<\(lanes) x float>"
    let stride = lanes * 4
    var text = "declare \(v) @llvm.fma.v\(lanes)f32(\(v), \(v), \(v))\n\n"
    text += "define void @\(name)(ptr %args) {\nentry:\n  %buf = load ptr, ptr %args\n"
    // Distinct starting values, each loaded from the buffer, so that no two accumulators can be merged.
    for (k, slot) in (["m", "c"] + (0..<accumulators).map { "s\($0)" }).enumerated() {
      text += "  %\(slot).p = getelementptr inbounds i8, ptr %buf, i64 \(k * stride)\n"
      text += "  %\(slot) = load \(v), ptr %\(slot).p, align 4\n"
    }
    text += "  br label %loop\nloop:\n  %i = phi i64 [ 0, %entry ], [ %next, %loop ]\n"
    for a in 0..<accumulators { text += "  %a\(a) = phi \(v) [ %s\(a), %entry ], [ %b\(a), %loop ]\n" }
    for a in 0..<accumulators {
      text += "  %b\(a) = call \(v) @llvm.fma.v\(lanes)f32(\(v) %a\(a), \(v) %m, \(v) %c)\n"
    }
    text += "  %next = add i64 %i, 1\n  %done = icmp eq i64 %next, \(steps)\n"
    text += "  br i1 %done, label %exit, label %loop\nexit:\n  %t0 = fadd \(v) %b0, zeroinitializer\n"
    for a in 1..<accumulators { text += "  %t\(a) = fadd \(v) %t\(a - 1), %b\(a)\n" }
    text += "  store \(v) %t\(accumulators - 1), ptr %buf, align 4\n  ret void\n}\n"
    return text
  }

  /// The probe compiled for this machine: call it with one buffer of `bufferBytes` (zeros are fine).
  public static func kernel() throws(DiagnosticError) -> JITKernel {
    let machine = try HostTargetMachine(optimizationLevel: 3)
    let module = try IRModule.parse(ir, context: IRContext())
    machine.configure(module)
    try module.verify()
    let jit = try OrcJIT(machine: machine)
    try jit.add(module)
    return JITKernel(jit: jit, address: try jit.address(of: name), name: name, argumentBytes: [bufferBytes],
      workspaceSize: 0)
  }
}
