package import Logging
package import RPCServer
internal import SwiftProtobuf

/// The REST face: serves the routes generated from `google.api.http` annotations by calling the
/// same handlers (through the same interceptors) as gRPC, plus the hand-written raw routes.
///
/// Every response carries `x-request-id` and the security headers; every error has the one
/// JSON shape. Browser origins are checked against the CORS policy; the client address comes
/// from trusted proxies' forwarding headers; bodies are gzip-compressed when the client asks.
package struct RESTGateway: HTTPResponder {
    private let table: RESTRouteTable
    private let rawRoutes: RawRouteTable
    private let dispatcher: RPCDispatcher
    private let binder: RequestBinder
    private let renderer: ResponseRenderer
    private let eventLabels: [String: StreamEventLabels]
    /// What streams wrote last, rendered once for every watcher of a fanned-out event.
    private let streamRenders = StreamRenderCache()
    /// One ticker sending every idle stream's heartbeat.
    private let heartbeats: StreamHeartbeats
    private let configuration: RESTConfiguration
    private let clientAddresses: ClientAddressResolver
    private let logger: Logger
    private let requestIDs = RequestIDGenerator()
    private let rawRoutesHaveOwnLimits: Bool
    private let rawRoutesStreamBodies: Bool
    private let metrics: any RPCServerMetrics

    /// Creates the gateway.
    ///
    /// - Parameters:
    ///   - routes: The generated route tables of the services to serve; routes whose method has
    ///     no handler in the dispatcher's router are left out.
    ///   - dispatcher: The handlers and interceptors.
    ///   - schema: The messages the routes use, for binding and error messages.
    ///   - rawRoutes: Hand-written routes, matched first.
    ///   - configuration: Limits, CORS, proxies and streaming settings.
    ///   - metrics: Receives every call the routes make (face `rest`), and requests no route
    ///     matches as the one unknown method.
    ///   - logger: Logs failures with their request ids.
    /// - Throws: When a route's path template is malformed.
    package init(
        routes: [RESTRoute],
        dispatcher: RPCDispatcher,
        schema: SchemaRegistry,
        rawRoutes: RawRouteTable = RawRouteTable(),
        configuration: RESTConfiguration = RESTConfiguration(),
        metrics: any RPCServerMetrics = NoMetrics(),
        logger: Logger
    ) throws {
        self.table = try RESTRouteTable(routes: routes, router: dispatcher.router)
        self.rawRoutes = rawRoutes
        self.rawRoutesHaveOwnLimits = rawRoutes.hasOwnBodyLimits
        self.rawRoutesStreamBodies = rawRoutes.hasStreamedBodies
        self.dispatcher = dispatcher
        self.binder = RequestBinder(registry: schema)
        self.renderer = ResponseRenderer(registry: schema)
        var labels: [String: StreamEventLabels] = [:]
        for entry in self.table.entries where entry.handler.descriptor.kind == .serverStreaming {
            let typeName = entry.route.responseType.protoMessageName
            labels[typeName] = StreamEventLabels(schema: schema.message(typeName), fallbackName: typeName)
        }
        self.eventLabels = labels
        self.configuration = configuration
        self.heartbeats = StreamHeartbeats(interval: configuration.heartbeatInterval)
        self.clientAddresses = ClientAddressResolver(trustedProxies: configuration.trustedProxies)
        self.metrics = metrics
        self.logger = logger
    }

    /// The served generated routes as `METHOD template`, in registration order.
    package var routeDescriptions: [String] {
        self.table.entries.map { "\($0.route.httpMethod) \($0.route.pathTemplate)" }
    }

    /// Whether a generated route with this method and path template is served.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - openAPIPath: The template as OpenAPI writes it (`{a.b}` without patterns).
    package func serves(method: String, openAPIPath: String) -> Bool {
        self.table.entries.contains {
            $0.route.httpMethod == method.uppercased() && $0.template.openAPIPath == openAPIPath
        }
    }

    package func maxBodyBytes(method: String, target: String) -> Int? {
        guard self.rawRoutesHaveOwnLimits else { return self.configuration.maxBodyBytes }
        let path = target[..<(target.firstIndex(of: "?") ?? target.endIndex)]
        return self.rawRoutes.maxBodyBytes(method: method, path: path) ?? self.configuration.maxBodyBytes
    }

    package func streamsRequestBody(method: String, target: String) -> Bool {
        guard self.rawRoutesStreamBodies else { return false }
        let path = target[..<(target.firstIndex(of: "?") ?? target.endIndex)]
        return self.rawRoutes.streamsBody(method: method, path: path)
    }

    package func respond(to request: HTTPRequest) async -> HTTPResponse {
        // The request id reaches generated routes through the call's metadata; only raw routes
        // read it from the headers, which are rewritten for them alone (a copy of the list).
        let requestID = request.header("x-request-id").flatMap(RequestID.validated) ?? self.requestIDs.next()
        let client = self.clientAddresses.origin(peer: request.peerAddress, headers: request.headers)
        var response: HTTPResponse
        if let origin = request.header("origin"), !self.rawRoutes.checksOwnOrigin(path: request.path) {
            if !self.configuration.cors.allows(origin) {
                response = ErrorBody.response(
                    for: RPCError(code: .permissionDenied, message: "Origin \(origin) is not allowed to call this API.")
                )
            } else if request.method == "OPTIONS", request.header("access-control-request-method") != nil {
                response = HTTPResponse(status: 204, headers: self.configuration.cors.preflightHeaders(origin: origin))
            } else {
                response = await self.route(request, requestID: requestID, client: client.client)
                response.headers += self.configuration.cors.responseHeaders(origin: origin)
            }
        } else {
            response = await self.route(request, requestID: requestID, client: client.client)
        }
        response.headers.append(("x-request-id", requestID))
        SecurityHeaders.add(to: &response, viaHTTPS: client.viaHTTPS)
        ResponseCompression.apply(
            to: &response,
            acceptEncoding: request.header("accept-encoding"),
            minimumBytes: self.configuration.compressionMinimumBytes
        )
        return response
    }

    private func route(_ request: HTTPRequest, requestID: String, client: ClientAddress) async -> HTTPResponse {
        let path = request.path
        var allowed: Set<String> = []
        switch self.rawRoutes.lookup(method: request.method, path: path) {
        case .found(let handler):
            var request = request
            request.headers.removeAll { HeaderName.matches($0.name, "x-request-id") }
            request.headers.append(("x-request-id", requestID))
            let calls = RawRouteCalls(
                dispatcher: self.dispatcher, request: request, requestID: requestID, client: client,
                metrics: self.metrics, logger: self.logger)
            return await handler(request, calls)
        case .methodNotAllowed(let methods):
            allowed.formUnion(methods)
        case .notFound:
            break
        }
        switch self.table.lookup(method: request.method, path: path) {
        case .matched(let entry, let values):
            return await self.call(
                entry, pathValues: values, request: request, requestID: requestID, client: client)
        case .methodNotAllowed(let methods):
            allowed.formUnion(methods)
        case .notFound:
            break
        }
        if allowed.isEmpty {
            self.metrics.callFinished(
                path: RPCServerMetricsLabel.unknownMethod, code: .notFound, transport: .http, duration: .zero)
            return ErrorBody.response(for: RPCError(code: .notFound, message: "No route matches \(path)."))
        }
        var response = ErrorBody.response(
            httpStatus: 405,
            statusName: "METHOD_NOT_ALLOWED",
            message:
                "\(request.method) is not allowed on \(path); allowed: \(allowed.sorted().joined(separator: ", "))."
        )
        response.headers.append(("allow", allowed.sorted().joined(separator: ", ")))
        return response
    }

    private func call(
        _ entry: RESTRouteTable.Entry,
        pathValues: [(fieldPath: String, value: String)],
        request: HTTPRequest,
        requestID: String,
        client: ClientAddress
    ) async -> HTTPResponse {
        // Streams count when their response starts: their status is OK once the first bytes go out.
        let startedAt = ContinuousClock.now
        var code = RPCError.Code.ok
        defer {
            self.metrics.callFinished(
                path: entry.methodPath, code: code, transport: .http,
                duration: ContinuousClock.now - startedAt)
        }
        let message: [UInt8]
        do {
            message = try self.binder.bind(
                entry.route,
                RequestBinder.Input(
                    pathValues: pathValues,
                    target: request.target,
                    body: request.body,
                    contentType: request.header("content-type"),
                    lastEventID: request.header("last-event-id")
                )
            )
        } catch {
            code = .invalidArgument
            return error.response
        }
        let context = ServerContext(
            descriptor: entry.handler.descriptor,
            requestMetadata: CallMetadata.requestMetadata(from: request.headers, requestID: requestID),
            peer: request.peer,
            clientAddress: client,
            requestID: requestID,
            transport: .http
        )
        if entry.handler.descriptor.kind == .serverStreaming {
            if request.method == "HEAD" {
                return HTTPResponse(
                    status: 200,
                    headers: [("content-type", StreamFormat(accept: request.header("accept")).contentType)]
                )
            }
            return await self.stream(
                entry,
                message: message,
                context: context,
                format: StreamFormat(accept: request.header("accept"))
            )
        }
        do {
            let body: [UInt8]
            if let answer = try await self.dispatcher.unaryMessage(entry.handler, request: message, context: context) {
                body = try self.renderer.render(message: answer, route: entry.route)
            } else {
                let answer = try await self.dispatcher.unary(entry.handler, request: message, context: context)
                body = try self.renderer.render(answer, route: entry.route)
            }
            var headers: [(name: String, value: String)] = [("content-type", "application/json")]
            // Room for what the gateway adds (request id, security headers) without regrowing.
            headers.reserveCapacity(8)
            var response = HTTPResponse(status: 200, headers: headers, body: body)
            if !context.response.initial.isEmpty {
                response.headers += CallMetadata.headers(from: context.response.initial)
            }
            if !context.response.trailing.isEmpty {
                response.headers += CallMetadata.headers(from: context.response.trailing)
            }
            return response
        } catch {
            code = RPCError.from(error).code
            return self.errorResponse(error, context: context)
        }
    }

    private func errorResponse(_ error: any Error, context: ServerContext) -> HTTPResponse {
        ErrorBody.response(for: error, context: context, logger: self.logger)
    }

    private func stream(
        _ entry: RESTRouteTable.Entry,
        message: [UInt8],
        context: ServerContext,
        format: StreamFormat
    ) async -> HTTPResponse {
        let body = BoundedChunkStream(limit: self.configuration.streamBufferBytes)
        let first = FirstStreamEvent()
        let dispatcher = self.dispatcher
        let renderer = self.renderer
        let route = entry.route
        let handler = entry.handler
        let labels = self.eventLabels[route.responseType.protoMessageName]
        let heartbeats = self.heartbeats
        if let comment = format.heartbeat {
            heartbeats.add(body, heartbeat: comment)
        }
        let renders = self.streamRenders
        let renderKey =
            route.responseType.protoMessageName + "|" + route.responseBody
            + (format == .serverSentEvents ? "|sse" : "|ndjson")
        let send: @Sendable (any SwiftProtobuf.Message) async throws -> Void = { response in
            try Task.checkCancellation()
            let framed = try renders.rendered(response, key: renderKey) {
                let json = try renderer.render(message: response, route: route)
                let (id, name) = labels?.labels(of: response) ?? (nil, route.responseType.protoMessageName)
                return format.message(json, id: id, name: name)
            }
            first.record(.started)
            try await body.write(framed)
        }
        let producer = Task {
            do {
                // Protobuf methods hand over their messages; others their bytes, decoded here.
                let typed = try await dispatcher.serverStreamingMessages(
                    handler, request: message, responses: RPCWriter(send), context: context)
                if !typed {
                    try await dispatcher.serverStreaming(
                        handler, request: message,
                        responses: RPCWriter { bytes in
                            try await send(try route.responseType.init(serializedBytes: bytes))
                        },
                        context: context)
                }
                first.record(.started)
            } catch {
                let rpcError = RPCError.from(error)
                if !first.record(.failed(rpcError)) {
                    try? await body.write(format.error(rpcError))
                }
            }
            heartbeats.remove(body)
            body.finish()
        }
        body.onTermination = { [weak body] in
            producer.cancel()
            if let body { heartbeats.remove(body) }
        }
        let delay = self.configuration.streamHeadersDelay
        let timer = Task {
            if (try? await Task.sleep(for: delay)) != nil {
                first.record(.started)
            }
        }
        let outcome = await first.wait()
        timer.cancel()
        if case .failed(let error) = outcome {
            return self.errorResponse(error, context: context)
        }
        var response = HTTPResponse(
            status: 200,
            headers: [
                ("content-type", format.contentType),
                ("cache-control", "no-cache"),
                ("x-accel-buffering", "no"),
            ]
        )
        response.headers += CallMetadata.headers(from: context.response.initial)
        response.bodyStream = RPCAsyncSequence(wrapping: body)
        return response
    }
}
