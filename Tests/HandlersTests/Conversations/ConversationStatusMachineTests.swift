import MetaChatAPI
import RPCServer
import Testing

@testable import Handlers

@Suite("Conversation status machine")
struct ConversationStatusMachineTests {
    typealias Machine = ConversationStatusMachine
    typealias State = ConversationStatusMachine.State

    static let states: [State] = [
        State(status: .open), State(status: .awaitingHuman), State(status: .assignedToHuman, assigneeID: "ann"),
        State(status: .resolved), State(status: .closed),
    ]

    static let transitions: [ConversationTransition] = [
        .escalate, .assign(assigneeID: "bob"), .unassign, .handBack, .resolve, .reopen, .close,
        .agentReply(agentID: "cid"), .userMessage,
    ]

    /// The table of conversations.proto: the state each allowed pair leads to.
    static func expected(_ transition: ConversationTransition, from state: State) -> State? {
        switch (transition, state.status) {
        case (.escalate, .open): State(status: .awaitingHuman)
        case (.assign, .open), (.assign, .awaitingHuman), (.assign, .assignedToHuman):
            State(status: .assignedToHuman, assigneeID: "bob")
        case (.unassign, .assignedToHuman): State(status: .awaitingHuman)
        case (.handBack, .awaitingHuman), (.handBack, .assignedToHuman): State(status: .open)
        case (.resolve, .open), (.resolve, .awaitingHuman), (.resolve, .assignedToHuman): State(status: .resolved)
        case (.reopen, .resolved), (.reopen, .closed): State(status: .open)
        case (.close, .open), (.close, .awaitingHuman), (.close, .assignedToHuman), (.close, .resolved):
            State(status: .closed)
        case (.agentReply, .open), (.agentReply, .awaitingHuman): State(status: .assignedToHuman, assigneeID: "cid")
        case (.agentReply, .assignedToHuman): state
        case (.userMessage, .resolved): State(status: .open)
        case (.userMessage, .open), (.userMessage, .awaitingHuman), (.userMessage, .assignedToHuman): state
        default: nil
        }
    }

    @Test("Every status and transition: allowed pairs lead where the contract's table says", arguments: transitions)
    func everyPair(_ transition: ConversationTransition) throws {
        for state in Self.states {
            let expected = Self.expected(transition, from: state)
            do {
                let outcome = try Machine.apply(transition, to: state, conversationID: "c1")
                #expect(outcome.state == expected, "\(transition) from \(state.status)")
                #expect(outcome.statusChanged == (expected?.status != state.status))
                #expect(outcome.assigneeChanged == (expected?.assigneeID != state.assigneeID))
            } catch let error as RPCError {
                #expect(expected == nil, "\(transition) from \(state.status) was refused: \(error.message)")
                #expect(error.code == .failedPrecondition)
                // Both states are named: the current one and the one the transition leads to.
                let target = Machine.name(Machine.rule(for: transition).target)
                #expect(error.message.contains("it is \(Machine.name(state.status))"), "\(error.message)")
                #expect(error.message.contains("to \(target)."), "\(error.message)")
                #expect(error.message.contains("conversation c1"))
            }
        }
    }

    @Test("Assigning the current assignee changes nothing; reassigning changes only the assignee")
    func reassignment() throws {
        let assigned = State(status: .assignedToHuman, assigneeID: "ann")
        let same = try Machine.apply(.assign(assigneeID: "ann"), to: assigned, conversationID: "c")
        let other = try Machine.apply(.assign(assigneeID: "bob"), to: assigned, conversationID: "c")
        #expect(!same.changed)
        #expect(other.assigneeChanged && !other.statusChanged)
    }

    @Test("An illegal transition names both states, e.g. RESOLVED and AWAITING_HUMAN for escalate")
    func message() {
        #expect(throws: RPCError.self) {
            try Machine.apply(.escalate, to: State(status: .resolved), conversationID: "c9")
        }
        do {
            _ = try Machine.apply(.escalate, to: State(status: .resolved), conversationID: "c9")
        } catch let error as RPCError {
            #expect(
                error.message
                    == "Cannot escalate conversation c9: it is RESOLVED, and that moves only OPEN to AWAITING_HUMAN.")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
