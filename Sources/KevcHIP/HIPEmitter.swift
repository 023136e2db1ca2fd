import Foundation
import KevcBasic
import KevcIR
import KevcLowering

/// The HIP target: C++ HIP source printed from loop IR (`LoopProgram`), one `__global__` kernel per top-level
/// nest, launched in order on one stream (a launch boundary is the only barrier between nests). The source includes
/// `kevc_hip.h` (python/kevc_gpu), which makes the same text compile for AMD gfx942 with clang and as CUDA with nvcc.
///
/// Threads: the outermost loops of a nest that the schedule made parallel (`parallel`, or bound to a grid, block or
/// thread dimension) and whose iterations write disjoint elements (each store outside the loop's own buffers has an
/// index `c * v + (outer loop variables)`, c != 0) are flattened into one index space, spread over threads in a
/// grid-stride loop; each thread runs the rest of the nest serially, with its own copy of `local` and `shared`
/// buffers. A nest with no such loop runs on one thread. Bounds come from the shared `IndexArithmetic`: a loop
/// whose bounds depend on outer loops spans their widest range, with a guard.
///
/// Before (loop IR):
///   for m in 0 .. 61 bind(grid.x) { for n in 0 .. 96 bind(block.x) { %y[m, n] = ... } }
/// After (HIP):
///   for (long long t = KEVC_BID_X * 256 + KEVC_TID_X; t < 5856LL; t += stride) {
///     long long r = t; const long long v_n = 0LL + r % 96LL; r /= 96LL; const long long v_m = 0LL + r % 61LL; ...
///     b_y[(v_m) * 96LL + v_n] = kevc_f2bf(...);
///   }
public enum HIPEmitter {
  /// Threads per block of every launch.
  public static let blockSize = 256

  public struct Output: Sendable {
    /// The C++ HIP source (includes kevc_hip.h).
    public var source: String
    /// Name of the host entry point: `int NAME(void** args, void* stream)`; args are params, results and
    /// workspaces in order (device pointers; scalars as pointers to host values).
    public var entryPoint: String
    /// Workspace buffers the caller allocates: (name, dtype, elements).
    public var workspace: [(name: String, dtype: DType, elements: Int)]
    /// Threads of each launch, in order.
    public var launches: [Int]
  }

  static func internalError(_ message: String) -> DiagnosticError {
    DiagnosticError(
      .error(
        DiagnosticID("hip", "internal"), "internal error: \(message)",
        at: SourceLocation(file: "<hip>", line: 1, column: 1)))
  }

  static func unsupported(_ message: String) -> DiagnosticError {
    DiagnosticError(
      .error(
        DiagnosticID("hip", "unsupported"), message, at: SourceLocation(file: "<hip>", line: 1, column: 1)))
  }

  /// Identifier-safe text of an IR name.
  static func ident(_ prefix: String, _ name: String) -> String {
    prefix + String(name.unicodeScalars.map { c -> Character in
      (c.properties.isAlphabetic && c.isASCII) || ("0"..."9").contains(c) ? Character(c) : "_"
    })
  }

  public static func emit(_ program: LoopProgram, origin: String = "") throws(DiagnosticError) -> Output {
    var printer = Printer(program: program)
    return try printer.run(origin: origin)
  }
}

/// One loop of a nest mapped to threads: its values cover `lo ..< lo + span`; `guarded` when its own bounds are
/// narrower for some outer iteration.
struct ThreadLoop {
  var loop: Loop
  var lo: Int
  var span: Int
  var guarded: Bool
}

struct Printer {
  let program: LoopProgram
  var exprs: HIPExpressions
  var lines: [String] = []
  var indent = 1
  var used: Set<String> = []
  /// Buffers passed to every kernel: params, results, workspaces (IR name, C++ name, dtype, writable).
  var arguments: [(ir: String, name: String, dtype: DType, scalar: Bool, writable: Bool)] = []
  var workspace: [Buffer] = []

  init(program: LoopProgram) {
    self.program = program
    exprs = HIPExpressions(types: [:], names: [:], shapes: [:], dims: program.dims)
  }

  mutating func fresh(_ prefix: String, _ name: String) -> String {
    var n = HIPEmitter.ident(prefix, name)
    if used.contains(n) {
      var i = 1
      while used.contains("\(n)_\(i)") { i += 1 }
      n = "\(n)_\(i)"
    }
    used.insert(n)
    return n
  }

  mutating func line(_ s: String) { lines.append(String(repeating: "  ", count: indent) + s) }

  mutating func declare(_ b: Buffer) -> String {
    let n = fresh("b_", b.name)
    exprs.names[b.name] = n
    exprs.types[b.name] = b.dtype
    exprs.shapes[b.name] = b.shape
    return n
  }

  mutating func run(origin: String) throws(DiagnosticError) -> HIPEmitter.Output {
    let allocated = Set(allocations(program.body))
    workspace = program.temporaries.filter { !allocated.contains($0.name) }
    let resultNames = Set(program.results.map(\.name))
    for p in program.params {
      let scalar = p.shape.isEmpty && !resultNames.contains(p.name)
      let n = declare(p)
      arguments.append((p.name, n, p.dtype, scalar, false))
    }
    for r in program.results { arguments.append((r.name, declare(r), r.dtype, false, true)) }
    for w in workspace { arguments.append((w.name, declare(w), w.dtype, false, true)) }

    let name = HIPEmitter.ident("kevc_", program.name)
    let parameterList =
      arguments.map { a in
        a.scalar
          ? "\(HIPExpressions.register(a.dtype)) \(a.name)"
          : "\(a.writable ? "" : "const ")\(HIPExpressions.storage(a.dtype))* __restrict__ \(a.name)"
      }.joined(separator: ", ")
    var kernels: [String] = []
    var launches: [(kernel: String, threads: Int)] = []
    for (i, stmt) in program.body.enumerated() {
      let kernel = "\(name)_p\(i)"
      lines = []
      indent = 1
      let saved = exprs
      let threads = try phase(stmt)
      exprs = saved
      kernels.append(
        "__global__ void \(kernel)(\(parameterList), long long kevc_stride) {\n" + lines.joined(separator: "\n") + "\n}\n")
      launches.append((kernel, threads))
    }

    var s = "// Generated by kevc from \(origin.isEmpty ? "loop IR" : origin): kernel '\(program.name)'. Do not edit.\n"
    s += "// HIP (and CUDA through kevc_hip.h): one kernel per loop nest, outer parallel loops over threads.\n"
    s += "#include \"kevc_hip.h\"\n\n"
    s += kernels.joined(separator: "\n")
    // Host entry point (not compiled in a device-only check).
    let entry = "\(name)_launch"
    s += "\n#ifndef KEVC_DEVICE_ONLY\n"
    s += "extern \"C\" int \(entry)(void** args, void* stream) {\n"
    var callArgs: [String] = []
    for (i, a) in arguments.enumerated() {
      if a.scalar {
        s += "  const \(HIPExpressions.register(a.dtype)) \(a.name) = *(const \(HIPExpressions.register(a.dtype))*)args[\(i)];\n"
      } else {
        s += "  \(HIPExpressions.storage(a.dtype))* \(a.name) = (\(HIPExpressions.storage(a.dtype))*)args[\(i)];\n"
      }
      callArgs.append(a.name)
    }
    for l in launches {
      let blocks = max(1, min((l.threads + HIPEmitter.blockSize - 1) / HIPEmitter.blockSize, 1 << 20))
      let b = HIPEmitter.blockSize
      s += "  \(l.kernel)<<<\(blocks), \(b), 0, (kevc_stream_t)stream>>>(\((callArgs + ["\(blocks * b)LL"]).joined(separator: ", ")));\n"
    }
    s += "  return (int)cudaGetLastError();\n}\n#endif\n"
    return HIPEmitter.Output(
      source: s, entryPoint: entry, workspace: workspace.map { ($0.name, $0.dtype, $0.elementCount) },
      launches: launches.map(\.threads))
  }

  /// Buffers declared by `allocate` statements anywhere in `stmts`.
  func allocations(_ stmts: [Stmt]) -> [String] {
    stmts.flatMap { s -> [String] in
      switch s {
      case .loop(let l): return allocations(l.body)
      case .store: return []
      case .ifThen(_, let t, let e): return allocations(t) + allocations(e)
      case .allocate(let b, let body): return [b.name] + allocations(body)
      }
    }
  }

  // MARK: Phases

  /// Prints the kernel body of one top-level statement; returns the number of threads it uses.
  mutating func phase(_ stmt: Stmt) throws(DiagnosticError) -> Int {
    let threadLoops = threadMapped(stmt)
    guard let innermost = threadLoops.last else {
      line("if (KEVC_BID_X * \(HIPEmitter.blockSize) + KEVC_TID_X != 0) return;")
      try emit(stmt)
      return 1
    }
    let total = threadLoops.reduce(1) { $0 * $1.span }
    line("for (long long kevc_t = KEVC_BID_X * \(HIPEmitter.blockSize) + KEVC_TID_X; kevc_t < \(total)LL; kevc_t += kevc_stride) {")
    indent += 1
    line("long long kevc_r = kevc_t;")
    var names: [String] = []
    for t in threadLoops { names.append(fresh("v_", t.loop.variable)) }
    for (k, t) in threadLoops.enumerated().reversed() {
      line("const long long \(names[k]) = \(t.lo)LL + kevc_r % \(t.span)LL;")
      if k > 0 { line("kevc_r /= \(t.span)LL;") }
    }
    for (k, t) in threadLoops.enumerated() {
      if t.guarded {
        let lo = try exprs.expr(t.loop.lowerBound).text
        let hi = try exprs.expr(t.loop.upperBound).text
        line("if (\(names[k]) < \(lo) || \(names[k]) >= \(hi)) continue;")
      }
      exprs.names[t.loop.variable] = names[k]
    }
    try emit(innermost.loop.body)
    indent -= 1
    line("}")
    return total
  }

  /// The outer loops of `stmt` mapped to threads (a chain of perfectly nested, parallel, disjointly writing
  /// loops with bounded extents).
  func threadMapped(_ stmt: Stmt) -> [ThreadLoop] {
    var out: [ThreadLoop] = []
    var arithmetic = IndexArithmetic(dims: program.dims)
    var current = stmt
    var total = 1
    while case .loop(let l) = current {
      switch l.kind {
      case .parallel, .gpu: break
      case .serial, .vectorized, .unrolled: return out
      }
      guard let lo = arithmetic.interval(l.lowerBound), let hi = arithmetic.interval(l.upperBound),
        lo.dtype == .i64, hi.dtype == .i64, hi.hi > lo.lo, hi.hi - lo.lo < (1 << 31)
      else { return out }
      let span = Int(hi.hi - lo.lo)
      let (product, overflow) = total.multipliedReportingOverflow(by: span)
      guard !overflow, product < (1 << 40), writesDisjointly(l, outer: Set(out.map(\.loop.variable))) else { return out }
      total = product
      let exact = lo.lo == lo.hi && hi.lo == hi.hi
      out.append(ThreadLoop(loop: l, lo: Int(lo.lo), span: span, guarded: !exact))
      arithmetic.bound(l.variable, Int(lo.lo)...Int(hi.hi - 1))
      guard l.body.count == 1, let only = l.body.first else { return out }
      current = only
    }
    return out
  }

  /// Whether distinct iterations of `l` (for fixed outer loops) store to distinct elements of every buffer that
  /// lives outside `l`.
  func writesDisjointly(_ l: Loop, outer: Set<String>) -> Bool {
    let local = Set(allocations(l.body))
    let arithmetic = IndexArithmetic(dims: program.dims)
    func check(_ stmts: [Stmt]) -> Bool {
      stmts.allSatisfy { s in
        switch s {
        case .loop(let inner): return check(inner.body)
        case .ifThen(_, let t, let e): return check(t) && check(e)
        case .allocate(_, let body): return check(body)
        case .store(let buffer, let indices, _):
          if local.contains(buffer) { return true }
          return indices.contains { index in
            guard let a = arithmetic.affine(index), let c = a.terms[l.variable], c != 0 else { return false }
            return a.terms.keys.allSatisfy { $0 == l.variable || outer.contains($0) }
          }
        }
      }
    }
    return check(l.body)
  }

  // MARK: Statements

  mutating func emit(_ stmts: [Stmt]) throws(DiagnosticError) {
    for s in stmts { try emit(s) }
  }

  mutating func emit(_ stmt: Stmt) throws(DiagnosticError) {
    switch stmt {
    case .loop(let l):
      let lo = try exprs.expr(l.lowerBound).text
      let hi = try exprs.expr(l.upperBound).text
      let v = fresh("v_", l.variable)
      let end = "\(v)_end"
      line("for (long long \(v) = \(lo), \(end) = \(hi); \(v) < \(end); ++\(v)) {")
      let saved = exprs.names[l.variable]
      exprs.names[l.variable] = v
      indent += 1
      try emit(l.body)
      indent -= 1
      exprs.names[l.variable] = saved
      line("}")
    case .store(let buffer, let indices, let value):
      guard let n = exprs.names[buffer], let t = exprs.types[buffer], let shape = exprs.shapes[buffer] else {
        throw HIPEmitter.internalError("buffer '\(buffer)' is written where it is not declared")
      }
      var idx: [String] = []
      for i in indices { idx.append(try exprs.expr(i).text) }
      let (v, vt) = try exprs.expr(value)
      let converted = HIPExpressions.convert(v, from: vt, to: t)
      line("\(n)[\(exprs.offset(idx, shape))] = \(HIPExpressions.toStorage(converted, t));")
    case .ifThen(let c, let t, let e):
      line("if (\(try exprs.expr(c).text)) {")
      indent += 1
      try emit(t)
      indent -= 1
      if !e.isEmpty {
        line("} else {")
        indent += 1
        try emit(e)
        indent -= 1
      }
      line("}")
    case .allocate(let b, let body):
      let count = max(1, b.elementCount)
      guard count <= 1 << 16 else {
        throw HIPEmitter.unsupported(
          "buffer '\(b.name)' (\(count) elements, \(b.scope.rawValue)) is too large for one thread's memory")
      }
      let saved = exprs
      let n = declare(b)
      line("{")
      indent += 1
      line("\(HIPExpressions.storage(b.dtype)) \(n)[\(count)];")
      try emit(body)
      indent -= 1
      line("}")
      let keepUsed = used
      exprs = saved
      used = keepUsed
    }
  }
}
