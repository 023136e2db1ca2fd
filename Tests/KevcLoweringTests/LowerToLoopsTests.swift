// Lowering kernel IR to loop IR: exact text of small cases, reduction structure, and diagnostics.
import KevcBasic
import KevcIR
import Testing

@testable import KevcLowering

@Test func elementwiseLowersToOneLoopNest() throws {
  let p = try LowerToLoops.lower(Kernels.addOne())
  #expect(
    LoopPrinter.print(p) == """
      loops @add_one(%x: f32[4]) -> (%y: f32[4]) dims(N = 4) {
        for i in 0 .. 4 {
          %y[i] = (%x[i] inbounds + 1.0:f32)
        }
      }

      """)
  #expect(p.temporaries.isEmpty)
  #expect(p.results == [Buffer(name: "y", dtype: .f32, shape: [4], scope: .global)])
}

@Test func reductionLowersToLocalAccumulator() throws {
  let p = try LowerToLoops.lower(Kernels.rmsnorm(m: 2, n: 3))
  let x = "cast<f32>(%x[m, n] inbounds)"
  #expect(
    LoopPrinter.print(p) == """
      loops @rmsnorm(%x: bf16[2, 3], %w: bf16[3], %eps: f32[]) -> (%y: bf16[2, 3]) dims(M = 2, N = 3) {
        workspace %ss: f32[2]
        for m in 0 .. 2 {
          local %ss.acc: f32[] {
            %ss.acc[] = 0.0:f32
            for n in 0 .. 3 {
              %ss.acc[] = (%ss.acc[] inbounds + (\(x) * \(x)))
            }
            %ss[m] = %ss.acc[] inbounds
          }
        }
        for m in 0 .. 2 {
          for n in 0 .. 3 {
            %y[m, n] = cast<bf16>(((\(x) * rsqrt(((%ss[m] inbounds / cast<f32>($N)) + %eps))) * cast<f32>(%w[n] inbounds)))
          }
        }
      }

      """)
  #expect(p.params.map(\.shape) == [[2, 3], [3], []])
  #expect(p.temporaries == [Buffer(name: "ss", dtype: .f32, shape: [2], scope: .workspace)])
}

/// The statements directly inside the loops over a definition's axes.
func innermost(_ s: Stmt) -> [Stmt] {
  if case .loop(let l) = s, l.body.count == 1, case .loop = l.body[0] { return innermost(l.body[0]) }
  if case .loop(let l) = s { return l.body }
  return [s]
}

@Test func reductionIdentitiesAndCombines() throws {
  let p = try LowerToLoops.lower(Kernels.intReductions())
  let expected: [(Constant, BinaryOp, DType)] = [(.int(Int64(Int32.max), .i32), .min, .i32), (.int(1), .mul, .i64)]
  #expect(p.body.count == 2)
  for (stmt, (identity, combine, t)) in zip(p.body, expected) {
    guard case .allocate(let acc, let body) = innermost(stmt).first else {
      Issue.record("no accumulator")
      continue
    }
    #expect(acc.scope == .local && acc.shape == [] && acc.dtype == t)
    #expect(body.first == .store(buffer: acc.name, indices: [], value: .constant(identity)))
    guard case .loop(let l) = body[1], case .store(_, _, .binary(let op, _, _)) = l.body.first else {
      Issue.record("no combining loop")
      continue
    }
    #expect(op == combine)
  }
  // The i32 body of the i64 product is converted to the accumulator type.
  #expect(LoopPrinter.print(p).contains("(%pr.acc[] inbounds * cast<i64>(%q[m, n] inbounds))"))
  // max over floats starts at -inf and combines with the NaN-propagating max.
  let s = LoopPrinter.print(try LowerToLoops.lower(Kernels.softmax()))
  #expect(s.contains("%mx.acc[] = -inf:f32"))
  #expect(s.contains("%mx.acc[] = max(%mx.acc[] inbounds, %x[m, n] inbounds)"))
}

/// argmax is the tuple reduction Reduction.argExtreme, lowered in select form: one local per state component
/// (`y.s.0` the value, `y.s.1` the index, -1 while empty), the elements in `y.e.*`, and `if c { state = element }`
/// with the condition folded by the ascending index (SelectFormCombiner.ascendingIndex): the first element wins,
/// then a strictly more extreme one (ties keep the first index) or the first NaN.
@Test func argmaxKeepsFirstIndexAndLetsNaNWin() throws {
  let text = LoopPrinter.print(try LowerToLoops.lower(Kernels.argmax()))
  #expect(text.contains("%y.s.0[] = -inf:f32"))
  #expect(text.contains("%y.s.1[] = -1:i64"))
  #expect(text.contains("%y.e.1[] = k\n"))
  #expect(
    text.contains(
      "if ((%y.s.1[] inbounds == -1:i64) or (not(isnan(%y.s.0[] inbounds)) and (isnan(%y.e.0[] inbounds) or (%y.e.0[] inbounds > %y.s.0[] inbounds)))) {"
    ))
  #expect(text.contains("%y.s.1[] = %y.e.1[] inbounds"))
  #expect(text.contains("%y[m] = %y.s.1[] inbounds"))
  #expect(!text.contains("%y.n."), "a select-form combiner needs no next-state temporaries")

  // argmin over integers: strictly smaller, no NaN clause.
  let ints = LoopPrinter.print(try LowerToLoops.lower(Kernels.argmax(isMax: false, dtype: .i32)))
  #expect(ints.contains("if ((%y.s.1[] inbounds == -1:i64) or (%y.e.0[] inbounds < %y.s.0[] inbounds)) {"))
  #expect(!ints.contains("isnan"))
}

@Test func unboundDimIsALocatedDiagnostic() {
  var k = Kernels.rmsnorm()
  k.location = SourceLocation(file: "r.kev", line: 2, column: 8)
  k.dims[1].value = nil
  #expect {
    _ = try LowerToLoops.lower(k)
  } throws: { error in
    guard let e = error as? DiagnosticError, let d = e.diagnostics.first else { return false }
    return e.diagnostics.count == 1 && d.id == DiagnosticID("lower", "unbound-dim") && d.location == k.location
      && d.description == "r.kev:2:8: error: dimension 'N' has no value; bind it with 'dims' or --shape [kevc.lower.unbound-dim]"
  }
}

@Test func badShapesAreDiagnosedNotTrapped() {
  func ids(_ k: Kernel) -> [String] {
    do {
      _ = try LowerToLoops.lower(k)
      return []
    } catch { return error.diagnostics.map(\.id.description) }
  }
  var k = Kernels.addOne()
  k.params[0].shape = [.dim("Q")]  // a dim that is not declared
  #expect(ids(k) == ["kevc.lower.unbound-dim"])
  k.params[0].shape = [.div(.dim("N"), .constant(0))]
  #expect(ids(k) == ["kevc.lower.bad-size"])
  k = Kernels.addOne()
  k.definitions[0].axes[0].extent = .sub(.constant(0), .dim("N"))
  #expect(ids(k).contains("kevc.lower.negative-size"))
  k = Kernels.addOne()
  k.params[0].shape = [.constant(Int.max), .constant(4)]
  #expect(ids(k) == ["kevc.lower.too-large"])
  k = Kernels.addOne()
  k.definitions[0].body = .binary(.add, load("x", ix("i")), cast(.f32, dim("Z")))
  #expect(ids(k) == ["kevc.lower.unbound-dim"])
}

@Test func reductionBoundsOfDimsAreFolded() throws {
  var k = Kernels.conv1d()
  k.definitions[0].reduction?.axes[1].upperBound = .binary(.sub, dim("L"), i64(5))
  let text = LoopPrinter.print(try LowerToLoops.lower(k))
  #expect(text.contains("for k in 0 .. 3 {"))
  // data-dependent bounds are kept as written
  #expect(LoopPrinter.print(try LowerToLoops.lower(Kernels.jaggedSum())).contains(
    "for j in %offsets[b] inbounds .. %offsets[(b + 1:i64)] inbounds {"))
}

/// A producer computed at its consumer's loop over its whole axis (the reads `t[N - 1 - n]` and `t[n + 1]` move in
/// opposite directions): the guarded read `t[n + 1] else -2` at `n = 7` is outside the tensor and outside the
/// region buffer, and the select evaluates its buffer read anyway, so that read's index is clamped into the buffer
/// (difftest s1-p10797 and s1-p10247: an out-of-bounds read of a local buffer, wrong results at -O3). The reversed
/// read, proven inside, is left as it is.
@Test func guardedReadsOfARegionBufferStayInsideTheBuffer() throws {
  let text = """
    kernel @r(%x: f32[N]) -> (%y: f32[N]) {
      dims N = 8
      %t: f32[n < N] = (%x[n] * 2.0:f32)
        schedule loops(n) compute_at(%y, n) store(local)
      %y: f32[n < N] = (%t[(($N - 1:i64) - n)] + %t[(n + 1:i64)] else -2.0:f32)
        schedule loops(n) root store(workspace)
    }

    """
  let p = try LowerToLoops.lower(try IRParser.parse(SourceFile(path: "r.kir", text: text)))
  #expect(
    LoopPrinter.print(p) == """
      loops @r(%x: f32[8]) -> (%y: f32[8]) dims(N = 8) {
        for n in 0 .. 8 {
          local %t: f32[8] {
            for t.n in 0 .. 8 {
              %t[t.n] = (%x[t.n] inbounds * 2.0:f32)
            }
            %y[n] = (%t[(($N - 1:i64) - n)] inbounds + select((((n + 1:i64) >= 0:i64) and ((n + 1:i64) < 8:i64)), %t[min(max((n + 1:i64), 0:i64), 7:i64)] inbounds, -2.0:f32))
          }
        }
      }

      """)
}
