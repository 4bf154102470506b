/// A change of a conversation's status or assignee: the transition methods of
/// `ConversationService`, an agent's reply, and a user message arriving.
///
/// ``ConversationStatusMachine`` decides which are allowed from which status.
package enum ConversationTransition: Sendable, Hashable {
    /// OPEN → AWAITING_HUMAN.
    case escalate
    /// OPEN, AWAITING_HUMAN, ASSIGNED_TO_HUMAN → ASSIGNED_TO_HUMAN with this assignee.
    case assign(assigneeID: String)
    /// ASSIGNED_TO_HUMAN → AWAITING_HUMAN.
    case unassign
    /// AWAITING_HUMAN, ASSIGNED_TO_HUMAN → OPEN.
    case handBack
    /// OPEN, AWAITING_HUMAN, ASSIGNED_TO_HUMAN → RESOLVED.
    case resolve
    /// RESOLVED, CLOSED → OPEN.
    case reopen
    /// OPEN, AWAITING_HUMAN, ASSIGNED_TO_HUMAN, RESOLVED → CLOSED.
    case close
    /// OPEN, AWAITING_HUMAN → ASSIGNED_TO_HUMAN with the agent as assignee; ASSIGNED_TO_HUMAN
    /// stays as it is.
    case agentReply(agentID: String)
    /// RESOLVED → OPEN; OPEN, AWAITING_HUMAN and ASSIGNED_TO_HUMAN stay as they are.
    case userMessage
}
