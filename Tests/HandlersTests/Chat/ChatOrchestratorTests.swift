import Foundation
import Handlers
import MetaChatAPI
import Prometheus
import RPCServer
import Storage
import Testing

/// The pipeline per user message against a real database and a local OpenAI-compatible server.
@Suite("Chat orchestrator", .serialized)
struct ChatOrchestratorTests {
    /// Splits `text` into pieces of `size` scalars.
    static func pieces(_ text: String, size: Int) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return stride(from: 0, to: scalars.count, by: size).map { start in
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[start..<min(scalars.count, start + size)])
            return String(piece)
        }
    }

    @Test("Streaming: citations first, then text; usage, model and analysis stored; watchers get the pieces")
    func streamingHappyPath() async throws {
        let server = try await FakeModelServer(
            .openAI,
            script: [
                .stream(["We open ", "at 9 ", "on weekdays [1]. ", "[confidence: high]"], usage: (120, 14))
            ])
        try await ChatTestHarness.with(server: server) { harness in
            let (reply, deltas) = try await harness.stream("When do you open?")
            let first = try #require(deltas.first)
            #expect(
                first.citations.count == 1 && first.textDelta.isEmpty && first.userMessage.text == "When do you open?")
            let text = deltas.map(\.textDelta).joined()
            #expect(text == "We open at 9 on weekdays [1].")
            #expect(deltas.last?.isFinal == true && deltas.filter(\.isFinal).count == 1)
            #expect(deltas.map(\.sequence) == Array(0..<Int32(deltas.count)))
            #expect(reply.message.text == text && reply.message.role == .assistant)
            #expect(reply.message.model == "fake-gpt")
            #expect(reply.usage.promptTokens == 120 && reply.usage.completionTokens == 14)
            #expect(reply.escalationAction == .continue && reply.confidenceLevel == .high)
            #expect(reply.message.citations.count == 1 && reply.message.hasLatency)
            let stored = try await harness.messages(reply.conversationID)
            #expect(stored.map(\.role) == [.user, .assistant])
            #expect(stored[1].text == text && stored[1].id == first.messageID)
            let live = harness.livePieces(reply.conversationID)
            #expect(live.first?.citations.count == 1 && live.first?.textDelta == "")
            #expect(live.map(\.textDelta).joined() == text)
            #expect(live.last?.isFinal == true && live.last?.errorMessage == "")
            #expect(live.allSatisfy { $0.messageID == first.messageID })
            let system = try #require(server.requests.first?.messages.first)
            #expect(system.role == "system" && system.content.contains("[1] (Hours) We open at 9 every weekday."))
            #expect(system.content.contains("[confidence: high]") && system.content.contains("Acme"))
            let metrics = harness.metrics.emitToString()
            let provider = #"provider="openai_compatible""#
            #expect(MetricsText.value(metrics, "metachat_llm_tokens_total{\(provider),kind=\"prompt\"}") == 120)
            #expect(MetricsText.value(metrics, "metachat_llm_tokens_total{\(provider),kind=\"completion\"}") == 14)
            #expect(MetricsText.value(metrics, "metachat_llm_request_duration_seconds_count{\(provider)}") == 1)
            #expect(MetricsText.value(metrics, "metachat_llm_unpriced_answers_total{\(provider)}") == 1)
            #expect(MetricsText.value(metrics, "metachat_retrieval_duration_seconds_count") == 1)
            #expect(!metrics.contains("metachat_llm_errors_total{"))
        }
    }

    @Test("The marker never reaches a user: split at every position, not in any delta, event or stored text")
    func markerNeverReachesUser() async throws {
        let answer = "Yes, we deliver on Sundays. [confidence: medium]"
        let markerStart = answer.unicodeScalars.count - "[confidence: medium]".unicodeScalars.count - 1
        let scalars = Array(answer.unicodeScalars)
        let splits = Array(markerStart...scalars.count)
        let script: [FakeModelServer.Answer] = splits.map { split in
            var head = String.UnicodeScalarView()
            head.append(contentsOf: scalars[..<split])
            var tail = String.UnicodeScalarView()
            tail.append(contentsOf: scalars[split...])
            return .stream([String(head), String(tail)].filter { !$0.isEmpty })
        }
        let server = try await FakeModelServer(.openAI, script: script)
        try await ChatTestHarness.with(server: server) { harness in
            var conversation = ""
            for _ in splits {
                let (reply, deltas) = try await harness.stream("Do you deliver on Sundays?", conversation: conversation)
                conversation = reply.conversationID
                for delta in deltas {
                    #expect(!delta.textDelta.lowercased().contains("confidence"))
                    #expect(!delta.message.text.lowercased().contains("confidence"))
                }
                #expect(reply.message.text.hasPrefix("Yes, we deliver on Sundays."))
                #expect(reply.confidenceLevel != .unspecified)
            }
            for message in try await harness.messages(conversation) {
                #expect(!message.text.lowercased().contains("confidence"))
            }
            for piece in harness.livePieces(conversation) {
                #expect(!piece.textDelta.lowercased().contains("confidence"))
            }
            #expect(server.requests.count == splits.count)
        }
    }

    @Test("IMMEDIATE_ESCALATION: the answer is withheld, the hand-off message sent, the conversation awaits a human")
    func immediateEscalation() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["I don't know. [confidence: very_low]"])])
        let settings =
            #"{"llm":{"provider":"LLM_PROVIDER_OPENAI_COMPATIBLE","baseUrl":"$BASE"},"escalation":{"enabled":true,"handoffMessage":"An agent will help you."}}"#
        try await ChatTestHarness.with(server: server, settings: settings) { harness in
            let reply = try await harness.send("Can you fix my invoice?")
            #expect(reply.escalated && reply.escalationReason == .lowConfidence)
            #expect(reply.escalationAction == .immediateEscalation)
            #expect(reply.message.role == .system && reply.message.text == "An agent will help you.")
            let stored = try await harness.messages(reply.conversationID)
            #expect(stored.map(\.role) == [.user, .system], "the AI answer is not stored as a message")
            #expect(try await harness.conversation(reply.conversationID).status == .awaitingHuman)
            let escalated = harness.events.committed.compactMap { event -> Metachat_V1_ConversationEvent.Escalated? in
                if case .escalated(let escalated) = event.payload { return escalated }
                return nil
            }
            #expect(escalated.count == 1 && escalated[0].note.contains("Answer withheld"))
            #expect(escalated[0].messageID == reply.userMessage.id)
        }
    }

    @Test("SUGGEST_REVIEW: sent with the disclaimer, answer and conversation flagged for review")
    func suggestReview() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["We open at 9, I think. [confidence: low]"])])
        let settings =
            #"{"llm":{"provider":"LLM_PROVIDER_OPENAI_COMPATIBLE","baseUrl":"$BASE"},"escalation":{"enabled":true,"disclaimerText":"Please double-check."}}"#
        try await ChatTestHarness.with(server: server, settings: settings) { harness in
            let (reply, deltas) = try await harness.stream("When do you open?")
            #expect(reply.escalationAction == .suggestReview && !reply.escalated)
            #expect(reply.message.text == "We open at 9, I think.\n\nPlease double-check.")
            #expect(deltas.map(\.textDelta).joined() == reply.message.text)
            #expect(reply.message.needsReview)
            #expect(try await harness.conversation(reply.conversationID).needsReview)
        }
    }

    @Test("SEND_WITH_DISCLAIMER for a MEDIUM answer; CONTINUE for a confident one")
    func disclaimerAndContinue() async throws {
        let server = try await FakeModelServer(.openAI) { request in
            request.question.contains("medium")
                ? .stream(["We open at 9 on weekdays. [confidence: medium]"])
                : .stream(["We open at 9 on weekdays. [confidence: high]"])
        }
        let settings =
            #"{"llm":{"provider":"LLM_PROVIDER_OPENAI_COMPATIBLE","baseUrl":"$BASE"},"escalation":{"enabled":true}}"#
        try await ChatTestHarness.with(server: server, settings: settings) { harness in
            let medium = try await harness.send("medium: when?")
            #expect(medium.escalationAction == .sendWithDisclaimer)
            #expect(medium.message.text.hasSuffix(EscalationPolicy.defaultDisclaimer))
            let high = try await harness.send("high: when?", conversation: medium.conversationID)
            #expect(high.escalationAction == .continue && high.message.text == "We open at 9 on weekdays.")
        }
    }

    @Test("Keyword hand-off makes no provider call; a human-owned conversation gets none; hand back re-enables it")
    func keywordHandOff() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["Back to the bot. [confidence: high]"])])
        let settings =
            #"{"llm":{"provider":"LLM_PROVIDER_OPENAI_COMPATIBLE","baseUrl":"$BASE"},"escalation":{"enabled":true,"keywords":["human"]}}"#
        try await ChatTestHarness.with(server: server, settings: settings) { harness in
            let handedOff = try await harness.send("I want a Human please")
            #expect(handedOff.escalated && handedOff.escalationReason == .keyword)
            #expect(
                handedOff.message.role == .system && handedOff.message.text == EscalationPolicy.defaultHandoffMessage)
            #expect(server.requests.isEmpty)
            let id = handedOff.conversationID
            #expect(try await harness.conversation(id).status == .awaitingHuman)

            let waiting = try await harness.send("Hello?", conversation: id)
            #expect(waiting.awaitingHuman && !waiting.hasMessage && waiting.userMessage.text == "Hello?")
            #expect(server.requests.isEmpty)

            // An agent replies: watchers hear it.
            var agent = Metachat_V1_Message()
            agent.role = .agent
            agent.text = "Hi, I'm Sam."
            agent.authorID = "sam"
            _ = try await harness.ledger.record(
                tenantID: harness.tenantID, conversationID: try #require(UUID(uuidString: id)), agent, actor: "sam")
            #expect(
                harness.events.committed.contains {
                    if case .messageCreated(let created) = $0.payload { return created.message.text == "Hi, I'm Sam." }
                    return false
                })
            let assigned = try await harness.send("Thanks Sam", conversation: id)
            #expect(assigned.awaitingHuman && server.requests.isEmpty)

            _ = try await harness.ledger.transition(
                tenantID: harness.tenantID, id: try #require(UUID(uuidString: id)), .handBack, actor: "sam")
            let answered = try await harness.send("One more question", conversation: id)
            #expect(answered.message.role == .assistant && server.requests.count == 1)
            // The agent's words are in the prompt as the assistant side.
            #expect(server.requests[0].messages.contains { $0.role == "assistant" && $0.content == "Hi, I'm Sam." })
        }
    }

    @Test("A 30-turn conversation with a small budget sends the newest turns, oldest first, then the question")
    func historyBudget() async throws {
        let server = try await FakeModelServer(.openAI) { request in
            .stream(["Answer to \(request.question). [confidence: high]"])
        }
        var configuration = ChatOrchestrator.Configuration.defaults
        configuration.historyTokenBudget = 60
        try await ChatTestHarness.with(server: server, configuration: configuration) { harness in
            var conversation = ""
            for turn in 1...30 {
                let reply = try await harness.send("question \(turn)", conversation: conversation)
                conversation = reply.conversationID
            }
            let last = try #require(server.requests.last).messages.dropFirst()  // the system prompt
            #expect(last.last?.content == "question 30" && last.last?.role == "user")
            let history = Array(last.dropLast())
            #expect(history.count >= 4 && history.count < 58, "the budget dropped the oldest turns")
            // What is kept is the newest part, in order, ending right before the question.
            #expect(history.last?.content == "Answer to question 29.")
            #expect(history.suffix(2).first?.content == "question 29")
            #expect(!history.contains { $0.content == "question 1" })
            let contents = history.map(\.content)
            let numbers = contents.compactMap { text -> Int? in
                Int(
                    text.replacingOccurrences(of: "Answer to ", with: "").replacingOccurrences(
                        of: "question ", with: ""
                    )
                    .replacingOccurrences(of: ".", with: ""))
            }
            #expect(numbers == numbers.sorted())
        }
    }

    @Test(
        "Idempotency: the same key answers the first reply without a second model call; other content is ALREADY_EXISTS"
    )
    func idempotency() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["Hello! [confidence: high]"])])
        try await ChatTestHarness.with(server: server) { harness in
            let first = try await harness.send("Hi", key: "key-1")
            let again = try await harness.send("Hi", key: "key-1")
            #expect(server.requests.count == 1)
            #expect(again.replayed && !first.replayed)
            #expect(again.message.id == first.message.id && again.conversationID == first.conversationID)
            #expect(again.message.text == first.message.text)
            await expectRPCError(.alreadyExists, "idempotencyKey") { try await harness.send("Hi there", key: "key-1") }
            #expect(try await harness.messages(first.conversationID).count == 2)
        }
    }

    @Test("Twenty concurrent messages to one conversation: one turn at a time, each answer right after its question")
    func concurrentOrdering() async throws {
        let server = try await FakeModelServer(.openAI) { request in
            .stream(["Re: ", request.question, ". [confidence: high]"])
        }
        try await ChatTestHarness.with(server: server, maximumConnections: 10) { harness in
            let conversation = try await harness.send("start").conversationID
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...20 {
                    group.addTask { _ = try await harness.send("message \(index)", conversation: conversation) }
                }
                try await group.waitForAll()
            }
            let messages = try await harness.messages(conversation)
            #expect(messages.count == 42)
            for pair in stride(from: 0, to: messages.count, by: 2) {
                #expect(messages[pair].role == .user && messages[pair + 1].role == .assistant)
                #expect(messages[pair + 1].text == "Re: \(messages[pair].text).")
            }
            // Each prompt held every earlier exchange: turns never overlapped.
            for request in server.requests {
                let history = request.messages.dropFirst().dropLast()
                #expect(history.count % 2 == 0, "a prompt saw a question without its answer")
            }
        }
    }

    @Test("An exhausted monthly quota is RESOURCE_EXHAUSTED naming it, before any model call or stored message")
    func quotaRefusal() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["One. [confidence: high]"], usage: (10, 5))])
        let settings =
            #"{"llm":{"provider":"LLM_PROVIDER_OPENAI_COMPATIBLE","baseUrl":"$BASE"},"quota":{"monthlyMessageQuota":"1","monthlyTokenQuota":"1000"}}"#
        try await ChatTestHarness.with(server: server, settings: settings) { harness in
            let first = try await harness.send("first")
            await expectRPCError(.resourceExhausted, "monthlyMessageQuota") {
                try await harness.send("second", conversation: first.conversationID)
            }
            #expect(server.requests.count == 1)
            #expect(try await harness.messages(first.conversationID).count == 2)
            await expectRPCError(.resourceExhausted, "monthlyMessageQuota") { try await harness.send("new one") }
        }
    }

    @Test("The token quota counts prompt and completion tokens")
    func tokenQuota() async throws {
        let server = try await FakeModelServer(
            .openAI, script: [.stream(["One. [confidence: high]"], usage: (600, 400))])
        let settings =
            #"{"llm":{"provider":"LLM_PROVIDER_OPENAI_COMPATIBLE","baseUrl":"$BASE"},"quota":{"monthlyTokenQuota":"1000"}}"#
        try await ChatTestHarness.with(server: server, settings: settings) { harness in
            let first = try await harness.send("first")
            await expectRPCError(.resourceExhausted, "monthlyTokenQuota") {
                try await harness.send("second", conversation: first.conversationID)
            }
            #expect(server.requests.count == 1)
        }
    }

    @Test("A failure mid-stream stores no answer, tells watchers, and a retry with the same key takes over")
    func failureMidStream() async throws {
        let truncated = Array(FakeModelServer.events(.openAI, pieces: ["Half ", "an answer"], usage: (1, 1)).prefix(3))
        let server = try await FakeModelServer(
            .openAI,
            script: [
                .raw(truncated, end: true), .stream(["Whole answer. [confidence: high]"]),
            ])
        try await ChatTestHarness.with(server: server) { harness in
            await expectRPCError(.unavailable, "truncated") { try await harness.send("Question?", key: "k-fail") }
            let conversation = try #require(harness.events.committed.first?.conversationID)
            #expect(try await harness.messages(conversation).map(\.role) == [.user])
            let live = harness.livePieces(conversation)
            #expect(live.last?.isFinal == true && live.last?.errorMessage.contains("truncated") == true)
            #expect(
                MetricsText.value(
                    harness.metrics.emitToString(),
                    #"metachat_llm_errors_total{provider="openai_compatible",status="UNAVAILABLE"}"#) == 1)
            let retry = try await harness.send("Question?", key: "k-fail")
            #expect(retry.conversationID == conversation && retry.message.text == "Whole answer.")
            #expect(try await harness.messages(conversation).map(\.role) == [.user, .assistant], "one user message")
        }
    }

    @Test("Without settings the offline local provider answers extractively with citations; no network")
    func localProvider() async throws {
        let retriever = FixedRetriever(passages: [
            ("Shipping", "We ship worldwide. Delivery to Canada takes five days."),
            ("Returns", "Returns are free within 30 days."),
        ])
        try await ChatTestHarness.with(server: nil, settings: "{}", retriever: retriever) { harness in
            let (reply, deltas) = try await harness.stream("How long does delivery to Canada take?")
            #expect(reply.message.text.hasPrefix("Delivery to Canada takes five days. [1]"))
            #expect(reply.message.model == LocalChatModel.modelName)
            #expect(reply.citations.count == 2 && deltas.first?.citations.count == 2)
            #expect(!reply.message.text.contains("confidence"))
            #expect(reply.usage.totalTokens == 0)
            let none = try await harness.send("Quantum chromodynamics?", conversation: reply.conversationID)
            #expect(none.message.text == LocalChatModel.noInformation)
            #expect(none.confidenceLevel == .veryLow || none.confidenceLevel == .low)
        }
    }

    @Test("A server key is never sent to a tenant's base URL")
    func serverKeyNeverSentElsewhere() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["x"])])
        let settings = #"{"llm":{"provider":"LLM_PROVIDER_OPENAI","baseUrl":"$BASE"}}"#
        try await ChatTestHarness.with(
            server: server, settings: settings, defaults: ChatProviderDefaults(openAIKey: "sk-server-secret")
        ) { harness in
            await expectRPCError(.failedPrecondition, "settings.llm.apiKey is required") {
                try await harness.send("Hi")
            }
            #expect(server.requests.isEmpty)
        }
    }

    @Test("POST /api/chat: the original body answered in its shape")
    func legacyChat() async throws {
        try await ChatTestHarness.with(server: nil, settings: "{}") { harness in
            var request = Metachat_V1_LegacyChatRequest()
            request.message = "When do you open?"
            let response = try await harness.handler.chat(request: request, context: harness.context)
            #expect(response.response.hasPrefix("We open at 9 every weekday."))
            #expect(!response.conversationID.isEmpty && !response.messageID.isEmpty && response.sources.count == 1)
            request.conversationID = response.conversationID
            request.message = "And on weekends?"
            let next = try await harness.handler.chat(request: request, context: harness.context)
            #expect(next.conversationID == response.conversationID)
            request.message = ""
            await expectRPCError(.invalidArgument, "message") {
                try await harness.handler.chat(request: request, context: harness.context)
            }
            request.message = "x"
            request.tenantID = "not-a-uuid"
            await expectRPCError(.invalidArgument, "tenantId") {
                try await harness.handler.chat(request: request, context: harness.context)
            }
            request.tenantID = UUID().uuidString.lowercased()
            await expectRPCError(.notFound) {
                try await harness.handler.chat(request: request, context: harness.context)
            }
        }
    }

    /// One bad SendMessage request: what differs from a good one, and the field named.
    struct BadCase: Sendable, CustomStringConvertible {
        var text = "Hello"
        var user = "user-1"
        var conversationID = ""
        var key = ""
        var metadata: [String: String] = [:]
        var channelID = ""
        var channelType = Metachat_V1_ChannelType.unspecified
        var field: String

        var description: String { self.field }
    }

    @Test(
        "Bad SendMessage input is INVALID_ARGUMENT naming the field, and stores nothing",
        arguments: [
            BadCase(text: "", field: "text"),
            BadCase(text: "   ", field: "text"),
            BadCase(text: String(repeating: "a", count: 8001), field: "text"),
            BadCase(user: "", field: "externalUserId"),
            BadCase(conversationID: "nope", field: "conversationId"),
            BadCase(key: String(repeating: "k", count: 129), field: "idempotencyKey"),
            BadCase(metadata: ["bad key!": "v"], field: "metadata"),
            BadCase(channelID: "x", field: "channelId"),
            BadCase(channelID: UUID().uuidString.lowercased(), channelType: .api, field: "channelType"),
        ])
    func badInput(bad: BadCase) async throws {
        try await ChatTestHarness.with(server: nil, settings: "{}") { harness in
            var request = Metachat_V1_SendMessageRequest()
            request.text = bad.text
            request.externalUserID = bad.user
            request.conversationID = bad.conversationID
            request.idempotencyKey = bad.key
            request.metadata = bad.metadata
            request.channelID = bad.channelID
            request.channelType = bad.channelType
            await expectRPCError(.invalidArgument, bad.field) {
                try await harness.handler.sendMessage(request: request, context: harness.context)
            }
            let count = try await harness.pool.withAdminTransaction { connection in
                try await connection.query("SELECT count(*)::int8 AS n FROM messages")[0].decode("n", as: Int64.self)
            }
            #expect(count == 0)
        }
    }
}
