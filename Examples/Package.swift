// swift-tools-version: 6.1
import PackageDescription

// An app that depends on Zinc by path, as a user's would: it sees only Zinc's public API.
// `scripts/snippets` writes every Swift block of README.md, docs/ and the DocC articles into
// Sources/Snippets/Generated; `scripts/test` builds this package and runs the named ones.
let package = Package(
    name: "ZincExamples",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "zinc", path: "..")],
    targets: [
        .executableTarget(
            name: "Snippets",
            dependencies: [.product(name: "Zinc", package: "zinc")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
