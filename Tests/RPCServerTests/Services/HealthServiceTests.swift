import RPCServer
import Testing

@Suite("Health service", .timeLimit(.minutes(1)))
struct HealthServiceTests {
    private typealias Status = HealthService.Status

    private static let checkMethod = MethodDescriptor(service: "grpc.health.v1.Health", method: "Check", kind: .unary)
    private static let watchMethod = MethodDescriptor(
        service: "grpc.health.v1.Health",
        method: "Watch",
        kind: .serverStreaming
    )

    private static func client(for health: HealthService) -> RPCClient {
        var router = RPCRouter()
        health.registerMethods(with: &router)
        return RPCClient(transport: InProcessTransport(router: router))
    }

    private static func request(_ service: String) -> Grpc_Health_V1_HealthCheckRequest {
        var request = Grpc_Health_V1_HealthCheckRequest()
        request.service = service
        return request
    }

    private static func check(_ service: String, on client: RPCClient) async throws -> Status {
        let response = try await client.unary(
            Self.checkMethod,
            request: Self.request(service),
            serializer: ProtobufSerializer<Grpc_Health_V1_HealthCheckRequest>(),
            deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthCheckResponse>(),
            metadata: [:],
            options: .defaults
        )
        return response.status
    }

    /// Opens a Watch call on `service` and hands `body` an iterator over the statuses it
    /// receives. The call is cancelled when `body` returns.
    private static func withWatch(
        _ service: String,
        on client: RPCClient,
        body: (inout AsyncStream<Status>.Iterator) async throws -> Void
    ) async throws {
        let (statuses, continuation) = AsyncStream<Status>.makeStream()
        let request = Self.request(service)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await client.serverStreaming(
                    Self.watchMethod,
                    request: request,
                    serializer: ProtobufSerializer<Grpc_Health_V1_HealthCheckRequest>(),
                    deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthCheckResponse>(),
                    metadata: [:],
                    options: .defaults
                ) { responses in
                    for try await response in responses {
                        continuation.yield(response.status)
                    }
                }
            }
            var iterator = statuses.makeAsyncIterator()
            try await body(&iterator)
            group.cancelAll()
        }
    }

    @Test("Check answers the status of a known service")
    func checkKnownService() async throws {
        let health = HealthService()
        health.setStatus(.serving, forService: "metachat.v1.TenantService")
        health.setStatus(.notServing, forService: "")
        let client = Self.client(for: health)

        #expect(try await Self.check("metachat.v1.TenantService", on: client) == .serving)
        #expect(try await Self.check("", on: client) == .notServing)
    }

    @Test("Check of an unknown service fails with NOT_FOUND naming the service")
    func checkUnknownService() async throws {
        let client = Self.client(for: HealthService())

        let error = await #expect(throws: RPCError.self) {
            try await Self.check("metachat.v1.Missing", on: client)
        }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("metachat.v1.Missing") == true)
    }

    @Test("Watch sends the current status first, then each change")
    func watchStreamsChanges() async throws {
        let health = HealthService()
        health.setStatus(.serving, forService: "metachat.v1.ChatService")
        let client = Self.client(for: health)

        try await Self.withWatch("metachat.v1.ChatService", on: client) { statuses in
            // Each status is set only after the previous one arrived, so the watcher is
            // registered and nothing is coalesced.
            let first = await statuses.next(isolation: #isolation)
            #expect(first == .serving)

            health.setStatus(.notServing, forService: "metachat.v1.ChatService")
            let second = await statuses.next(isolation: #isolation)
            #expect(second == .notServing)

            health.setStatus(.serving, forService: "metachat.v1.ChatService")
            let third = await statuses.next(isolation: #isolation)
            #expect(third == .serving)
        }
    }

    @Test("Watch does not repeat a status that did not change")
    func watchSkipsRepeatedStatus() async throws {
        let health = HealthService()
        health.setStatus(.serving, forService: "svc")
        let client = Self.client(for: health)

        try await Self.withWatch("svc", on: client) { statuses in
            let first = await statuses.next(isolation: #isolation)
            #expect(first == .serving)

            health.setStatus(.serving, forService: "svc")
            health.setStatus(.notServing, forService: "svc")
            let second = await statuses.next(isolation: #isolation)
            #expect(second == .notServing)
        }
    }

    @Test("Watch of an unknown service sends SERVICE_UNKNOWN first, then the status once it is set")
    func watchUnknownService() async throws {
        let health = HealthService()
        let client = Self.client(for: health)

        try await Self.withWatch("metachat.v1.Later", on: client) { statuses in
            let first = await statuses.next(isolation: #isolation)
            #expect(first == .serviceUnknown)

            health.setStatus(.serving, forService: "metachat.v1.Later")
            let second = await statuses.next(isolation: #isolation)
            #expect(second == .serving)
        }
    }

    @Test("Watchers of other services are not told about a change")
    func watchIsPerService() async throws {
        let health = HealthService()
        health.setStatus(.serving, forService: "a")
        health.setStatus(.serving, forService: "b")
        let client = Self.client(for: health)

        try await Self.withWatch("a", on: client) { statuses in
            let first = await statuses.next(isolation: #isolation)
            #expect(first == .serving)

            health.setStatus(.notServing, forService: "b")
            health.setStatus(.serviceUnknown, forService: "a")
            let second = await statuses.next(isolation: #isolation)
            #expect(second == .serviceUnknown)
        }
    }

    @Test("setAll(.notServing) updates every known service")
    func setAllUpdatesEveryService() async throws {
        let health = HealthService()
        let services = ["", "metachat.v1.TenantService", "metachat.v1.ChatService"]
        for service in services {
            health.setStatus(.serving, forService: service)
        }
        let client = Self.client(for: health)

        health.setAll(.notServing)

        for service in services {
            #expect(health.status(ofService: service) == .notServing)
            #expect(try await Self.check(service, on: client) == .notServing)
        }
        #expect(health.status(ofService: "metachat.v1.Unknown") == nil)
    }

    @Test("setAll tells open watchers")
    func setAllNotifiesWatchers() async throws {
        let health = HealthService()
        health.setStatus(.serving, forService: "")
        health.setStatus(.serving, forService: "svc")
        let client = Self.client(for: health)

        try await Self.withWatch("svc", on: client) { statuses in
            let first = await statuses.next(isolation: #isolation)
            #expect(first == .serving)

            health.setAll(.notServing)
            let second = await statuses.next(isolation: #isolation)
            #expect(second == .notServing)
        }
    }
}
