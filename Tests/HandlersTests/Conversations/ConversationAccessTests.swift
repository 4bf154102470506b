import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("ConversationService access", .serialized)
struct ConversationAccessTests {
    typealias Harness = ConversationTestHarness

    /// Every id-bearing method, called on conversation `id` with `context`; the status it failed with.
    static func everyIDBearingCall(
        _ h: Harness, id: String, context: ServerContext
    ) async -> [(String, RPCError.Code?)] {
        func code(_ body: () async throws -> some Any) async -> RPCError.Code? {
            await TenantFixtures.code(of: body)
        }
        var get = Metachat_V1_GetConversationRequest()
        get.conversationID = id
        var update = Metachat_V1_UpdateConversationRequest()
        update.conversationID = id
        update.conversation.title = "taken"
        update.updateMask.paths = ["title"]
        var delete = Metachat_V1_DeleteConversationRequest()
        delete.conversationID = id
        var export = Metachat_V1_ExportConversationRequest()
        export.conversationID = id
        var escalate = Metachat_V1_EscalateConversationRequest()
        escalate.conversationID = id
        escalate.reason = .manual
        var assign = Metachat_V1_AssignConversationRequest()
        assign.conversationID = id
        assign.assigneeID = "mallory"
        var unassign = Metachat_V1_UnassignConversationRequest()
        unassign.conversationID = id
        var handBack = Metachat_V1_HandBackConversationRequest()
        handBack.conversationID = id
        var resolve = Metachat_V1_ResolveConversationRequest()
        resolve.conversationID = id
        var reopen = Metachat_V1_ReopenConversationRequest()
        reopen.conversationID = id
        var close = Metachat_V1_CloseConversationRequest()
        close.conversationID = id
        var messages = Metachat_V1_ListMessagesRequest()
        messages.conversationID = id
        var reply = Metachat_V1_PostAgentReplyRequest()
        reply.conversationID = id
        reply.text = "hi"
        reply.agentID = "mallory"
        let handler = h.handler
        let sink = ItemCollector<Metachat_V1_ConversationExportItem>()
        return [
            ("GetConversation", await code { try await handler.getConversation(request: get, context: context) }),
            (
                "UpdateConversation",
                await code { try await handler.updateConversation(request: update, context: context) }
            ),
            (
                "DeleteConversation",
                await code { try await handler.deleteConversation(request: delete, context: context) }
            ),
            (
                "ExportConversation",
                await code {
                    try await handler.exportConversation(request: export, response: sink.writer, context: context)
                }
            ),
            (
                "EscalateConversation",
                await code { try await handler.escalateConversation(request: escalate, context: context) }
            ),
            (
                "AssignConversation",
                await code { try await handler.assignConversation(request: assign, context: context) }
            ),
            (
                "UnassignConversation",
                await code { try await handler.unassignConversation(request: unassign, context: context) }
            ),
            (
                "HandBackConversation",
                await code { try await handler.handBackConversation(request: handBack, context: context) }
            ),
            (
                "ResolveConversation",
                await code { try await handler.resolveConversation(request: resolve, context: context) }
            ),
            (
                "ReopenConversation",
                await code { try await handler.reopenConversation(request: reopen, context: context) }
            ),
            ("CloseConversation", await code { try await handler.closeConversation(request: close, context: context) }),
            ("ListMessages", await code { try await handler.listMessages(request: messages, context: context) }),
            ("PostAgentReply", await code { try await handler.postAgentReply(request: reply, context: context) }),
        ]
    }

    @Test(
        "Another tenant's conversation is NOT_FOUND on every id-bearing method, like an unknown id, and stays as it was"
    )
    func crossTenantIsNotFound() async throws {
        try await Harness.with { h in
            let c = try await h.create(title: "A's")
            try await h.reply(c.id)
            let before = try await h.get(c.id)
            let counts = try await h.tableCounts()

            for id in [c.id, c.id.uppercased(), UUID().uuidString.lowercased()] {
                let results = await Self.everyIDBearingCall(h, id: id, context: h.asB)
                for (method, code) in results {
                    #expect(code == .notFound, "\(method) with \(id)")
                }
            }
            // B's listing does not show it either.
            let listed = try await h.handler.listConversations(request: .init(), context: h.asB)
            #expect(listed.conversations.isEmpty)
            #expect(try await h.get(c.id) == before)
            #expect(try await h.tableCounts() == counts)
        }
    }

    @Test("A tenant key naming another tenant in x-tenant-id is NOT_FOUND; its own tenant works")
    func tenantKeyCannotCross() async throws {
        try await Harness.with { h in
            let c = try await h.create()
            var get = Metachat_V1_GetConversationRequest()
            get.conversationID = c.id
            let foreign = Harness.context(.tenant(tenantID: h.tenantA, keyID: "k"), tenantHeader: h.tenantB)
            await expectRPCError(.notFound, "Tenant \(h.tenantB) was not found") {
                try await h.handler.getConversation(request: get, context: foreign)
            }
            let own = Harness.context(.tenant(tenantID: h.tenantA, keyID: "k"), tenantHeader: h.tenantA.uppercased())
            #expect(try await h.handler.getConversation(request: get, context: own).id == c.id)
        }
    }

    @Test("Admin keys reach a tenant named in x-tenant-id: SUPER always, STANDARD when granted; each call is audited")
    func operators() async throws {
        try await Harness.with { h in
            let standardID = try await h.pool.withAdminTransaction { connection in
                try await connection.query(
                    "INSERT INTO admin_users (email, role) VALUES ('std@example.com', 'STANDARD') RETURNING id"
                )[0].decode("id", as: UUID.self)
            }
            let superAdmin = Principal.admin(adminID: UUID().uuidString.lowercased(), keyID: "k1", role: .super)
            let standard = Principal.admin(adminID: standardID.uuidString.lowercased(), keyID: "k2", role: .standard)
            let c = try await h.create(Harness.context(superAdmin, tenantHeader: h.tenantA))
            #expect(c.tenantID == h.tenantA)

            var get = Metachat_V1_GetConversationRequest()
            get.conversationID = c.id
            await expectRPCError(.permissionDenied, "not granted tenant \(h.tenantA)") {
                try await h.handler.getConversation(
                    request: get, context: Harness.context(standard, tenantHeader: h.tenantA))
            }
            try await h.pool.withAdminTransaction { connection in
                try await connection.execute(
                    "INSERT INTO admin_tenant_grants (admin_id, tenant_id) VALUES (\(standardID), \(UUID(uuidString: h.tenantA)))"
                )
            }
            let read = try await h.handler.getConversation(
                request: get, context: Harness.context(standard, tenantHeader: h.tenantA))
            #expect(read.id == c.id)
            // Granted A is not granted B: B's data stays out of reach, A's conversation is not in B.
            await expectRPCError(.permissionDenied) {
                try await h.handler.getConversation(
                    request: get, context: Harness.context(standard, tenantHeader: h.tenantB))
            }
            await expectRPCError(.notFound, "Conversation") {
                try await h.handler.getConversation(
                    request: get, context: Harness.context(.bootstrap, tenantHeader: h.tenantB))
            }
            await expectRPCError(.invalidArgument, "x-tenant-id is required") {
                try await h.handler.getConversation(request: get, context: Harness.context(superAdmin))
            }
            await expectRPCError(.invalidArgument, "x-tenant-id must be a UUID") {
                try await h.handler.getConversation(
                    request: get, context: Harness.context(superAdmin, tenantHeader: "acme"))
            }
            let unknown = UUID().uuidString.lowercased()
            await expectRPCError(.notFound, "Tenant \(unknown) was not found") {
                try await h.handler.getConversation(
                    request: get, context: Harness.context(.bootstrap, tenantHeader: unknown))
            }
            await expectRPCError(.unauthenticated) {
                try await h.handler.getConversation(request: get, context: Harness.context(nil))
            }

            let rows = try await h.pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT actor, action, target, details->>'outcome' AS outcome FROM audit_log ORDER BY id"
                ).map {
                    [
                        try $0.decode("actor", as: String.self), try $0.decode("action", as: String.self),
                        try $0.decode("target", as: String?.self) ?? "",
                        try $0.decode("outcome", as: String?.self) ?? "",
                    ]
                }
            }
            let superName = Self.actor(superAdmin)
            let standardName = Self.actor(standard)
            #expect(
                rows == [
                    [superName, "operator.CreateConversation", h.tenantA, "admitted"],
                    [standardName, "operator.GetConversation", c.id, "not granted"],
                    [standardName, "operator.GetConversation", c.id, "admitted"],
                    [standardName, "operator.GetConversation", c.id, "not granted"],
                    ["bootstrap", "operator.GetConversation", c.id, "admitted"],
                    ["bootstrap", "operator.GetConversation", c.id, "tenant not found"],
                ])
        }
    }

    static func actor(_ principal: Principal) -> String {
        switch principal {
        case .admin(let id, _, _): id
        case .bootstrap: "bootstrap"
        case .tenant(let id, _): "tenant:\(id)"
        }
    }
}
