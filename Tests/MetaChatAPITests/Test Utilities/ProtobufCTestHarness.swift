private import CWireFixtures

/// Drives the protobuf-c (C) side of the wire-compatibility tests: encodes the fixture messages
/// written out in `Tests/CWireFixtures/wire_fixtures.c`, and decodes bytes with protobuf-c to
/// compare them with those fixtures, re-encode them or list the unknown fields protobuf-c kept.
///
/// The only file that imports `CWireFixtures`; every C buffer is freed before a call returns.
enum ProtobufCTestHarness {
    /// A message whose field values are written out in `wire_fixtures.c`; ``WireFixtures``
    /// builds the same values with the swift-protobuf types.
    enum Fixture: Sendable, CaseIterable, CustomStringConvertible {
        case tenant
        case whatsAppChannel
        case emptyWebChatChannel
        case escalatedEvent
        case messageCreatedEvent
        case embeddedChunk
        case tenantUsage
        case webhookEndpoint
        case uploadChunk
        case emptyUploadChunk
        case largeUploadChunk
        case largeDocument

        var description: String {
            switch self {
            case .tenant: "tenant"
            case .whatsAppChannel: "WhatsApp channel"
            case .emptyWebChatChannel: "web chat channel with an empty config"
            case .escalatedEvent: "escalated event"
            case .messageCreatedEvent: "message-created event"
            case .embeddedChunk: "chunk with an embedding"
            case .tenantUsage: "tenant usage"
            case .webhookEndpoint: "webhook endpoint"
            case .uploadChunk: "upload chunk"
            case .emptyUploadChunk: "empty upload chunk"
            case .largeUploadChunk: "1.5 MiB upload chunk"
            case .largeDocument: "1.5 MiB document"
            }
        }

        fileprivate var cValue: CWireFixtures_Fixture {
            switch self {
            case .tenant: CWireFixtures_FixtureTenant
            case .whatsAppChannel: CWireFixtures_FixtureWhatsAppChannel
            case .emptyWebChatChannel: CWireFixtures_FixtureEmptyWebChatChannel
            case .escalatedEvent: CWireFixtures_FixtureEscalatedEvent
            case .messageCreatedEvent: CWireFixtures_FixtureMessageCreatedEvent
            case .embeddedChunk: CWireFixtures_FixtureEmbeddedChunk
            case .tenantUsage: CWireFixtures_FixtureTenantUsage
            case .webhookEndpoint: CWireFixtures_FixtureWebhookEndpoint
            case .uploadChunk: CWireFixtures_FixtureUploadChunk
            case .emptyUploadChunk: CWireFixtures_FixtureEmptyUploadChunk
            case .largeUploadChunk: CWireFixtures_FixtureLargeUploadChunk
            case .largeDocument: CWireFixtures_FixtureLargeDocument
            }
        }
    }

    /// A metachat.v1 message type protobuf-c can decode as, independent of any fixture.
    enum MessageType: Sendable {
        case tenant
        case getTenantRequest
        case channel
        case conversationEvent
        case chunk
        case tenantUsage
        case webhookEndpoint
        case uploadDocumentRequest
        case createDocumentRequest

        fileprivate var cValue: CWireFixtures_MessageType {
            switch self {
            case .tenant: CWireFixtures_MessageTypeTenant
            case .getTenantRequest: CWireFixtures_MessageTypeGetTenantRequest
            case .channel: CWireFixtures_MessageTypeChannel
            case .conversationEvent: CWireFixtures_MessageTypeConversationEvent
            case .chunk: CWireFixtures_MessageTypeChunk
            case .tenantUsage: CWireFixtures_MessageTypeTenantUsage
            case .webhookEndpoint: CWireFixtures_MessageTypeWebhookEndpoint
            case .uploadDocumentRequest: CWireFixtures_MessageTypeUploadDocumentRequest
            case .createDocumentRequest: CWireFixtures_MessageTypeCreateDocumentRequest
            }
        }
    }

    /// What protobuf-c made of bytes compared with a fixture.
    enum Verdict: Equatable, Sendable {
        /// Every field equals the fixture's (map entries in any order; unknown fields ignored).
        case matches
        /// The first field that differs, e.g. `settings.llm.model: want "a", got "b"`.
        case differs(String)
        /// protobuf-c rejected the bytes.
        case undecodable
    }

    /// A field protobuf-c kept in `base.unknown_fields` because the message type lacks it.
    struct UnknownField: Equatable, Sendable, CustomStringConvertible {
        /// The field number.
        var number: UInt32
        /// The wire type: 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit.
        var wireType: UInt8
        /// Bytes after the tag, including the length prefix of a length-delimited field.
        var length: Int

        var description: String { "#\(self.number) wire type \(self.wireType), \(self.length) bytes" }
    }

    /// A CWireFixtures call that returned something other than success.
    struct Failure: Error, CustomStringConvertible {
        /// The C function that failed.
        var function: String
        /// Its CWireFixtures result code.
        var code: UInt32

        var description: String { "\(self.function) failed with CWireFixtures result code \(self.code)" }
    }

    /// The fixture as encoded by `protobuf_c_message_pack`.
    static func encode(_ fixture: Fixture) throws -> [UInt8] {
        var output = CWireFixtures_Bytes()
        defer { CWireFixtures_freeBytes(&output) }
        let code = CWireFixtures_encodeFixture(fixture.cValue, &output)
        guard code == CWireFixtures_OK else {
            throw Failure(function: "CWireFixtures_encodeFixture", code: code.rawValue)
        }
        return Array(UnsafeBufferPointer(start: output.data, count: output.length))
    }

    /// Decodes `bytes` with protobuf-c as the fixture's message type and compares every field
    /// with the fixture.
    static func check(_ bytes: [UInt8], against fixture: Fixture) -> Verdict {
        var mismatch = [CChar](repeating: 0, count: 1024)
        let capacity = mismatch.count
        let code = bytes.withUnsafeBufferPointer { input in
            CWireFixtures_checkFixture(fixture.cValue, input.baseAddress, input.count, &mismatch, capacity)
        }
        switch code {
        case CWireFixtures_OK:
            return .matches
        case CWireFixtures_MISMATCH:
            let end = mismatch.firstIndex(of: 0) ?? mismatch.endIndex
            return .differs(String(decoding: mismatch[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default:
            return .undecodable
        }
    }

    /// Decodes `bytes` with protobuf-c as `type` and encodes the result again.
    static func repack(_ bytes: [UInt8], as type: MessageType) throws -> [UInt8] {
        var output = CWireFixtures_Bytes()
        defer { CWireFixtures_freeBytes(&output) }
        let code = bytes.withUnsafeBufferPointer { input in
            CWireFixtures_repack(type.cValue, input.baseAddress, input.count, &output)
        }
        guard code == CWireFixtures_OK else {
            throw Failure(function: "CWireFixtures_repack", code: code.rawValue)
        }
        return Array(UnsafeBufferPointer(start: output.data, count: output.length))
    }

    /// The unknown fields protobuf-c keeps on the top-level message when decoding `bytes` as
    /// `type`, in wire order.
    static func unknownFields(in bytes: [UInt8], as type: MessageType) throws -> [UnknownField] {
        var fields = [CWireFixtures_UnknownField](repeating: CWireFixtures_UnknownField(), count: 64)
        let capacity = fields.count
        var count = 0
        let code = bytes.withUnsafeBufferPointer { input in
            CWireFixtures_unknownFields(type.cValue, input.baseAddress, input.count, &fields, capacity, &count)
        }
        guard code == CWireFixtures_OK else {
            throw Failure(function: "CWireFixtures_unknownFields", code: code.rawValue)
        }
        return fields.prefix(min(count, capacity)).map {
            UnknownField(number: $0.number, wireType: $0.wireType, length: $0.length)
        }
    }
}
