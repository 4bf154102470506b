internal import FoundationEssentials
internal import Handlers
internal import MetaChatAPI
internal import RPCServer
internal import Storage

extension DashboardResponder {
    /// The most bytes a slow browser may leave unread before the stream waits for it.
    static let liveBufferBytes = 256 * 1024

    /// `GET /tenants/{t}/live[?conversation=<id>][&after=<event id>]`: the tenant's conversation
    /// events as Server-Sent Events, through the API's `WatchConversationEvents` handler.
    ///
    /// The position comes from `Last-Event-ID` (the browser's reconnect) or else `after` (the
    /// position the page was rendered at), so a reconnect resumes without gap or duplicate. A
    /// position the server can no longer resume from ends the stream with `event: end` (the page
    /// says to reload).
    func liveStream(session: DashboardSession, tenantID: UUID, request: HTTPRequest) async throws -> HTTPResponse {
        let query = Self.query(of: request)
        let position = request.header("last-event-id") ?? query["after"] ?? ""
        guard position.isEmpty || (position.utf8.count <= 19 && position.utf8.allSatisfy { (0x30...0x39).contains($0) })
        else {
            return self.errorPage(
                status: 400, message: "after (or Last-Event-ID) must be an event id.", session: session)
        }
        var watch = Metachat_V1_WatchConversationEventsRequest()
        watch.afterEventID = position
        let context = self.context(
            session: session, request: request,
            method: Metachat_V1_ConversationService.Method.watchConversationEvents, tenantID: tenantID)
        if let conversation = query["conversation"], !conversation.isEmpty {
            // An unknown or foreign conversation is 404 before the stream starts.
            var get = Metachat_V1_GetConversationRequest()
            get.conversationID = conversation
            _ = try await self.conversations.getConversation(request: get, context: context)
            watch.conversationID = conversation
        }
        let body = BoundedChunkStream(limit: Self.liveBufferBytes)
        let conversations = self.conversations
        let producer = Task {
            do {
                try await body.write(Array("retry: 2000\n\n".utf8))
                try await conversations.watchConversationEvents(
                    request: watch,
                    response: RPCWriter { event in
                        if let frame = LiveEventFrame.frame(event) {
                            try await body.write(frame)
                        }
                    },
                    context: context)
            } catch let error as RPCError
                where [.failedPrecondition, .invalidArgument, .notFound, .unimplemented].contains(error.code)
            {
                // Not resumable from here: the browser must not retry the same position.
                try? await body.write(Array("event: end\ndata: {}\n\n".utf8))
            } catch {
                // Resumable (shutdown, a slow reader, a lost connection): the browser reconnects
                // with Last-Event-ID.
            }
            body.finish()
        }
        body.onTermination = { producer.cancel() }
        var response = HTTPResponse(
            status: 200,
            headers: [
                ("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-store"),
                ("x-accel-buffering", "no"),
            ] + DashboardResponse.securityHeaders)
        response.bodyStream = RPCAsyncSequence(wrapping: body)
        return response
    }

    /// The decoded query parameters of the request (first value of each name).
    static func query(of request: HTTPRequest) -> [String: String] {
        guard let mark = request.target.firstIndex(of: "?") else { return [:] }
        let text = request.target[request.target.index(after: mark)...]
        guard let fields = try? FormFields(body: Array(text.utf8)) else { return [:] }
        var query: [String: String] = [:]
        for (name, value) in fields.pairs where query[name] == nil {
            query[name] = value
        }
        return query
    }
}
