internal import MetaChatAPI
internal import RPCServer

/// Which ``ConversationTransition`` may happen from which status, and where it leads: the table of
/// `conversations.proto`. Pure: no storage, so every pair of status and transition is tested
/// without a database (`ConversationStatusMachineTests`).
///
/// The assignee is set exactly while the status is ASSIGNED_TO_HUMAN, which the schema enforces
/// too (`conversations_assignee_check`).
enum ConversationStatusMachine {
    /// A conversation's status and assignee.
    struct State: Sendable, Hashable {
        var status: Metachat_V1_ConversationStatus
        /// Set exactly while ``status`` is ASSIGNED_TO_HUMAN.
        var assigneeID: String?
    }

    /// Where a transition leads.
    struct Outcome: Sendable, Hashable {
        /// The state after the transition.
        var state: State
        /// Whether the status changed.
        var statusChanged: Bool
        /// Whether the assignee changed.
        var assigneeChanged: Bool

        /// Whether anything changed.
        var changed: Bool { self.statusChanged || self.assigneeChanged }
    }

    /// The state after `transition`.
    ///
    /// - Parameters:
    ///   - transition: What is asked for.
    ///   - state: The conversation's current state.
    ///   - conversationID: The conversation's ID, for the error message.
    /// - Throws: `FAILED_PRECONDITION` naming the current and the target status when the
    ///   transition is not allowed from the current status.
    static func apply(
        _ transition: ConversationTransition, to state: State, conversationID: String
    ) throws -> Outcome {
        let (sources, target) = Self.rule(for: transition)
        guard sources.contains(state.status) else {
            throw Self.refusal(transition, from: state.status, sources: sources, target: target, id: conversationID)
        }
        let next: State
        switch transition {
        case .assign(let assigneeID):
            next = State(status: .assignedToHuman, assigneeID: assigneeID)
        case .agentReply(let agentID):
            next = state.status == .assignedToHuman ? state : State(status: .assignedToHuman, assigneeID: agentID)
        case .userMessage:
            next = state.status == .resolved ? State(status: .open, assigneeID: nil) : state
        default:
            next = State(status: target, assigneeID: nil)
        }
        return Outcome(
            state: next,
            statusChanged: next.status != state.status,
            assigneeChanged: next.assigneeID != state.assigneeID
        )
    }

    /// The statuses a transition may start from, and the status it leads to.
    static func rule(for transition: ConversationTransition) -> (
        sources: [Metachat_V1_ConversationStatus], target: Metachat_V1_ConversationStatus
    ) {
        switch transition {
        case .escalate: ([.open], .awaitingHuman)
        case .assign: ([.open, .awaitingHuman, .assignedToHuman], .assignedToHuman)
        case .unassign: ([.assignedToHuman], .awaitingHuman)
        case .handBack: ([.awaitingHuman, .assignedToHuman], .open)
        case .resolve: ([.open, .awaitingHuman, .assignedToHuman], .resolved)
        case .reopen: ([.resolved, .closed], .open)
        case .close: ([.open, .awaitingHuman, .assignedToHuman, .resolved], .closed)
        case .agentReply: ([.open, .awaitingHuman, .assignedToHuman], .assignedToHuman)
        case .userMessage: ([.open, .awaitingHuman, .assignedToHuman, .resolved], .open)
        }
    }

    /// The status's name as messages and the schema write it, e.g. `AWAITING_HUMAN`.
    static func name(_ status: Metachat_V1_ConversationStatus) -> String {
        StoredName.status(status) ?? "UNSPECIFIED"
    }

    private static func refusal(
        _ transition: ConversationTransition,
        from status: Metachat_V1_ConversationStatus,
        sources: [Metachat_V1_ConversationStatus],
        target: Metachat_V1_ConversationStatus,
        id: String
    ) -> RPCError {
        let verb: String
        switch transition {
        case .escalate: verb = "escalate"
        case .assign: verb = "assign"
        case .unassign: verb = "unassign"
        case .handBack: verb = "hand back"
        case .resolve: verb = "resolve"
        case .reopen: verb = "reopen"
        case .close: verb = "close"
        case .agentReply: verb = "post an agent reply to"
        case .userMessage: verb = "add a user message to"
        }
        let allowed = sources.map(Self.name).joined(separator: ", ")
        return RPCError(
            code: .failedPrecondition,
            message: "Cannot \(verb) conversation \(id): it is \(Self.name(status)), and that moves only "
                + "\(allowed) to \(Self.name(target)).")
    }
}
