/// Vectorizable single-precision exp, log, tanh and erf, emitted into a kernel's module as internal, always-inlined
/// functions built only from arithmetic, comparisons, selects and bit operations (no library calls), so that the
/// loop vectorizer can vectorize loops that use them (there is no vector math library on the target).
///
/// Accuracy (measured against glibc over a wide range, Tests/KevcLLVMTests/VectorMathTests.swift): within a few
/// ulp of the correctly rounded result; overflow to +inf, underflow to 0, NaN in -> NaN out, infinities and -0
/// handled as in C.
/// - `exp`: Cephes range reduction `x = n ln2 + r` (two-part ln2), degree-6 polynomial, scaling by 2^n in two
///   steps so that results near the overflow and subnormal ranges are exact up to the final rounding.
/// - `log`: Cephes: mantissa in [sqrt(1/2), sqrt(2)), degree-8 polynomial, exponent added in two parts;
///   subnormal inputs are scaled by 2^23 first; log(0) = -inf, log(x < 0) = NaN, log(inf) = inf.
/// - `tanh`: odd; |x| < 0.625: Cephes polynomial; else 1 - 2 / (exp(2|x|) + 1); the sign is copied from x.
/// - `erf`: odd; |x| < 1: x P(x^2) (degree 6); 1 <= |x| < 3.92: 1 - exp(Q(|x|)) with Q a degree-10 fit of
///   log(erfc); beyond, +-1.
/// - `pow(x, y)`: exp(y log|x|) with the signs and special cases of C's powf (Annex F): pow(x, 0) = pow(1, y) = 1
///   (NaN included), pow(-1, +-inf) = 1, a negative base with an odd integer exponent is negated, a finite negative
///   base with a finite non-integer exponent is NaN, zeros and infinities by the limits of |x|^y (signed for odd
///   integers). Relative error grows with |y log x| (about 1e-6 at results near 1e38), not a few ulp as libm's:
///   within f32's tolerance, and 8 lanes a time instead of a scalar libm call per element.
import CLLVM

final class VectorMath {
  private let module: IRModule
  private var context: IRContext { module.context }
  private var functions: [String: LLVMValueRef] = [:]

  init(module: IRModule) {
    self.module = module
  }

  enum Function: String {
    case exp, log, tanh, erf
    /// Two arguments (x, y); call it with `call(_:_:_:at:)`.
    case pow

    var arity: Int {
      switch self {
      case .exp, .log, .tanh, .erf: return 1
      case .pow: return 2
      }
    }
  }

  /// Calls the f32 implementation of a one-argument `function` on `x` (a float) at `builder`'s position.
  func call(_ function: Function, _ x: LLVMValueRef, at builder: IRBuilder) -> LLVMValueRef {
    call(function, [x], at: builder)
  }

  /// Calls the f32 implementation of a two-argument `function` (pow) on `x` and `y`.
  func call(_ function: Function, _ x: LLVMValueRef, _ y: LLVMValueRef, at builder: IRBuilder) -> LLVMValueRef {
    call(function, [x, y], at: builder)
  }

  private func call(_ function: Function, _ arguments: [LLVMValueRef], at builder: IRBuilder) -> LLVMValueRef {
    let fn = declaration(function)
    let type = functionType(function.arity)
    var args: [LLVMValueRef?] = arguments
    return args.withUnsafeMutableBufferPointer {
      LLVMBuildCall2(builder.ref, type, fn, $0.baseAddress, UInt32($0.count), "")
    }
  }

  private func functionType(_ arity: Int) -> LLVMTypeRef {
    var params: [LLVMTypeRef?] = Array(repeating: context.float, count: arity)
    return params.withUnsafeMutableBufferPointer {
      LLVMFunctionType(context.float, $0.baseAddress, UInt32($0.count), 0)
    }
  }

  private func declaration(_ function: Function) -> LLVMValueRef {
    if let fn = functions[function.rawValue] { return fn }
    let type = functionType(function.arity)
    let name = "kevc.\(function.rawValue)f"
    // A name with a dot cannot collide with a kernel's or a C function's.
    let fn: LLVMValueRef = name.withCString { LLVMAddFunction(module.ref, $0, type) }
    LLVMSetLinkage(fn, LLVMInternalLinkage)
    for attribute in ["alwaysinline", "nounwind", "willreturn", "nosync", "nofree"] {
      LLVMAddAttributeAtIndex(fn, IRBuilder.functionIndex, context.enumAttribute(attribute))
    }
    // memory(none): the function reads and writes no memory (so calls to it can be vectorized and hoisted).
    LLVMAddAttributeAtIndex(fn, IRBuilder.functionIndex, context.enumAttribute("memory", 0))
    functions[function.rawValue] = fn
    let b = IRBuilder(module: module)
    b.position(atEndOf: b.appendBlock("entry", to: fn))
    let x: LLVMValueRef = LLVMGetParam(fn, 0)
    let result: LLVMValueRef
    switch function {
    case .exp: result = exp(x, b)
    case .log: result = log(x, b)
    case .tanh: result = tanh(x, b)
    case .erf: result = erf(x, b)
    case .pow: result = pow(x, LLVMGetParam(fn, 1), b)
    }
    LLVMBuildRet(b.ref, result)
    return fn
  }

  // MARK: Helpers

  private func f(_ v: Double) -> LLVMValueRef { context.real(context.float, v) }
  private func i(_ v: Int32) -> LLVMValueRef { context.i32(v) }

  /// a * b + c, fused where the target has an fma instruction.
  private func fma(_ a: LLVMValueRef, _ b: LLVMValueRef, _ c: LLVMValueRef, _ builder: IRBuilder) -> LLVMValueRef {
    builder.callIntrinsic("llvm.fmuladd", overloads: [context.float], [a, b, c])
  }

  /// c[0] + t (c[1] + t (c[2] + ...)).
  private func polynomial(_ t: LLVMValueRef, _ c: [Double], _ b: IRBuilder) -> LLVMValueRef {
    guard let last = c.last else { return f(0) }
    var r = f(last)
    for coefficient in c.dropLast().reversed() { r = fma(r, t, f(coefficient), b) }
    return r
  }

  private func intrinsic(_ name: String, _ args: [LLVMValueRef], _ b: IRBuilder) -> LLVMValueRef {
    b.callIntrinsic(name, overloads: [context.float], args)
  }

  private func bits(_ v: LLVMValueRef, _ b: IRBuilder) -> LLVMValueRef { b.cast(LLVMBitCast, v, context.i32) }
  private func float(_ v: LLVMValueRef, _ b: IRBuilder) -> LLVMValueRef { b.cast(LLVMBitCast, v, context.float) }

  /// 2^n as a float for -126 <= n <= 127.
  private func power2(_ n: LLVMValueRef, _ b: IRBuilder) -> LLVMValueRef {
    float(b.shl(b.add(n, i(127)), i(23)), b)
  }

  // MARK: exp

  private func exp(_ input: LLVMValueRef, _ b: IRBuilder) -> LLVMValueRef {
    // Clamp (NaN passes through both selects): exp(89) overflows, exp(-104) underflows to 0.
    var x = b.select(b.fcmp(LLVMRealOGT, input, f(89)), f(89), input)
    x = b.select(b.fcmp(LLVMRealOLT, x, f(-104)), f(-104), x)
    let n = intrinsic("llvm.rint", [b.fmul(x, f(1.44269504088896341))], b)
    // r = x - n ln2, with ln2 = 0.693359375 - 2.12194440e-4 (the first part has few bits, so n * it is exact).
    var r = fma(n, f(-0.693359375), x, b)
    r = fma(n, f(2.12194440e-4), r, b)
    let p = polynomial(
      r, [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4], b)
    let y = b.fadd(fma(p, b.fmul(r, r), r, b), f(1))
    // 2^n in two factors (n is in [-150, 128], each half in [-75, 64]). A NaN n becomes 0 before the conversion
    // (no poison, so that no value computed here lets the optimiser assume the argument is not NaN); a plain
    // `fptosi` of the finite value is one vector instruction (`vcvttps2dq`), where `llvm.fptosi.sat` was
    // scalarised on x86 (a convert, two compares and two moves per lane: 2 ns per exp, log_softmax's sum of exp).
    let k = b.cast(LLVMFPToSI, b.select(b.fcmp(LLVMRealUNO, n, n), f(0), n), context.i32)
    let k1 = b.ashr(k, i(1))
    let k2 = b.sub(k, k1)
    let scaled = b.fmul(b.fmul(y, power2(k1, b)), power2(k2, b))
    return b.select(b.fcmp(LLVMRealUNO, input, input), b.fadd(input, input), scaled)
  }

  // MARK: log

  private func log(_ input: LLVMValueRef, _ b: IRBuilder) -> LLVMValueRef {
    // Subnormals: scale into the normal range and correct the exponent.
    let subnormal = b.fcmp(LLVMRealOLT, input, f(1.17549435e-38))
    let x = b.select(subnormal, b.fmul(input, f(8388608)), input)
    let xBits = bits(x, b)
    // x = m * 2^e with m in [0.5, 1).
    var e = b.sub(b.and(b.lshr(xBits, i(23)), i(0xFF)), i(126))
    e = b.select(subnormal, b.sub(e, i(23)), e)
    let m0 = float(b.or(b.and(xBits, i(0x007F_FFFF)), i(0x3F00_0000)), b)
    // m < sqrt(1/2): use 2m - 1 and e - 1, so the reduced argument is in [sqrt(1/2) - 1, sqrt(2) - 1).
    let low = b.fcmp(LLVMRealOLT, m0, f(0.707106781186547524))
    let m = b.select(low, b.fsub(b.fadd(m0, m0), f(1)), b.fsub(m0, f(1)))
    let ef = b.cast(LLVMSIToFP, b.select(low, b.sub(e, i(1)), e), context.float)
    let z = b.fmul(m, m)
    let p = polynomial(
      m,
      [
        3.3333331174e-1, -2.4999993993e-1, 2.0000714765e-1, -1.6668057665e-1, 1.4249322787e-1, -1.2420140846e-1,
        1.1676998740e-1, -1.1514610310e-1, 7.0376836292e-2,
      ], b)
    var y = b.fmul(b.fmul(m, z), p)
    y = fma(ef, f(-2.12194440e-4), y, b)
    y = fma(z, f(-0.5), y, b)
    var r = b.fadd(m, y)
    r = fma(ef, f(0.693359375), r, b)
    // Special cases: NaN and x < 0 -> NaN, 0 -> -inf, +inf -> +inf.
    r = b.select(b.fcmp(LLVMRealOEQ, input, f(.infinity)), input, r)
    r = b.select(b.fcmp(LLVMRealOEQ, input, f(0)), f(-.infinity), r)
    return b.select(b.fcmp(LLVMRealULT, input, f(0)), f(.nan), r)
  }

  // MARK: tanh

  private func tanh(_ x: LLVMValueRef, _ b: IRBuilder) -> LLVMValueRef {
    let a = intrinsic("llvm.fabs", [x], b)
    let z = b.fmul(a, a)
    let p = polynomial(z, [-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3], b)
    let small = fma(b.fmul(p, z), a, a, b)
    // 1 - 2 / (e^(2a) + 1); for large a, e^(2a) = inf gives exactly 1.
    let e = exp(b.fadd(a, a), b)
    let large = b.fsub(f(1), b.fdiv(f(2), b.fadd(e, f(1))))
    let t = b.select(b.fcmp(LLVMRealOLT, a, f(0.625)), small, large)
    return intrinsic("llvm.copysign", [t, x], b)
  }

  // MARK: erf

  private func erf(_ x: LLVMValueRef, _ b: IRBuilder) -> LLVMValueRef {
    let a = intrinsic("llvm.fabs", [x], b)
    // |x| < 1: x P(x^2), a least-squares fit of erf(x)/x.
    let near = b.fmul(
      a,
      polynomial(
        b.fmul(a, a),
        [
          1.1283791660945421, -0.37612628724093083, 0.11283621889822465, -0.026855501427854218,
          0.005191816014893335, -0.0008043200190204252, 7.970398897353384e-05,
        ], b))
    // 1 <= |x|: 1 - exp(Q(|x| - 2.46)), Q a least-squares fit of log(erfc) on [1, 3.92]; clamped (NaN passes).
    let clamped = b.select(b.fcmp(LLVMRealOGT, a, f(3.92)), f(3.92), a)
    let q = polynomial(
      b.fsub(clamped, f(2.46)),
      [
        -7.59421757199249, -5.2772219243167715, -0.9425697098430812, -0.01121144920983276, 0.0022515759556102867,
        -0.0004396744428585613, 8.060928495481016e-05, -1.3529241074237731e-05, 1.8924405839304088e-06,
        -5.8616116137784207e-08, -4.6324676459197395e-08,
      ], b)
    let far = b.fsub(f(1), exp(q, b))
    let e = b.select(b.fcmp(LLVMRealOLT, a, f(1)), near, b.select(b.fcmp(LLVMRealOGT, a, f(3.92)), f(1), far))
    return intrinsic("llvm.copysign", [e, x], b)
  }

  // MARK: pow

  private func pow(_ x: LLVMValueRef, _ y: LLVMValueRef, _ b: IRBuilder) -> LLVMValueRef {
    let ax = intrinsic("llvm.fabs", [x], b)
    let ay = intrinsic("llvm.fabs", [y], b)
    // |x|^y; log(0) = -inf and log(inf) = inf give the limits 0 and inf through exp.
    let magnitude = exp(b.fmul(y, log(ax, b)), b)
    // y an integer (infinities count as even integers), and odd.
    let yInteger = b.fcmp(LLVMRealOEQ, intrinsic("llvm.floor", [y], b), y)
    let half = b.fmul(y, f(0.5))
    let yOdd = b.and(yInteger, b.fcmp(LLVMRealUNE, intrinsic("llvm.floor", [half], b), half))
    let xNegative = b.icmp(LLVMIntSLT, bits(x, b), i(0))  // the sign bit: -0 and -inf too
    var r = b.select(b.and(xNegative, yOdd), b.fneg(magnitude), magnitude)
    // A finite negative base with a finite non-integer exponent has no real power.
    let xNegativeFinite = b.and(b.fcmp(LLVMRealOLT, x, f(0)), b.fcmp(LLVMRealONE, x, f(-.infinity)))
    let yFiniteFraction = b.and(b.fcmp(LLVMRealOLT, ay, f(.infinity)), b.fcmp(LLVMRealUNE, intrinsic("llvm.floor", [y], b), y))
    r = b.select(b.and(xNegativeFinite, yFiniteFraction), f(.nan), r)
    // pow(+-1, +-inf) = 1 (y log|x| is 0 * inf there), pow(1, y) = 1 and pow(x, 0) = 1, NaN arguments included.
    let unitBase = b.and(b.fcmp(LLVMRealOEQ, ax, f(1)), b.fcmp(LLVMRealOEQ, ay, f(.infinity)))
    r = b.select(unitBase, f(1), r)
    r = b.select(b.fcmp(LLVMRealOEQ, x, f(1)), f(1), r)
    return b.select(b.fcmp(LLVMRealOEQ, y, f(0)), f(1), r)
  }
}
