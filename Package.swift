// swift-tools-version:6.2
import PackageDescription

/// Whether this is the fuzz build (`scripts/fuzz.sh` sets `METACHAT_FUZZ=1` and builds into
/// `.build-fuzz` with libFuzzer and AddressSanitizer): only then are the fuzz targets declared,
/// because they have no `main` of their own (libFuzzer's is linked in). Normal builds never see
/// them. See docs/fuzzing.md.
let fuzzing = Context.environment["METACHAT_FUZZ"] == "1"

/// Settings every MetaChat Swift target shares: Swift 6 mode plus the upcoming features that make
/// access control and existentials explicit, and nonisolated async functions run on their
/// caller's executor (SE-0461), so the RPC path (interceptor chain, handlers, key and limit
/// lookups) does not hop to the generic executor at every call level. Every target needs the
/// same setting: a module built without it sees unannotated async closure types of one built
/// with it differently and fails to link.
let strictSettings: [SwiftSetting] =
    [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    ]
    // Debug builds (every test run) keep the runtime exclusivity checks; release builds drop
    // them, as they cost ~6% of a unary call (docs/benchmarks.md, "Exclusivity checks"). The
    // fuzz build keeps them: an exclusivity violation is a defect the fuzzer should report.
    + (fuzzing ? [] : [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))])

let package = Package(
    name: "MetaChat",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "metachat", targets: ["MetaChat"]),
        .executable(name: "protoc-gen-metachat", targets: ["protoc-gen-metachat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Without the default BinaryDelimitedStreams trait, SwiftProtobuf needs only FoundationEssentials,
        // so the servers do not load Foundation and ICU (docs/benchmarks.md, "Memory").
        .package(
            url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: ["FieldMaskUtilities"]),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Outbound HTTP (the OpenAI-compatible embeddings client).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Tests only: property checks over extreme values of every client-controlled number.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        // The dashboard's logic-less HTML templates (docs/dashboard.md).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // GET /metrics: the registry and Prometheus text of every metric (docs/metrics.md), and
        // the swift-metrics factory over it, handed through initialisers (no global bootstrap).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: C system libraries (one per library, imported only by the folder that wraps it)
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CProtobufC",
            path: "Tests/CProtobufC",
            pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]
        ),

        .target(
            name: "CZlib",
            linkerSettings: [.linkedLibrary("z")]
        ),
        .target(name: "CProcessorAffinity"),
        // librabbitmq (Debian `librabbitmq-dev`), the optional event bus' client; a compiled
        // target because amqp_login is variadic and needs a shim.
        .target(
            name: "CRabbitMQ",
            linkerSettings: [.linkedLibrary("rabbitmq")]
        ),

        // MARK: Libraries
        .target(
            name: "RPCServer",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "CNGHTTP2",
                "CProcessorAffinity",
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "RESTBridge",
            dependencies: [
                "RPCServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MetaChatAPI",
            dependencies: [
                "RPCServer",
                "RESTBridge",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Storage",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "CPostgres",
                "CHiredis",
                "COpenSSL",
                "CRabbitMQ",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The server's metrics: the transport's calls (both faces) and the platform's own series,
        // on one Prometheus registry created by `serve` (docs/metrics.md).
        .target(
            name: "Monitoring",
            dependencies: [
                "RPCServer",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // The knowledge base's pure readers: content sniffing, text/Markdown/HTML/DOCX extraction,
        // chunking. No I/O, so the fuzz target links only this (docs/knowledge-base.md).
        .target(
            name: "DocumentReaders",
            dependencies: ["CZlib"],
            swiftSettings: strictSettings
        ),
        // The chat orchestrator's pure stream readers: the event-stream parser, the OpenAI and
        // Anthropic stream decoders and the confidence-marker filter. No I/O, so the fuzz target
        // links only this (docs/orchestrator.md).
        .target(
            name: "ChatStreams",
            swiftSettings: strictSettings
        ),
        // The channels' reader of Meta webhook callbacks (WhatsApp Cloud API, Messenger). No I/O,
        // so the fuzz target links only this (docs/channels.md).
        .target(
            name: "MetaWebhooks",
            swiftSettings: strictSettings
        ),
        // The web chat widget's frames: reading the client's, rendering the server's. No I/O, so
        // the fuzz target links only this (docs/widget.md).
        .target(
            name: "WidgetProtocol",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Handlers",
            dependencies: [
                "ChatStreams",
                "MetaWebhooks",
                "WidgetProtocol",
                "DocumentReaders",
                "Monitoring",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "MetaChatAPI",
                "RPCServer",
                "Storage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The operators' and agents' web dashboard (its own port): pages rendered from Mustache
        // templates over the same handlers as the API (docs/dashboard.md). Depends on Handlers,
        // never the other way round.
        .target(
            name: "Dashboard",
            dependencies: [
                "Handlers",
                "MetaChatAPI",
                "RESTBridge",
                "RPCServer",
                "Storage",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Codegen",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "SwiftProtobufPluginLibrary", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Executables
        .executableTarget(
            name: "protoc-gen-metachat",
            dependencies: [
                "Codegen",
                .product(name: "SwiftProtobufPluginLibrary", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "MetaChat",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                "CJemalloc",
                "RPCServer",
                "RESTBridge",
                "MetaChatAPI",
                "Handlers",
                "Dashboard",
                "Monitoring",
                "Storage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Test support
        .target(
            name: "EchoFixture",
            dependencies: [
                "RPCServer",
                "RESTBridge",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Tests/EchoFixture",
            swiftSettings: strictSettings
        ),
        .target(
            name: "CWireFixtures",
            dependencies: ["CProtobufC"],
            path: "Tests/CWireFixtures",
            cSettings: [.headerSearchPath("generated")]
        ),

        .executableTarget(
            name: "echo-server",
            dependencies: [
                "CJemalloc",
                "EchoFixture",
                "Handlers",
                "Monitoring",
                "RPCServer",
                "RESTBridge",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Tests/EchoServer",
            swiftSettings: strictSettings
        ),
        // The cost of one call's metrics (docs/benchmarks.md, "Metrics"): the Prometheus-backed
        // transport metrics beside the hand-rolled counters they replaced, in one run.
        .executableTarget(
            name: "metrics-bench",
            dependencies: [
                "CJemalloc",
                "Monitoring",
                "RPCServer",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Tests/MetricsBench",
            swiftSettings: strictSettings
        ),
        // What the API log costs a call on the request path (docs/benchmarks.md, "API log on the
        // request path"), beside a pass-through interceptor in the same run.
        .executableTarget(
            name: "apilog-bench",
            dependencies: [
                "Handlers",
                "RPCServer",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ApiLogBench",
            swiftSettings: strictSettings
        ),

        // gRPC's interop test service (grpc.testing) for the interop cases and the official
        // interop clients (docs/interop.md).
        .executableTarget(
            name: "interop-server",
            dependencies: [
                "RPCServer",
                "RESTBridge",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Tests/InteropServer",
            swiftSettings: strictSettings
        ),

        // MARK: Tests (one target per module)
        .testTarget(
            name: "RPCServerTests",
            dependencies: [
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                "RPCServer",
                "EchoFixture",
                "Monitoring",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RESTBridgeTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                "RESTBridge",
                "RPCServer",
                "EchoFixture",
                // The inferred update masks are checked on MetaChat's own PATCH routes.
                "MetaChatAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MetaChatAPITests",
            dependencies: [
                "MetaChatAPI",
                "RESTBridge",
                "RPCServer",
                "CWireFixtures",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HandlersTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "ChatStreams",
                "MetaWebhooks",
                "WidgetProtocol",
                "CZlib",
                "DocumentReaders",
                "Monitoring",
                .product(name: "Prometheus", package: "swift-prometheus"),
                // A scripted OpenAI-compatible embeddings server for the client's failure tests.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "Handlers",
                "MetaChatAPI",
                "RPCServer",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "Dashboard",
                "Handlers",
                "MetaChatAPI",
                "RPCServer",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CodegenTests",
            dependencies: [
                "Codegen",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "SwiftProtobufPluginLibrary", package: "swift-protobuf"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: Fuzz targets (fuzz build only)

/// The fuzz targets: each an executable exporting `LLVMFuzzerTestOneInput`, named after its
/// product (`fuzz-<name>`), in `Tests/Fuzz/<folder>`.
let fuzzTargets: [(product: String, folder: String, dependencies: [Target.Dependency])] = [
    ("fuzz-grpc-framing", "GRPCFraming", ["FuzzSupport", "RPCServer"]),
    ("fuzz-http1", "HTTP1", ["FuzzSupport"]),
    ("fuzz-http2", "HTTP2", ["FuzzSupport", "CNGHTTP2"]),
    ("fuzz-rest-binding", "RESTBinding", ["FuzzSupport", "RESTBridge", "RPCServer"]),
    ("fuzz-path-query", "PathQuery", ["FuzzSupport", "RESTBridge"]),
    ("fuzz-document-readers", "DocumentReaders", ["FuzzSupport", "DocumentReaders"]),
    ("fuzz-chat-streams", "ChatStreams", ["FuzzSupport", "ChatStreams"]),
    ("fuzz-text-values", "TextValues", ["FuzzSupport", "Handlers", "RPCServer", "Storage"]),
    ("fuzz-meta-webhooks", "MetaWebhooks", ["MetaWebhooks"]),
    ("fuzz-widget-frames", "WidgetFrames", ["WidgetProtocol"]),
    ("fuzz-multipart", "Multipart", ["RESTBridge"]),
]

if fuzzing {
    package.targets += [
        .target(name: "CFuzzSupport", path: "Tests/Fuzz/CFuzzSupport"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CFuzzSupport",
                "EchoFixture",
                "RPCServer",
                "RESTBridge",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Tests/Fuzz/FuzzSupport",
            swiftSettings: strictSettings
        ),
    ]
    for fuzzTarget in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: fuzzTarget.product,
                dependencies: fuzzTarget.dependencies,
                path: "Tests/Fuzz/\(fuzzTarget.folder)",
                // No `main`: libFuzzer's drives `LLVMFuzzerTestOneInput`.
                swiftSettings: strictSettings + [.unsafeFlags(["-parse-as-library"])]
            )
        )
        package.products.append(.executable(name: fuzzTarget.product, targets: [fuzzTarget.product]))
    }
}
