internal import Synchronization

/// The standard `grpc.health.v1.Health` service: `Check` answers a service's serving status,
/// `Watch` streams it as it changes.
///
/// The empty service name stands for the whole server. ``RPCServer`` registers one and marks
/// every routed service `SERVING` when it starts listening and `NOT_SERVING` when it begins a
/// graceful shutdown.
package final class HealthService: Sendable {
    /// A serving status.
    package typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    private struct State {
        var statuses: [String: Status] = [:]
        var watchers: [String: [Int: AsyncStream<Status>.Continuation]] = [:]
        var nextWatcherID = 0
    }

    private let state = Mutex(State())

    /// Creates a health service that knows no services yet.
    package init() {}

    /// Sets a service's status and tells its watchers.
    ///
    /// - Parameters:
    ///   - status: The new status.
    ///   - service: The fully qualified service name, or `""` for the whole server.
    package func setStatus(_ status: Status, forService service: String) {
        // Yield under the lock so watchers see changes in the order they were stored.
        self.state.withLock { state in
            state.statuses[service] = status
            for watcher in (state.watchers[service] ?? [:]).values {
                watcher.yield(status)
            }
        }
    }

    /// Sets every known service to a status.
    ///
    /// - Parameter status: The new status.
    package func setAll(_ status: Status) {
        let services = self.state.withLock { Array($0.statuses.keys) }
        for service in services {
            self.setStatus(status, forService: service)
        }
    }

    /// The status of a service, or `nil` when it is unknown.
    ///
    /// - Parameter service: The fully qualified service name, or `""`.
    package func status(ofService service: String) -> Status? {
        self.state.withLock { $0.statuses[service] }
    }

    /// Registers `Check` and `Watch` with a router.
    ///
    /// - Parameter router: The router.
    package func registerMethods(with router: inout RPCRouter) {
        router.registerUnary(
            MethodDescriptor(service: "grpc.health.v1.Health", method: "Check", kind: .unary),
            deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthCheckRequest>(),
            serializer: ProtobufSerializer<Grpc_Health_V1_HealthCheckResponse>()
        ) { request, _ in
            guard let status = self.status(ofService: request.service) else {
                throw RPCError(code: .notFound, message: "Unknown service '\(request.service)'.")
            }
            var response = Grpc_Health_V1_HealthCheckResponse()
            response.status = status
            return response
        }
        router.registerServerStreaming(
            MethodDescriptor(service: "grpc.health.v1.Health", method: "Watch", kind: .serverStreaming),
            deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthCheckRequest>(),
            serializer: ProtobufSerializer<Grpc_Health_V1_HealthCheckResponse>()
        ) { request, writer, _ in
            try await self.watch(service: request.service, writer: writer)
        }
    }

    private func watch(
        service: String,
        writer: RPCWriter<Grpc_Health_V1_HealthCheckResponse>
    ) async throws {
        let (updates, continuation) = AsyncStream<Status>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = self.state.withLock { state in
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[service, default: [:]][id] = continuation
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            return id
        }
        defer {
            _ = self.state.withLock { $0.watchers[service]?.removeValue(forKey: id) }
        }
        var last: Status?
        for await status in updates where status != last {
            last = status
            var response = Grpc_Health_V1_HealthCheckResponse()
            response.status = status
            try await writer.write(response)
        }
        try Task.checkCancellation()
    }
}
