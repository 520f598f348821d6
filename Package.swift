// swift-tools-version: 6.1
import PackageDescription

/// Strict settings for every Zinc target (the swift-log approach: one loop, no exceptions).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Zinc",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Zinc", targets: ["Zinc"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .executable(name: "zinc", targets: ["ZincCLI"]),
        .executable(name: "zinc-pad", targets: ["ZincPad"]),
        .executable(name: "zinc-jobs", targets: ["ZincJobs"]),
        .executable(name: "zinc-tree", targets: ["ZincTree"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Ed25519 for node certificates (docs/security.md, "Node certificates").
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // The WebSocket gateway for browsers (docs/web.md): HTTP/1.1, the upgrade, frames.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // `swift package generate-documentation` (scripts/docs builds the one-import reference).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // libzmq from the system. No `pkgConfig:` on purpose: Debian's libzmq.pc adds
        // `-isystem /usr/include/mit-krb5` (from its private Kerberos dependency), a flag SwiftPM
        // refuses with a warning on every build. zmq.h lives in the default include path on
        // Linux and in Homebrew's on macOS, and the module map links `zmq` itself.
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        // zlib, for the compressed text column of document snapshots.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // Pure values: identities, clocks, version vectors, CRDTs, documents, codecs. No I/O.
        .target(name: "ZincCore", dependencies: ["CZlib", .product(name: "DequeModule", package: "swift-collections")]),
        // The protocol: wire format and pure state machines (membership, sync). No I/O.
        .target(
            name: "ZincProtocol",
            dependencies: ["ZincCore", .product(name: "DequeModule", package: "swift-collections"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // A deterministic simulator of whole trees over a faulty network (test support and
        // `zinc simulate`).
        .target(name: "ZincSimulator", dependencies: ["ZincProtocol", "ZincCore"]),
        // SQLite from the system, for the document store.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        // A crash-safe local document store (SQLite, WAL): snapshots plus an update log.
        .target(name: "ZincStore", dependencies: ["ZincCore", "CSQLite"]),
        // The runtime shell: Endpoint, ChannelListener (one I/O thread per endpoint), MessageHandler.
        .target(
            name: "Zinc",
            dependencies: [
                "ZeroMQ", "ZincCore", "ZincProtocol", "ZincStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                // BigString: the rope behind a TextBinding's view (O(log n) edits and offsets).
                .product(name: "_RopeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        // Local tree clusters of `zinc node` processes: `zinc cluster` and the `zinc-tree` demo.
        .target(name: "ZincCluster", dependencies: ["Zinc"]),
        // The C reference loop the binding is measured against.
        .target(name: "CZeroMQBench", dependencies: ["CZeroMQ"]),
        .target(
            name: "ZincBench",
            dependencies: [
                "ZeroMQ", "ZincCore", "ZincProtocol", "ZincStore", "Zinc", "CZeroMQBench", "CZlib",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ZincCLI",
            dependencies: [
                "ZeroMQ", "ZincBench", "ZincSimulator", "ZincCluster", "Zinc", "ZincCore", "ZincProtocol", "ZincStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // ncurses from the system, for the terminal editor demo. No `pkgConfig:`: ncursesw.pc
        // adds -D flags SwiftPM refuses; the header is on the default path and the module map links.
        .systemLibrary(name: "CNCurses", providers: [.apt(["libncurses-dev"]), .brew(["ncurses"])]),
        .executableTarget(
            name: "ZincPad",
            dependencies: [
                "Zinc", "CNCurses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Demos/ZincPad"
        ),
        // The tree-cluster demo: `zinc cluster` with each step explained on screen.
        .executableTarget(
            name: "ZincTree",
            dependencies: ["ZincCluster", "Zinc", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Demos/ZincTree"
        ),
        // The seed's autonomous load balancing: jobs as application messages over the tree.
        .executableTarget(
            name: "ZincJobs",
            dependencies: [
                "Zinc", "ZincCore", "ZincProtocol", "ZincCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Demos/ZincJobs"
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "ZincProtocolTests", dependencies: ["ZincProtocol", "ZincSimulator", "ZincCore"]),
        .testTarget(name: "ZincTests", dependencies: ["Zinc", "ZincCore", "ZincProtocol", "ZeroMQ", "ZincStore", "ZincBench"]),
        .testTarget(
            name: "ZincCoreTests",
            dependencies: ["ZincCore", "ZincBench", .product(name: "PropertyBased", package: "swift-property-based")],
            // Read by path (#filePath), not bundled.
            exclude: ["Fixtures"]
        ),
    ]
)

// libFuzzer harnesses (docs/security.md, "Fuzzing"): only with ZINC_FUZZ set, because they
// have no main and link only with -sanitize=fuzzer. `scripts/fuzz` builds and runs them.
if Context.environment["ZINC_FUZZ"] != nil {
    let harnesses: [(String, [Target.Dependency])] = [
        ("FuzzEnvelope", ["ZincProtocol"]), ("FuzzFragment", ["ZincCore"]), ("FuzzSnapshot", ["ZincCore"]),
        ("FuzzPayloads", ["ZincProtocol", "ZincCore"]), ("FuzzPresence", ["ZincCore"]), ("FuzzVersionVector", ["ZincCore"]),
        ("FuzzAdmin", ["Zinc"]), ("FuzzCertificate", ["ZincProtocol"]), ("FuzzGateway", ["ZincProtocol"]),
        ("FuzzLobby", ["ZincProtocol"]),
    ]
    for (name, dependencies) in harnesses {
        package.targets.append(.executableTarget(name: name, dependencies: dependencies, path: "Fuzz/\(name)"))
        package.products.append(.executable(name: name, targets: [name]))
    }
}

for target in package.targets where target.type != .system && target.name != "CZeroMQBench" {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
}
