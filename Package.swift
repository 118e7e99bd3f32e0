// swift-tools-version: 6.2
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .swiftLanguageMode(.v6),
]

// Linux only: snapbench drives Firecracker through /dev/kvm, and its host layer calls Linux's own interfaces
// (pidfd, userfaultfd, /proc, cgroups). No `platforms` entry names an operating system it does not build on.
let package = Package(
    name: "snapbench",
    // The executable, and the two libraries the fuzzers in Fuzz/ link. Every declaration is `package` but the
    // handful those fuzzers call (a scenario's validation and its error; an API response's decoding and a metrics
    // line, with their errors): nothing outside this package uses snapbench as a library.
    products: [
        .executable(name: "snapbench", targets: ["snapbench"]),
        .library(name: "Firecracker", targets: ["Firecracker"]),
        .library(name: "Scenarios", targets: ["Scenarios"]),
    ],
    traits: [
        .trait(
            name: "Postgres",
            description: """
                The shared results store in PostgreSQL (postgres://…), through postgres-nio and swift-nio-ssl. Off by \
                default, so a first build compiles no BoringSSL; scripts/install and scripts/test turn it on.
                """
        )
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        .target(name: "CSystemShims"),
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "CJemallocConfiguration"),
        .target(
            name: "HostSystem",
            dependencies: [
                "CSystemShims",
                "CLibCrypto",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "MicroVM",
            swiftSettings: upcoming
        ),
        .target(
            name: "Randomness",
            swiftSettings: upcoming
        ),
        .target(
            name: "Firecracker",
            dependencies: [
                "Randomness",
                "CSystemShims",
                "HostSystem",
                "MicroVM",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "SnapshotPool",
            dependencies: [
                "Randomness",
                "Firecracker",
                "HostSystem",
                "MicroVM",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "Scenarios",
            dependencies: [
                "Firecracker",
                "HostSystem",
                "Randomness",
                "Reporting",
                "SnapshotPool",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "Harness",
            dependencies: [
                "Scenarios",
                "Randomness",
                "CSystemShims",
                "HostSystem",
                "SnapshotPool",
                "Firecracker",
                "MicroVM",
                "Reporting",
                "CJemalloc",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "Reporting",
            dependencies: ["Randomness"],
            swiftSettings: upcoming
        ),
        .target(
            name: "History",
            dependencies: [
                "Randomness",
                "HostSystem",
                "Reporting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["Postgres"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "snapbench",
            dependencies: [
                "CJemallocConfiguration",
                "HostSystem",
                "Firecracker",
                "SnapshotPool",
                "Harness",
                "Scenarios",
                "Reporting",
                "History",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming,
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "Randomness", "HostSystem", "Firecracker", "Reporting",
            ],
            path: "Tests/TestSupport",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "HostSystemTests",
            dependencies: [
                "HostSystem",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "FirecrackerTests",
            dependencies: [
                "Randomness",
                "Firecracker", "HostSystem", "MicroVM", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "SnapshotPoolTests",
            dependencies: [
                "Randomness",
                "SnapshotPool", "Firecracker", "HostSystem", "MicroVM", "TestSupport",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "HarnessTests",
            dependencies: [
                "Scenarios",
                "Randomness",
                "Harness", "Firecracker", "HostSystem", "MicroVM", "Reporting", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ReportingTests",
            dependencies: [
                "Randomness", "Reporting", "HostSystem", "TestSupport",
            ],
            exclude: ["Golden"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "HistoryTests",
            dependencies: [
                "History", "Reporting", "HostSystem", "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
    ]
)
