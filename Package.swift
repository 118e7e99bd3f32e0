// swift-tools-version: 6.2
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "snapbench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "snapbench", targets: ["snapbench"]),
        .library(name: "HostSystem", targets: ["HostSystem"]),
        .library(name: "MicroVM", targets: ["MicroVM"]),
        .library(name: "Firecracker", targets: ["Firecracker"]),
        .library(name: "SnapshotPool", targets: ["SnapshotPool"]),
        .library(name: "Harness", targets: ["Harness"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        .library(name: "History", targets: ["History"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
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
        .target(name: "CJemallocConfiguration"),
        .target(
            name: "HostSystem",
            dependencies: [
                "CSystemShims",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "MicroVM",
            swiftSettings: upcoming
        ),
        .target(
            name: "Firecracker",
            dependencies: [
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
            name: "Harness",
            dependencies: [
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
            dependencies: ["HostSystem"],
            swiftSettings: upcoming
        ),
        .target(
            name: "History",
            dependencies: [
                "HostSystem",
                "Reporting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
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
            dependencies: ["HostSystem", "Firecracker", "Reporting"],
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
                "SnapshotPool", "Firecracker", "HostSystem", "MicroVM", "TestSupport",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "HarnessTests",
            dependencies: [
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
            dependencies: ["Reporting", "HostSystem", "TestSupport"],
            exclude: ["Golden"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "HistoryTests",
            dependencies: [
                "History", "Reporting", "HostSystem", "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
    ]
)
