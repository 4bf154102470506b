internal import FoundationEssentials
internal import Handlers
internal import MetaChatAPI
internal import RESTBridge
internal import RPCServer
internal import Storage

extension DashboardResponder {
    /// What a conversation's action buttons and forms post to.
    enum ConversationAction: String {
        case assign, handback, resolve, reopen, reply, note
    }

    /// `POST /tenants/{t}/conversations/{c}/{action}`: through the conversation handler (notes:
    /// the note store), audited; 303 back to the conversation. A refused action shows the
    /// conversation again with the reason: 409 naming the winner when another agent assigned it
    /// first, 400 for a transition its status does not allow or a bad text.
    func conversationAction(
        _ name: String, session: DashboardSession, tenantID: UUID, conversationID: String, form: FormFields,
        request: HTTPRequest
    ) async throws -> HTTPResponse {
        guard let action = ConversationAction(rawValue: name) else {
            return self.errorPage(status: 404, message: "There is no page at this address.", session: session)
        }
        guard session.role.mayActOnConversations else {
            return self.errorPage(status: 403, message: "A viewer cannot act on conversations.", session: session)
        }
        let context = self.context(
            session: session, request: request, method: Metachat_V1_ConversationService.Method.assignConversation,
            tenantID: tenantID)
        do {
            switch action {
            case .assign:
                _ = try await self.conversations.claimConversation(
                    conversationID: conversationID, agentID: session.email, context: context)
            case .handback:
                var handBack = Metachat_V1_HandBackConversationRequest()
                handBack.conversationID = conversationID
                handBack.actorID = session.email
                _ = try await self.conversations.handBackConversation(request: handBack, context: context)
            case .resolve:
                var resolve = Metachat_V1_ResolveConversationRequest()
                resolve.conversationID = conversationID
                resolve.actorID = session.email
                _ = try await self.conversations.resolveConversation(request: resolve, context: context)
            case .reopen:
                var reopen = Metachat_V1_ReopenConversationRequest()
                reopen.conversationID = conversationID
                reopen.actorID = session.email
                _ = try await self.conversations.reopenConversation(request: reopen, context: context)
            case .reply:
                var reply = Metachat_V1_PostAgentReplyRequest()
                reply.conversationID = conversationID
                reply.text = form["text"] ?? ""
                reply.agentID = session.email
                _ = try await self.conversations.postAgentReply(request: reply, context: context)
            case .note:
                // The conversation must be one the session reaches (NOT_FOUND otherwise).
                var get = Metachat_V1_GetConversationRequest()
                get.conversationID = conversationID
                let conversation = try await self.conversations.getConversation(request: get, context: context)
                try await self.notes.add(
                    tenantID: tenantID, conversationID: UUID(canonicalText: conversation.id) ?? UUID(),
                    author: session.email, text: form["text"] ?? "")
            }
        } catch let error as RPCError
            where [.aborted, .failedPrecondition, .invalidArgument].contains(error.code)
        {
            var message = error.message
            if error.code == .aborted, let winner = error.metadata.firstString(forKey: "metachat-assignee") {
                message = "\(winner) assigned this conversation first; it stays with them."
            }
            return try await self.conversationPage(
                session: session, tenantID: tenantID, conversationID: conversationID, request: request,
                error: message, httpStatus: error.code.httpStatus)
        }
        try await self.audit(
            DashboardAuditEntry(
                actor: DashboardAuditEntry.actor(session.userID), action: "dashboard.conversation.\(action.rawValue)",
                target: conversationID.prefix(36).lowercased(), tenantID: tenantID,
                clientAddress: self.clientAddress(of: request)))
        return DashboardResponse.redirect(
            to: "/tenants/\(tenantID.lowercasedString)/conversations/\(conversationID.prefix(36).lowercased())")
    }
}
