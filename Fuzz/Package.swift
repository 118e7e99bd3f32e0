// swift-tools-version: 6.2
// libFuzzer entry points, kept out of the main package so that its build never needs the fuzzer runtime.
// Built and run by scripts/fuzz (swift build -Xswiftc -sanitize=fuzzer,address).
import PackageDescription

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "snapbench-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "snapbench", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        .executableTarget(
            name: "ScenarioParserFuzz",
            // The scenario module alone: the parser without the harness, its allocator or its runner.
            dependencies: [.product(name: "Scenarios", package: "snapbench")],
            path: "ScenarioParserFuzz",
            swiftSettings: settings
        ),
        .executableTarget(
            name: "ResponseParserFuzz",
            dependencies: [
                .product(name: "Firecracker", package: "snapbench"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "ResponseParserFuzz",
            swiftSettings: settings
        ),
    ]
)
