/// The arithmetic peak of one core as kevc's code generation can reach it: a JIT-compiled loop of independent
/// vector operations, `lanes` wide (the target's widest: 512 bits with AVX-512, else 256), enough of them to hide
/// their latency on every current x86 and Arm core, on the same target machine as every kernel. It reads and writes one small
/// buffer and nothing else, so its rate is the arithmetic units' throughput, not a chain's latency. Two mixes: FMAs
/// only (12 accumulators), and FMAs beside adds (8 and 6: cores with separate add pipes, such as AMD's, run both
/// at once, past the FMA-only rate):
///
///     loop:  f0 = fma(f0, m, c); ... f11 = fma(f11, m, c)   [d0 = d0 + c; ... d5 = d5 + c]   (x `steps`)
///     exit:  buffer[0..8] = f0 + ... + f11 [+ d0 + ... + d5]
///
/// The roofline's peak (KevcSearch's `MachineProbe`) is the faster mix's rate times the cores.
import CLLVM
import KevcBasic

public enum ArithmeticProbe {
  /// The operations one iteration of the probe's loop runs: FMAs and adds, each on its own accumulator.
  public struct Mix: Sendable, Hashable {
    public var fmas: Int
    public var adds: Int
    public init(fmas: Int, adds: Int) {
      self.fmas = fmas
      self.adds = adds
    }
  }

  /// The two mixes measured (16 vector registers on x86 with AVX2: the accumulators plus `m` and `c`).
  public static let mixes = [Mix(fmas: 12, adds: 0), Mix(fmas: 8, adds: 6)]
  /// f32 lanes of one vector of the target machine: 16 with AVX-512 (the register tiles' zmm vectors), else 8.
  static let lanes: Int = ((try? HostTargetMachine(optimizationLevel: 3))?.wideVectors ?? false) ? 16 : 8
  static let steps = 2048
  static let name = "kevc_probe_fma"

  /// Float operations of one call (an FMA counts two).
  public static func flopsPerCall(_ mix: Mix) -> Double { Double(steps * lanes * (mix.fmas * 2 + mix.adds)) }

  /// Bytes of the one buffer the kernel takes: the multiplier, the addend and each accumulator's start.
  public static func bufferBytes(_ mix: Mix) -> Int { (mix.fmas + mix.adds + 2) * lanes * 4 }

  /// The probe's textual LLVM IR.
  static func ir(_ mix: Mix) -> String {
    let v = "<\(lanes) x float>"
    let stride = lanes * 4
    let accumulators = mix.fmas + mix.adds
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
      text += a < mix.fmas
        ? "  %b\(a) = call \(v) @llvm.fma.v\(lanes)f32(\(v) %a\(a), \(v) %m, \(v) %c)\n"
        : "  %b\(a) = fadd \(v) %a\(a), %c\n"
    }
    text += "  %next = add i64 %i, 1\n  %done = icmp eq i64 %next, \(steps)\n"
    text += "  br i1 %done, label %exit, label %loop\nexit:\n  %t0 = fadd \(v) %b0, zeroinitializer\n"
    for a in 1..<accumulators { text += "  %t\(a) = fadd \(v) %t\(a - 1), %b\(a)\n" }
    text += "  store \(v) %t\(accumulators - 1), ptr %buf, align 4\n  ret void\n}\n"
    return text
  }

  /// The probe compiled for this machine: call it with one buffer of `bufferBytes(mix)` (zeros are fine).
  public static func kernel(_ mix: Mix) throws(DiagnosticError) -> JITKernel {
    let machine = try HostTargetMachine(optimizationLevel: 3)
    let module = try IRModule.parse(ir(mix), context: IRContext())
    machine.configure(module)
    try module.verify()
    let jit = try OrcJIT(machine: machine)
    try jit.add(module)
    return JITKernel(jit: jit, address: try jit.address(of: name), name: name, argumentBytes: [bufferBytes(mix)],
      workspaceSize: 0)
  }
}
