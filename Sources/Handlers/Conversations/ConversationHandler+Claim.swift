package import MetaChatAPI
package import RPCServer

extension ConversationHandler {
    /// Assigns a conversation to `agentID` unless another agent holds it: the dashboard's
    /// "assign to me". Two agents claiming at once are serialised by the conversation's row lock;
    /// the loser gets `ABORTED` naming the winner. Claiming a conversation one already holds
    /// changes nothing. Authorisation is ``assignConversation(request:context:)``'s.
    ///
    /// - Throws: What `AssignConversation` throws, and `ABORTED` when another agent holds it.
    package func claimConversation(
        conversationID: String, agentID: String, context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        let access = try await self.access.resolve(context, target: conversationID)
        let id = try ConversationFieldRules.uuid(conversationID, field: "conversationId")
        let assigneeID = try ConversationFieldRules.identifier(agentID, field: "assigneeId")
        return try await self.ledger.transition(
            tenantID: access.tenantID, id: id, .assign(assigneeID: assigneeID), actor: assigneeID, claim: true)
    }
}
