// swift-tools-version: 6.0
// A SwiftPM package whose target `Kernels` holds kevc specs, compiled by kevc's build-tool plugin; `Demo` calls
// them. Build: KEVC=/path/to/kevc swift run Demo (examples/swiftpm-plugin/build.sh).
import PackageDescription

let package = Package(
  name: "kevc-swiftpm-example",
  dependencies: [.package(name: "kevc", path: "../..")],
  targets: [
    .target(name: "Kernels", plugins: [.plugin(name: "KevcPlugin", package: "kevc")]),
    .executableTarget(name: "Demo", dependencies: ["Kernels"]),
  ]
)
