import KevcIR
import KevcLowering

/// The HIP spelling of a matrix-unit tile (`ThreadPlan.MatrixTile`): MFMA instructions on AMD gfx9 through the
/// `kevc_mfma_*` functions of `kevc_hip.h`, chosen at compile time by `#if defined(KEVC_MFMA)` (defined when clang
/// compiles for gfx90a/gfx94x, or for the host check with `-DKEVC_HOST_MFMA`); under `#else` the portable loops
/// (the tile's elements strided over the block's threads), which nvcc compiles for CUDA and the host check runs.
///
/// Before (plan): `matrix tile m.i x n.i (64 x 32) over k.o, k.i into %c.acc: 32x32x8 bf16 instructions, 2 x 1 per
/// wave, 1 x 1 wave(s)`
/// After (HIP, abridged):
///   #if defined(KEVC_MFMA)
///   { const int kevc_lane = (int)(KEVC_TID_X % 64); kevc_f32x16 kevc_acc[2]; kevc_i16x4 kevc_a[2]; kevc_i16x4 kevc_b[1];
///     ... kevc_acc[kevc_s] = kevc_mfma_bf16(kevc_acc[kevc_s], kevc_a[kevc_s / 1], kevc_b[kevc_s % 1]); ... }
///   #else
///   for (long long kevc_e_m_i = (0LL) + KEVC_TID_X, ...; ... < 2048LL; ...) { (one element's nest) }
///   #endif
extension HIPSyntax {
  /// Threads per block of a matrix tile's kernel: the MFMA path's waves where the source is compiled as HIP for
  /// AMD, the portable path's elsewhere (CUDA, the host check without `-DKEVC_HOST_MFMA`).
  static func tileThreads(_ t: ThreadPlan.MatrixTile) -> String { "KEVC_TILE_THREADS(\(t.threads), \(t.portableThreads))" }

  func matrixUnit(_ t: ThreadPlan.MatrixTile) -> MatrixUnitSpelling? {
    let m = t.m
    let values = t.valuesPerLane
    let registers = t.registers
    let tiles = t.tilesM * t.tilesN
    let operandType: String
    let instruction: String
    /// The operand value as the instruction reads it (a 16-bit pattern for f16/bf16).
    let convert: (String) -> String
    let zero: String
    switch t.operand {
    case .f32: (operandType, instruction, convert, zero) = ("float", "kevc_mfma_f32", { "(\($0))" }, "0.0f")
    case .bf16: (operandType, instruction, convert, zero) = ("kevc_i16x4", "kevc_mfma_bf16", { "(short)kevc_f2bf(\($0))" }, "(short)0")
    case .f16: (operandType, instruction, convert, zero) = ("kevc_i16x4", "kevc_mfma_f16", { "(short)kevc_f2h(\($0))" }, "(short)0")
    }
    /// The lane's operand register for loop index `kevc_j` (tile `j / values`, value `j % values`).
    func operand(_ array: String) -> String { values == 1 ? "\(array)[kevc_j]" : "\(array)[kevc_j / \(values)][kevc_j % \(values)]" }
    let register = "kevc_acc[kevc_e / \(registers)][kevc_e % \(registers)]"
    return MatrixUnitSpelling(
      begin: "#if defined(KEVC_MFMA)", otherwise: "#else", end: "#endif", open: ["{"],
      declarations: [
        "// \(t.m)x\(t.m)x\(t.k) \(t.operand.rawValue) MFMA, \(t.tilesM) x \(t.tilesN) per wave (lane layout: kevc_hip.h)",
        "const int kevc_lane = (int)(KEVC_TID_X % 64);",
        "// This wave's first row and column in the block's tile (\(t.wavesM) x \(t.wavesN) waves).",
        "const int kevc_wm = (int)(KEVC_TID_X / 64) / \(t.wavesN) * \(t.tilesM * m);",
        "const int kevc_wn = (int)(KEVC_TID_X / 64) % \(t.wavesN) * \(t.tilesN * m);",
        "\(registers == 16 ? "kevc_f32x16" : "kevc_f32x4") kevc_acc[\(tiles)];",
        "\(operandType) kevc_a[\(t.tilesM)];",
        "\(operandType) kevc_b[\(t.tilesN)];",
      ],
      eachRegister: ["KEVC_UNROLL", "for (int kevc_e = 0; kevc_e < \(tiles * registers); ++kevc_e) {"],
      registerRow: "kevc_wm + (kevc_e / \(registers) / \(t.tilesN)) * \(m) + kevc_mfma_row(kevc_lane, kevc_e % \(registers), \(m))",
      registerColumn: "kevc_wn + (kevc_e / \(registers) % \(t.tilesN)) * \(m) + kevc_mfma_col(kevc_lane, \(m))",
      register: register,
      eachLeft: ["KEVC_UNROLL", "for (int kevc_j = 0; kevc_j < \(t.tilesM * values); ++kevc_j) {"],
      leftRow: "kevc_wm + (kevc_j / \(values)) * \(m) + kevc_lane % \(m)",
      leftStep: "kevc_mfma_k(kevc_lane, kevc_j % \(values), \(m), \(values))",
      eachRight: ["KEVC_UNROLL", "for (int kevc_j = 0; kevc_j < \(t.tilesN * values); ++kevc_j) {"],
      rightColumn: "kevc_wn + (kevc_j / \(values)) * \(m) + kevc_lane % \(m)",
      rightStep: "kevc_mfma_k(kevc_lane, kevc_j % \(values), \(m), \(values))",
      setLeft: { c, v in "\(operand("kevc_a")) = (\(c)) ? \(convert(v)) : \(zero);" },
      setRight: { c, v in "\(operand("kevc_b")) = (\(c)) ? \(convert(v)) : \(zero);" },
      setRegister: { v in "\(register) = \(v);" },
      stepLoop: { v, lo, hi in "for (long long \(v) = \(lo); \(v) < \(hi); \(v) += \(t.k)) {" },
      multiply: [
        "KEVC_UNROLL",
        "for (int kevc_s = 0; kevc_s < \(tiles); ++kevc_s) kevc_acc[kevc_s] = \(instruction)(kevc_acc[kevc_s], kevc_a[kevc_s / \(t.tilesN)], kevc_b[kevc_s % \(t.tilesN)]);",
      ],
      portableLoop: { v, lo, hi in
        "for (long long \(v) = (\(lo)) + KEVC_TID_X, \(v)_end = \(hi); \(v) < \(v)_end; \(v) += KEVC_BLOCK(\(Self.tileThreads(t)))) {"
      })
  }
}
