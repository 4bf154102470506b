internal import FoundationEssentials
internal import Handlers
internal import MetaChatAPI
internal import RESTBridge
internal import RPCServer
internal import Storage

extension DashboardResponder {
    /// `/tenants/{id}/…`: the inbox, a conversation, its actions and the live stream. Another
    /// tenant's id is 404 for tenant-scoped users, as for that tenant's key.
    func tenantRoute(_ request: HTTPRequest, _ segments: [Substring]) async throws -> HTTPResponse? {
        guard segments.count >= 3, segments[0] == "tenants" else { return nil }
        let method = request.method
        if segments[2] == "keys" {
            return try await self.withTenant(request, segments[1], unsafe: method != "GET") { session, tenantID, form in
                try await self.keysRoute(request, segments, session: session, tenantID: tenantID, form: form)
                    ?? self.errorPage(status: 404, message: "There is no page at this address.", session: session)
            }
        }
        switch (method, segments.count, segments[2]) {
        case ("GET", 3, "inbox"):
            return try await self.withTenant(request, segments[1], unsafe: false) { session, tenantID, _ in
                try await self.inboxPage(session: session, tenantID: tenantID, request: request)
            }
        case ("GET", 3, "live"):
            return try await self.withTenant(request, segments[1], unsafe: false) { session, tenantID, _ in
                try await self.liveStream(session: session, tenantID: tenantID, request: request)
            }
        case ("GET", 4, "conversations"):
            return try await self.withTenant(request, segments[1], unsafe: false) { session, tenantID, _ in
                try await self.conversationPage(
                    session: session, tenantID: tenantID, conversationID: String(segments[3]), request: request,
                    error: nil)
            }
        case ("POST", 5, "conversations"):
            return try await self.withTenant(request, segments[1], unsafe: true) { session, tenantID, form in
                try await self.conversationAction(
                    String(segments[4]), session: session, tenantID: tenantID, conversationID: String(segments[3]),
                    form: form, request: request)
            }
        default:
            return nil
        }
    }

    /// Runs `body` for a signed-in user who reaches tenant `text`.
    private func withTenant(
        _ request: HTTPRequest, _ text: Substring, unsafe changes: Bool,
        _ body: (DashboardSession, UUID, FormFields) async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        try await self.withSession(request, unsafe: changes) { session, form in
            guard text.utf8.count == 36, let tenantID = UUID(canonicalText: String(text)),
                session.reaches(tenant: tenantID)
            else {
                return self.errorPage(status: 404, message: "There is no page at this address.", session: session)
            }
            return try await body(session, tenantID, form)
        }
    }

    // MARK: Inbox

    private func inboxPage(session: DashboardSession, tenantID: UUID, request: HTTPRequest) async throws
        -> HTTPResponse
    {
        let query = Self.query(of: request)
        let view = query["view"].flatMap(ConversationInbox.View.init(rawValue:)) ?? .awaitingHuman
        var get = Metachat_V1_GetTenantRequest()
        get.tenantID = tenantID.lowercasedString
        let tenant = try await self.tenants.getTenant(
            request: get,
            context: self.context(
                session: session, request: request, method: Metachat_V1_TenantService.Method.getTenant,
                tenantID: tenantID))
        let counts = try await self.inbox.counts(tenantID: tenantID, agentID: session.email)
        let items = try await self.inbox.items(tenantID: tenantID, view: view, agentID: session.email, limit: 500)
        let base = "/tenants/\(tenantID.lowercasedString)"
        let labels: [(ConversationInbox.View, String)] = [
            (.mine, "Mine"), (.awaitingHuman, "Awaiting a human"), (.all, "All open"), (.aiHandled, "AI-handled"),
        ]
        let tabs = labels.map { key, label in
            InboxView.Tab(
                label: label, count: counts[key], href: "\(base)/inbox?view=\(key.rawValue)", current: key == view)
        }
        let rows = items.map { item in
            InboxView.Row(
                href: "\(base)/conversations/\(item.id.lowercasedString)",
                title: item.title.isEmpty ? "Conversation with \(item.externalUserID)" : item.title,
                user: item.externalUserID, channel: item.channelType,
                status: ConversationStatusLabel.label(stored: item.status), assignee: item.assigneeID ?? "",
                waiting: ConversationStatusLabel.waiting(seconds: item.waitingSeconds), messages: item.messageCount)
        }
        let page = InboxView(
            chrome: PageChrome(title: "Inbox", session: session), tenantName: tenant.name, tabs: tabs, rows: rows,
            empty: rows.isEmpty, liveURL: "\(base)/live?after=\(counts.lastEventID)")
        return DashboardResponse.html(self.renderer.render("inbox", page))
    }

    // MARK: Conversation

    func conversationPage(
        session: DashboardSession, tenantID: UUID, conversationID: String, request: HTTPRequest, error: String?,
        httpStatus: Int = 200
    ) async throws -> HTTPResponse {
        let context = self.context(
            session: session, request: request, method: Metachat_V1_ConversationService.Method.getConversation,
            tenantID: tenantID)
        var get = Metachat_V1_GetConversationRequest()
        get.conversationID = conversationID
        let conversation = try await self.conversations.getConversation(request: get, context: context)
        var list = Metachat_V1_ListMessagesRequest()
        list.conversationID = conversationID
        list.pageSize = 200
        list.newestFirst = true
        let messages = try await self.conversations.listMessages(request: list, context: context)
        let notes = try await self.notes.list(
            tenantID: tenantID, conversationID: UUID(canonicalText: conversation.id) ?? UUID())
        let bubbles = messages.messages.reversed().map { message in
            let role = MessageRoleLabel(message.role)
            return ConversationView.Bubble(
                id: message.id, role: role.label, roleClass: role.cssClass, author: message.authorID,
                text: message.text)
        }
        let base = "/tenants/\(tenantID.lowercasedString)"
        let status = conversation.status
        let mine = status == .assignedToHuman && conversation.assigneeID == session.email
        let view = ConversationView(
            chrome: PageChrome(
                title: conversation.title.isEmpty
                    ? "Conversation with \(conversation.externalUserID)" : conversation.title,
                session: session),
            tenantID: tenantID.lowercasedString, conversationID: conversation.id, inboxHref: "\(base)/inbox",
            actionBase: "\(base)/conversations/\(conversation.id)", status: ConversationStatusLabel.label(status),
            assignee: conversation.assigneeID, bubbles: bubbles,
            notes: notes.map { ConversationView.Note(author: $0.author, text: $0.text, createdAt: $0.createdAt) },
            csrfToken: session.csrfToken, canAct: session.role.mayActOnConversations,
            canAssign: [.open, .awaitingHuman, .assignedToHuman].contains(status) && !mine,
            canHandBack: [.awaitingHuman, .assignedToHuman].contains(status),
            canResolve: [.open, .awaitingHuman, .assignedToHuman].contains(status),
            canReopen: [.resolved, .closed].contains(status), canReply: status != .closed, error: error,
            liveURL:
                "\(base)/live?conversation=\(conversation.id)&after=\(messages.lastEventID.isEmpty ? "0" : messages.lastEventID)"
        )
        return DashboardResponse.html(status: httpStatus, self.renderer.render("conversation", view))
    }
}
