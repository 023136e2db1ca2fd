import KevcIR

/// What the default GPU schedule knows of the machines a block-level (Triton) kernel runs on: multiprocessors to
/// fill, shared memory per program, registers, and Triton's limit on one tensor. A Triton module is compiled for
/// every target (`--check-aot cuda:90,hip:gfx942`), so the default schedule reasons with `portable`, what every
/// supported target allows: the least shared memory, the fewest registers, and the most multiprocessors to fill.
public struct GPUCapability: Sendable, Hashable {
  public var name: String
  /// The targets this record stands for (itself, or each member of a `common` record).
  public var members: [GPUCapability] { parts.isEmpty ? [self] : parts }
  var parts: [GPUCapability] = []
  /// Streaming multiprocessors (CUDA) or compute units (HIP).
  public var multiprocessors: Int
  /// Shared memory (LDS) one program may use, in bytes.
  public var sharedMemoryPerBlock: Int
  /// 32-bit registers per multiprocessor.
  public var registersPerMultiprocessor: Int
  /// Threads per warp (wavefront).
  public var warpSize: Int
  /// Elements of one Triton tensor (a block), all dimensions together.
  public var maxTensorElements: Int

  public init(
    name: String, multiprocessors: Int, sharedMemoryPerBlock: Int, registersPerMultiprocessor: Int, warpSize: Int,
    maxTensorElements: Int
  ) {
    self.name = name
    self.multiprocessors = multiprocessors
    self.sharedMemoryPerBlock = sharedMemoryPerBlock
    self.registersPerMultiprocessor = registersPerMultiprocessor
    self.warpSize = warpSize
    self.maxTensorElements = maxTensorElements
  }

  /// NVIDIA H100 (sm_90): 132 SMs, 227 KiB of shared memory per block, 64K registers per SM.
  public static let cudaSM90 = GPUCapability(
    name: "cuda:90", multiprocessors: 132, sharedMemoryPerBlock: 227 * 1024, registersPerMultiprocessor: 65536,
    warpSize: 32, maxTensorElements: 1 << 20)
  /// AMD MI300X (gfx942): 304 CUs, 64 KiB of LDS, 512 VGPRs x 64 lanes x 4 SIMDs per CU.
  public static let hipGfx942 = GPUCapability(
    name: "hip:gfx942", multiprocessors: 304, sharedMemoryPerBlock: 64 * 1024, registersPerMultiprocessor: 131072,
    warpSize: 64, maxTensorElements: 1 << 20)

  /// What every one of `targets` allows (the least memory of each kind), with the most multiprocessors to fill.
  public static func common(_ targets: [GPUCapability]) -> GPUCapability {
    var c = GPUCapability(
      name: targets.map(\.name).joined(separator: ","),
      multiprocessors: targets.map(\.multiprocessors).max() ?? 1,
      sharedMemoryPerBlock: targets.map(\.sharedMemoryPerBlock).min() ?? 0,
      registersPerMultiprocessor: targets.map(\.registersPerMultiprocessor).min() ?? 0,
      warpSize: targets.map(\.warpSize).max() ?? 32,
      maxTensorElements: targets.map(\.maxTensorElements).min() ?? 0)
    c.parts = targets.flatMap(\.members)
    return c
  }

  /// The capability of a device by its architecture as the search records it (`sm_90`, `gfx942`); nil for others.
  public static func device(arch: String) -> GPUCapability? {
    if arch.hasPrefix("sm_90") { return cudaSM90 }
    if arch.hasPrefix("gfx942") { return hipGfx942 }
    return nil
  }

  /// Every GPU a default schedule can be sized for, by name.
  public static let known: [GPUCapability] = [cudaSM90, hipGfx942]

  /// The capability a comma-separated list of GPU names stands for (`cuda:90`, `hip:gfx942`, or the architectures
  /// `sm_90`, `sm_90a`, `gfx942`): one target's own, or what all of them allow (`common`); nil when a name is
  /// unknown or the list is empty.
  public static func named(_ list: String) -> GPUCapability? {
    var members: [GPUCapability] = []
    for raw in list.split(separator: ",") {
      let name = raw.trimmingCharacters(in: .whitespaces)
      guard let c = known.first(where: { $0.name == name }) ?? device(arch: name) else { return nil }
      if !members.contains(c) { members.append(c) }
    }
    guard let first = members.first else { return nil }
    return members.count == 1 ? first : common(members)
  }

  /// The targets kevc's Triton modules are checked for.
  public static let portable = common([cudaSM90, hipGfx942])

  /// Programs that keep the machine busy: two per multiprocessor.
  public var programsToFill: Int { 2 * multiprocessors }

  /// Shared memory Triton 3.6 allocates for a `tl.dot` loop on this target, an upper bound fitted to
  /// `--check-aot`'s `metadata.shared`: on CUDA the larger of the operand tiles ([m, k] and [k, n] elements of
  /// `operandBytes` each) in `stages - 1` buffers and the f32 accumulator tile (its epilogue layout conversion
  /// goes through shared memory: 64 KiB for 128x128); on HIP one buffer of both operand tiles per stage past the
  /// first, no accumulator.
  /// (`ScheduleCost.Machine.dotSharedMemory`, the one formula, which the cost estimate reads too.)
  public func dotSharedMemory(m: Int, n: Int, k: Int, stages: Int, operandBytes: Int) -> Int {
    ScheduleCost.Machine.dotSharedMemory(m: m, n: n, k: k, stages: stages, operandBytes: operandBytes, warpSize: warpSize)
  }

  /// The cost model's machine for this GPU (`ScheduleCost.estimate`): its multiprocessors, the shared memory one
  /// program may use as what its multiprocessor's resident programs divide, and its warp size (for a `common` record,
  /// the least memory and the widest warp: what every member allows); the rates stay the model's H100-class ones
  /// (only ratios rank).
  public var costMachine: ScheduleCost.Machine {
    var m = ScheduleCost.Machine.gpu(multiprocessors: multiprocessors)
    m.sharedMemoryPerMultiprocessor = Double(sharedMemoryPerBlock)
    m.warpSize = warpSize
    return m
  }

  /// Whether a dot of these tiles fits every member target's shared memory.
  public func fitsDot(m: Int, n: Int, k: Int, stages: Int, operandBytes: Int) -> Bool {
    members.allSatisfy {
      $0.dotSharedMemory(m: m, n: n, k: k, stages: stages, operandBytes: operandBytes) <= $0.sharedMemoryPerBlock
    }
  }
}
