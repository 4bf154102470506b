import Dashboard
import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import Testing

/// The inbox and the conversation view: views and counts, longest waiting first, tenant scoping
/// (404 for another tenant's conversation), viewers cannot act, race-safe "assign to me" (the
/// loser is told who won), hand back, resolve, reopen, replies and private notes.
@Suite("Dashboard inbox and conversations", .serialized)
struct DashboardInboxTests {
    /// Creates a conversation with one user message; its last message time is `minutesAgo` back.
    static func conversation(
        _ harness: DashboardTestHarness, tenant: UUID, user: String, minutesAgo: Int = 0, text: String = "Hello"
    ) async throws -> UUID {
        let ledger = harness.ledger
        let conversation = try await ledger.create(
            tenantID: tenant, channelType: "API", channelID: nil, externalUserID: user, title: "", metadata: [:])
        var message = Metachat_V1_Message()
        message.role = .user
        message.text = text
        message.authorID = user
        let id = try #require(UUID(uuidString: conversation.id))
        _ = try await ledger.record(tenantID: tenant, conversationID: id, message, actor: user)
        try await harness.pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                UPDATE conversations SET last_message_at = now() - \(minutesAgo) * interval '1 minute'
                WHERE tenant_id = \(tenant) AND id = \(id)
                """)
        }
        return id
    }

    static func escalate(_ harness: DashboardTestHarness, tenant: UUID, _ id: UUID) async throws {
        _ = try await harness.ledger.transition(
            tenantID: tenant, id: id, .escalate, actor: "test")
    }

    static func path(_ tenant: UUID, _ rest: String) -> String {
        "/tenants/\(tenant.uuidString.lowercased())\(rest)"
    }

    @Test("Views count mine, awaiting a human, all open and AI-handled; rows are longest waiting first")
    func viewsAndCounts() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            try await harness.makeUser("agent@acme.example", .agent, tenant: tenant)
            let newer = try await Self.conversation(harness, tenant: tenant, user: "newer", minutesAgo: 5)
            let older = try await Self.conversation(harness, tenant: tenant, user: "older", minutesAgo: 50)
            let ai = try await Self.conversation(harness, tenant: tenant, user: "ai-only", minutesAgo: 1)
            try await Self.escalate(harness, tenant: tenant, newer)
            try await Self.escalate(harness, tenant: tenant, older)
            _ = ai
            let token = try await harness.login("agent@acme.example")
            let page = await harness.send("GET", Self.path(tenant, "/inbox?view=awaiting"), cookie: token)
            #expect(page.status == 200)
            let text = page.text
            #expect(text.contains("Mine <span class=\"count\">0</span>"))
            #expect(text.contains("Awaiting a human <span class=\"count\">2</span>"))
            #expect(text.contains("All open <span class=\"count\">3</span>"))
            #expect(text.contains("AI-handled <span class=\"count\">1</span>"))
            let olderAt = try #require(text.range(of: ">older<"))
            let newerAt = try #require(text.range(of: ">newer<"))
            #expect(olderAt.lowerBound < newerAt.lowerBound)
            #expect(!text.contains(">ai-only<"))
            #expect(text.contains("data-live-url=\"/tenants/\(tenant.uuidString.lowercased())/live?after="))
            // Signed-in tenant users land on their inbox.
            let home = await harness.send("GET", "/", cookie: token)
            #expect(home.header("location") == Self.path(tenant, "/inbox"))
        }
    }

    @Test("An agent of tenant A gets 404 for tenant B's inbox, conversation and actions")
    func foreignTenant() async throws {
        try await DashboardTestHarness.with { harness in
            let tenantA = try await harness.makeTenant("A")
            let tenantB = try await harness.makeTenant("B")
            let foreign = try await Self.conversation(harness, tenant: tenantB, user: "b-user")
            try await harness.makeUser("agent@a.example", .agent, tenant: tenantA)
            let token = try await harness.login("agent@a.example")
            let csrf = try await harness.csrf(token, page: "/tenants")
            let id = foreign.uuidString.lowercased()
            #expect(await harness.send("GET", Self.path(tenantB, "/inbox"), cookie: token).status == 404)
            #expect(await harness.send("GET", Self.path(tenantB, "/conversations/\(id)"), cookie: token).status == 404)
            #expect(await harness.send("GET", Self.path(tenantB, "/live"), cookie: token).status == 404)
            // Tenant B's conversation under tenant A's path: the handler's rule, 404 as well.
            #expect(await harness.send("GET", Self.path(tenantA, "/conversations/\(id)"), cookie: token).status == 404)
            let action = await harness.send(
                "POST", Self.path(tenantA, "/conversations/\(id)/assign"), cookie: token, form: [("csrf", csrf)])
            #expect(action.status == 404)
            let note = await harness.send(
                "POST", Self.path(tenantA, "/conversations/\(id)/note"), cookie: token,
                form: [("csrf", csrf), ("text", "peek")])
            #expect(note.status == 404)
            let stored = try await ConversationLedger(pool: harness.pool).conversation(tenantID: tenantB, id: foreign)
            #expect(stored.status == .open)
        }
    }

    @Test("A viewer sees a conversation but every action is 403 and nothing changes")
    func viewer() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            let id = try await Self.conversation(harness, tenant: tenant, user: "customer")
            try await harness.makeUser("viewer@acme.example", .viewer, tenant: tenant)
            let token = try await harness.login("viewer@acme.example")
            let page = await harness.send(
                "GET", Self.path(tenant, "/conversations/\(id.uuidString.lowercased())"), cookie: token)
            #expect(page.status == 200)
            #expect(!page.text.contains("Assign to me"))
            let csrf = try await harness.csrf(token, page: "/tenants")
            for action in ["assign", "handback", "resolve", "reopen", "reply", "note"] {
                let response = await harness.send(
                    "POST", Self.path(tenant, "/conversations/\(id.uuidString.lowercased())/\(action)"), cookie: token,
                    form: [("csrf", csrf), ("text", "hi")])
                #expect(response.status == 403, "\(action)")
            }
            let stored = try await ConversationLedger(pool: harness.pool).conversation(tenantID: tenant, id: id)
            #expect(stored.status == .open && stored.messageCount == 1)
        }
    }

    @Test("Two agents assigning at once: one wins, the other gets 409 naming the winner")
    func assignRace() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            let id = try await Self.conversation(harness, tenant: tenant, user: "customer")
            try await Self.escalate(harness, tenant: tenant, id)
            try await harness.makeUser("ann@acme.example", .agent, tenant: tenant)
            try await harness.makeUser("bob@acme.example", .agent, tenant: tenant)
            let ann = try await harness.login("ann@acme.example")
            let bob = try await harness.login("bob@acme.example")
            let annCSRF = try await harness.csrf(ann)
            let bobCSRF = try await harness.csrf(bob)
            let path = Self.path(tenant, "/conversations/\(id.uuidString.lowercased())/assign")
            async let first = harness.send("POST", path, cookie: ann, form: [("csrf", annCSRF)])
            async let second = harness.send("POST", path, cookie: bob, form: [("csrf", bobCSRF)])
            let responses = await [first, second]
            let statuses = responses.map(\.status).sorted()
            #expect(statuses == [303, 409])
            let stored = try await ConversationLedger(pool: harness.pool).conversation(tenantID: tenant, id: id)
            #expect(stored.status == .assignedToHuman)
            let loser = try #require(responses.first { $0.status == 409 })
            #expect(loser.text.contains("\(stored.assigneeID) assigned this conversation first"))
            // Assigning again to oneself changes nothing and succeeds.
            let winnerToken = stored.assigneeID == "ann@acme.example" ? ann : bob
            let winnerCSRF = stored.assigneeID == "ann@acme.example" ? annCSRF : bobCSRF
            #expect(await harness.send("POST", path, cookie: winnerToken, form: [("csrf", winnerCSRF)]).status == 303)
        }
    }

    @Test("Reply, private note, hand back, resolve and reopen; notes never become messages")
    func workflow() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            let id = try await Self.conversation(harness, tenant: tenant, user: "customer")
            try await harness.makeUser("ann@acme.example", .agent, tenant: tenant)
            let token = try await harness.login("ann@acme.example")
            let csrf = try await harness.csrf(token)
            let base = Self.path(tenant, "/conversations/\(id.uuidString.lowercased())")
            func post(_ action: String, _ text: String? = nil) async -> HTTPResponse {
                var form = [("csrf", csrf)]
                if let text { form.append(("text", text)) }
                return await harness.send("POST", "\(base)/\(action)", cookie: token, form: form)
            }
            let ledger = ConversationLedger(pool: harness.pool)
            #expect(await post("assign").status == 303)
            #expect(try await ledger.conversation(tenantID: tenant, id: id).assigneeID == "ann@acme.example")
            #expect(await post("reply", "We are on it <b>now</b>").status == 303)
            #expect(await post("note", "Customer is a VIP").status == 303)
            let page = await harness.send("GET", base, cookie: token)
            #expect(page.text.contains("We are on it &lt;b&gt;now&lt;/b&gt;"))
            #expect(page.text.contains("Customer is a VIP"))
            let stored = try await ledger.conversation(tenantID: tenant, id: id)
            #expect(stored.messageCount == 2)
            #expect(await post("handback").status == 303)
            #expect(try await ledger.conversation(tenantID: tenant, id: id).status == .open)
            #expect(await post("resolve").status == 303)
            #expect(try await ledger.conversation(tenantID: tenant, id: id).status == .resolved)
            let refused = await post("resolve")
            #expect(refused.status == 400)
            #expect(refused.text.contains("RESOLVED"))
            #expect(await post("reopen").status == 303)
            #expect(try await ledger.conversation(tenantID: tenant, id: id).status == .open)
            #expect(await post("reply", "   ").status == 400)
            #expect(await post("note", "").status == 400)
            #expect(await post("frobnicate").status == 404)
            #expect(try await harness.auditCount("dashboard.conversation.note") == 1)
            let events = try await harness.pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT count(*)::int8 AS n FROM messages WHERE tenant_id = \(tenant) AND text LIKE '%VIP%'"
                )[0].decode("n", as: Int.self)
            }
            #expect(events == 0)
        }
    }
}
