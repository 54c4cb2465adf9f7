// swift-tools-version:6.2
import PackageDescription

// Warnings stay warnings for users who depend on us; CI turns them into errors with
// `-Xswiftc -warnings-as-errors` (see the Makefile).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Tether",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TetherRetry", targets: ["TetherRetry"]),
        .library(name: "TetherChannels", targets: ["TetherChannels"]),
        .library(name: "TetherNet", targets: ["TetherNet"]),
        .library(name: "TetherSMTP", targets: ["TetherSMTP"]),
        .library(name: "TetherPool", targets: ["TetherPool"]),
        .library(name: "TetherODBC", targets: ["TetherODBC"]),
        .library(name: "TetherTestKit", targets: ["TetherTestKit"]),
        .executable(name: "queue-mailer", targets: ["QueueMailer"]),
    ],
    targets: [
        .systemLibrary(
            name: "CTetherOpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CTetherODBC",
            pkgConfig: "odbc",
            providers: [.apt(["unixodbc-dev"])]
        ),
        .systemLibrary(name: "CTetherSystem"),

        .target(name: "TetherLocking", swiftSettings: strict),
        .target(name: "TetherRetry", swiftSettings: strict),
        .target(name: "TetherChannels", dependencies: ["TetherLocking"], swiftSettings: strict),
        .target(
            name: "TetherNet",
            dependencies: ["CTetherOpenSSL", "CTetherSystem", "TetherLocking"],
            swiftSettings: strict
        ),
        .target(
            name: "TetherSMTP", dependencies: ["TetherNet", "TetherRetry", "TetherLocking"], swiftSettings: strict),
        .target(
            name: "TetherPool", dependencies: ["CTetherSystem", "TetherRetry", "TetherLocking"], swiftSettings: strict),
        .target(
            name: "TetherODBC", dependencies: ["CTetherODBC", "CTetherSystem", "TetherPool", "TetherLocking"],
            swiftSettings: strict),
        .target(
            name: "TetherTestKit",
            dependencies: [
                "TetherRetry", "TetherChannels", "TetherNet", "TetherSMTP", "TetherPool", "CTetherSystem",
                "TetherLocking",
                "CTetherOpenSSL",
            ],
            swiftSettings: strict
        ),
        .target(
            name: "QueueMailerCore",
            dependencies: [
                "TetherRetry", "TetherChannels", "TetherNet", "TetherSMTP", "TetherPool", "TetherODBC", "TetherLocking",
            ],
            path: "Examples/QueueMailer/Sources/QueueMailerCore",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "QueueMailer",
            dependencies: ["QueueMailerCore"],
            path: "Examples/QueueMailer/Sources/QueueMailer",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "ChannelsBenchmark",
            dependencies: ["TetherChannels"],
            path: "Benchmarks/Channels",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "NetBench", dependencies: ["TetherNet", "TetherTestKit"], path: "Benchmarks/NetBench",
            swiftSettings: strict),

        .executableTarget(
            name: "SMTPBenchmark", dependencies: ["TetherSMTP", "TetherTestKit"], path: "Benchmarks/SMTP",
            swiftSettings: strict),

        .executableTarget(
            name: "SMTPSendBenchmark", dependencies: ["TetherSMTP", "TetherNet", "TetherTestKit"],
            path: "Benchmarks/SMTPSend",
            swiftSettings: strict),

        .executableTarget(
            name: "PoolPeersBenchmark", dependencies: ["TetherODBC", "TetherPool"], path: "Benchmarks/PoolPeers",
            swiftSettings: strict),

        .executableTarget(
            name: "PoolBenchmark", dependencies: ["TetherPool", "TetherTestKit"], path: "Benchmarks/Pool",
            swiftSettings: strict),

        .testTarget(name: "TetherHarnessTests", dependencies: ["TetherTestKit"], swiftSettings: strict),
        .testTarget(
            name: "QueueMailerTests", dependencies: ["QueueMailerCore", "TetherTestKit", "TetherLocking"],
            swiftSettings: strict),
        .testTarget(
            name: "TetherSMTPTests", dependencies: ["TetherSMTP", "TetherTestKit", "TetherLocking"],
            swiftSettings: strict),
        .testTarget(
            name: "TetherPoolTests", dependencies: ["TetherPool", "TetherTestKit", "TetherSMTP", "TetherLocking"],
            swiftSettings: strict),
        .testTarget(
            name: "TetherRetryTests", dependencies: ["TetherRetry", "TetherTestKit", "TetherLocking"],
            swiftSettings: strict),
        .testTarget(
            name: "TetherChannelsTests",
            dependencies: ["TetherChannels", "TetherTestKit"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TetherNetTests", dependencies: ["TetherNet", "TetherTestKit", "CTetherOpenSSL", "TetherLocking"],
            swiftSettings: strict),
        .target(name: "CBenchTurns", path: "Benchmarks/BenchTurns"),
        .executableTarget(
            name: "ODBCBench", dependencies: ["CBenchTurns", "TetherODBC", "TetherPool"], path: "Benchmarks/ODBCBench",
            swiftSettings: strict),
        .testTarget(
            name: "TetherODBCTests", dependencies: ["TetherODBC", "TetherPool", "TetherTestKit", "TetherLocking"],
            swiftSettings: strict),
        .testTarget(
            name: "TetherLeakTests",
            dependencies: [
                "TetherChannels", "TetherNet", "TetherPool", "TetherRetry", "TetherSMTP", "TetherODBC", "TetherTestKit",
            ],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
