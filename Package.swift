// swift-tools-version: 6.0
// kevc: a kernel compiler. The targets form a one-way chain:
//   KevcBasic -> KevcSpec -> KevcIR -> KevcInterpreter / KevcTransforms -> KevcLowering -> KevcLLVM -> KevcDriver
//   -> KevcSearch (tuning search and database, through CSQLite) -> KevcAgent (the LLM proposer, through CCurl) -> kevc
//   KevcLowering -> KevcHIP (HIP C++) / KevcCuTe (CuTe DSL Python), both from the thread plan -> KevcDriver
//   KevcDriver -> KevcFuzz (fuzzers and the random-program differential tester) -> kevc
// Only KevcLLVM imports the LLVM C API (through CLLVM); only KevcAgent imports libcurl (through CCurl).
import Foundation
import PackageDescription

/// Debian's llvm-22-dev installs its headers outside the default include path. Every target that imports CLLVM,
/// directly or through another module, needs this flag so that clang can read CLLVM's module map.
let llvmHeaders: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-22/include"])]

/// How KevcLLVM links LLVM: the shared libLLVM-22 by default; statically when KEVC_STATIC_LLVM_FLAGS holds the
/// linker flags of `llvm-config-22 --link-static --libs ...` (bench/gpu/build-static-kevc.sh sets it), for a binary
/// that runs on machines without LLVM 22.
let staticLLVMFlags = ProcessInfo.processInfo.environment["KEVC_STATIC_LLVM_FLAGS"]
let llvmLinking: [LinkerSetting] =
  staticLLVMFlags.map { flags in [.unsafeFlags(flags.split(separator: " ").map(String.init))] }
  ?? [.linkedLibrary("LLVM-22")]

let package = Package(
  name: "kevc",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "kevc", targets: ["kevc"]),
    // Compiles the .kev specs of a target (Plugins/KevcPlugin; examples/swiftpm-plugin).
    .plugin(name: "KevcPlugin", targets: ["KevcPlugin"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // MARK: - CLLVM
    .systemLibrary(name: "CLLVM", path: "Sources/CLLVM"),

    // MARK: - CSQLite
    .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),

    // MARK: - CCurl
    .systemLibrary(name: "CCurl", path: "Sources/CCurl"),

    // MARK: - kevc
    .executableTarget(
      name: "kevc",
      dependencies: [
        "KevcDriver", "KevcTransforms", "KevcSearch", "KevcAgent", "KevcFuzz",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: llvmHeaders
    ),

    // MARK: - KevcPlugin (finds kevc through $KEVC or the PATH, so that a package using it need not build kevc)
    .plugin(name: "KevcPlugin", capability: .buildTool()),

    // MARK: - KevcAgent
    .target(
      name: "KevcAgent", dependencies: ["KevcSearch", "KevcDriver", "KevcTransforms", "KevcIR", "CCurl", "CSQLite"],
      swiftSettings: llvmHeaders),

    // MARK: - KevcBasic
    .target(name: "KevcBasic"),

    // MARK: - KevcDriver
    .target(
      name: "KevcDriver",
      dependencies: [
        "KevcBasic", "KevcSpec", "KevcIR", "KevcInterpreter", "KevcTransforms", "KevcLowering", "KevcLLVM",
        "KevcTriton", "KevcTorch", "KevcHIP", "KevcCuTe",
      ],
      // The runtime's C source (links to Sources/KevcRuntime), compiled into `--emit lib` / `--emit runtime`.
      resources: [.embedInCode("Runtime/kevc_runtime.c"), .embedInCode("Runtime/kevc_runtime.h")],
      swiftSettings: llvmHeaders
    ),
    .testTarget(name: "KevcDriverTests", dependencies: ["KevcDriver"], swiftSettings: llvmHeaders),

    // MARK: - KevcFuzz
    .target(
      name: "KevcFuzz",
      dependencies: [
        "KevcBasic", "KevcSpec", "KevcIR", "KevcInterpreter", "KevcTransforms", "KevcLowering", "KevcDriver",
      ],
      swiftSettings: llvmHeaders),
    .testTarget(name: "KevcFuzzTests", dependencies: ["KevcFuzz"], swiftSettings: llvmHeaders),

    // MARK: - KevcCuTe
    .target(name: "KevcCuTe", dependencies: ["KevcLowering", "KevcIR"]),

    // MARK: - KevcHIP
    .target(name: "KevcHIP", dependencies: ["KevcLowering", "KevcIR"]),
    .testTarget(name: "KevcHIPTests", dependencies: ["KevcHIP", "KevcCuTe", "KevcDriver", "KevcTransforms"], swiftSettings: llvmHeaders),

    // MARK: - KevcInterpreter
    .target(name: "KevcInterpreter", dependencies: ["KevcIR"]),
    .testTarget(name: "KevcInterpreterTests", dependencies: ["KevcInterpreter"]),

    // MARK: - KevcIR
    .target(name: "KevcIR", dependencies: ["KevcBasic", "KevcSpec"]),
    .testTarget(name: "KevcIRTests", dependencies: ["KevcIR"]),

    // MARK: - KevcLLVM
    .target(
      name: "KevcLLVM", dependencies: ["KevcLowering", "KevcRuntime", "CLLVM"], swiftSettings: llvmHeaders,
      linkerSettings: llvmLinking),
    .testTarget(name: "KevcLLVMTests", dependencies: ["KevcLLVM", "KevcInterpreter"], swiftSettings: llvmHeaders),

    // MARK: - KevcLowering
    .target(name: "KevcLowering", dependencies: ["KevcIR"]),
    .testTarget(name: "KevcLoweringTests", dependencies: ["KevcLowering"]),

    // MARK: - KevcRuntime
    .target(name: "KevcRuntime", linkerSettings: [.linkedLibrary("pthread")]),

    // MARK: - KevcSearch
    .target(
      name: "KevcSearch", dependencies: ["KevcDriver", "KevcTransforms", "KevcTriton", "KevcIR", "CSQLite"],
      swiftSettings: llvmHeaders),
    .testTarget(name: "KevcSearchTests", dependencies: ["KevcSearch", "KevcAgent"], swiftSettings: llvmHeaders),

    // MARK: - KevcSpec
    .target(name: "KevcSpec", dependencies: ["KevcBasic"]),
    .testTarget(name: "KevcSpecTests", dependencies: ["KevcSpec"]),

    // MARK: - KevcTorch
    .target(name: "KevcTorch", dependencies: ["KevcIR"]),

    // MARK: - KevcTransforms
    .target(name: "KevcTransforms", dependencies: ["KevcIR", "KevcLowering"]),
    .testTarget(name: "KevcTransformsTests", dependencies: ["KevcTransforms", "KevcInterpreter", "KevcLowering"]),

    // MARK: - KevcTriton
    .target(name: "KevcTriton", dependencies: ["KevcTransforms", "KevcLowering", "KevcIR"]),
    .testTarget(name: "KevcTritonTests", dependencies: ["KevcTriton", "KevcTorch", "KevcDriver"], swiftSettings: llvmHeaders),
  ],
  swiftLanguageModes: [.v6]
)
