import Foundation
import MetaChatAPI
import SwiftProtobuf
import Testing

/// protobuf-c (C, `Tests/CWireFixtures`) and swift-protobuf (the generated MetaChatAPI types)
/// read each other's bytes. Each fixture is written out once in C and once in Swift
/// (``WireFixtures``); a test decodes the C encoding in Swift and compares with `==`, and has
/// protobuf-c decode the Swift encoding and compare field by field.
@Suite("protobuf-c and swift-protobuf read each other's messages")
struct WireCompatibilityTests {
    @Test("Tenant: nested settings, wrappers, Duration, enums, metadata map and Timestamps agree")
    func tenantWithNestedSettingsMapAndTimestamps() throws {
        let cBytes = try expectSwiftDecodes(.tenant, as: WireFixtures.tenant)
        let swiftBytes = try expectCDecodes(WireFixtures.tenant, as: .tenant)
        // With sorted map keys (the C fixture's order) the encoders agree byte for byte.
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
    }

    @Test("Channel: the whatsapp case of oneof config and its enum agree byte for byte")
    func channelWithWhatsAppOneofCase() throws {
        let cBytes = try expectSwiftDecodes(.whatsAppChannel, as: WireFixtures.whatsAppChannel)
        let swiftBytes = try expectCDecodes(WireFixtures.whatsAppChannel, as: .whatsAppChannel)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
    }

    @Test("Channel: a oneof case holding an all-default message is still sent and seen as set")
    func channelWithEmptyWebChatOneofCase() throws {
        let cBytes = try expectSwiftDecodes(.emptyWebChatChannel, as: WireFixtures.emptyWebChatChannel)
        let swiftBytes = try expectCDecodes(WireFixtures.emptyWebChatChannel, as: .emptyWebChatChannel)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
        // Field 6 (web_chat), length-delimited, zero bytes long, ends the message.
        #expect(cBytes.suffix(2) == [0x32, 0x00])
        let decoded = try Metachat_V1_Channel(serializedBytes: cBytes)
        #expect(decoded.config == .webChat(Metachat_V1_WebChatConfig()))
    }

    @Test("ConversationEvent: the escalated case of oneof payload agrees byte for byte")
    func conversationEventWithEscalatedPayload() throws {
        let cBytes = try expectSwiftDecodes(.escalatedEvent, as: WireFixtures.escalatedEvent)
        let swiftBytes = try expectCDecodes(WireFixtures.escalatedEvent, as: .escalatedEvent)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
    }

    @Test("ConversationEvent: message_created with citations, enums and a metadata map agrees")
    func conversationEventWithMessageCreatedPayload() throws {
        let cBytes = try expectSwiftDecodes(.messageCreatedEvent, as: WireFixtures.messageCreatedEvent)
        let swiftBytes = try expectCDecodes(WireFixtures.messageCreatedEvent, as: .messageCreatedEvent)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
    }

    @Test("Chunk: packed repeated float keeps every bit, including -0.0 and subnormals")
    func chunkWithPackedFloatEmbedding() throws {
        let cBytes = try expectSwiftDecodes(.embeddedChunk, as: WireFixtures.embeddedChunk)
        let swiftBytes = try expectCDecodes(WireFixtures.embeddedChunk, as: .embeddedChunk)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
        // `==` on Float treats -0.0 and 0.0 as equal; the bit patterns must match too.
        let decoded = try Metachat_V1_Chunk(serializedBytes: cBytes)
        #expect(decoded.embedding.map(\.bitPattern) == WireFixtures.embeddedChunk.embedding.map(\.bitPattern))
        // Packed: one field 8 record (length-delimited) of 384 * 4 = 1536 bytes.
        #expect(cBytes.containsRun([0x42, 0x80, 0x0C]))
    }

    @Test("TenantUsage: packed repeated int64 with negatives and int64 beyond 2^53 agree byte for byte")
    func tenantUsageWithPackedInt64() throws {
        let cBytes = try expectSwiftDecodes(.tenantUsage, as: WireFixtures.tenantUsage)
        let swiftBytes = try expectCDecodes(WireFixtures.tenantUsage, as: .tenantUsage)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
        // Packed: one field 10 record (length-delimited) of nine varints, 1+1+1+2+3+6+10+9+10 bytes.
        #expect(cBytes.containsRun([0x52, 43]))
    }

    @Test("WebhookEndpoint: packed repeated enum and extreme Timestamps agree byte for byte")
    func webhookEndpointWithPackedEnumsAndExtremeTimestamps() throws {
        let cBytes = try expectSwiftDecodes(.webhookEndpoint, as: WireFixtures.webhookEndpoint)
        let swiftBytes = try expectCDecodes(WireFixtures.webhookEndpoint, as: .webhookEndpoint)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
        // Packed: one field 4 record (length-delimited) holding the four enum values.
        #expect(cBytes.containsRun([0x22, 0x04, 0x01, 0x02, 0x05, 0x08]))
    }

    @Test("UploadDocumentRequest: a bytes chunk with every byte value agrees byte for byte")
    func uploadChunkWithEveryByteValue() throws {
        let cBytes = try expectSwiftDecodes(.uploadChunk, as: WireFixtures.uploadChunk)
        let swiftBytes = try expectCDecodes(WireFixtures.uploadChunk, as: .uploadChunk)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
    }

    @Test("UploadDocumentRequest: an empty bytes chunk is still sent and seen as the set oneof case")
    func emptyUploadChunkKeepsOneofCase() throws {
        let cBytes = try expectSwiftDecodes(.emptyUploadChunk, as: WireFixtures.emptyUploadChunk)
        let swiftBytes = try expectCDecodes(WireFixtures.emptyUploadChunk, as: .emptyUploadChunk)
        #expect(cBytes == [0x12, 0x00])
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
    }

    @Test("A map entry with an empty value decodes the same although the encoders differ in bytes")
    func mapEntryWithEmptyValue() throws {
        var tenant = WireFixtures.tenant
        tenant.metadata = ["cleared": ""]
        let swiftBytes: [UInt8] = try tenant.serializedBytes()
        let cBytes = try ProtobufCTestHarness.repack(swiftBytes, as: .tenant)

        #expect(try Metachat_V1_Tenant(serializedBytes: cBytes) == tenant)
        #expect(try Metachat_V1_Tenant(serializedBytes: swiftBytes) == tenant)
        // swift-protobuf writes the entry's empty value field (2 bytes); protobuf-c leaves it out
        // like any proto3 field holding its default.
        #expect(swiftBytes.count == cBytes.count + 2)
    }

    /// Encodes `fixture` with protobuf-c, decodes it with swift-protobuf and expects `expected`.
    /// Returns the C encoding.
    @discardableResult
    private func expectSwiftDecodes<M: SwiftProtobuf.Message & Equatable>(
        _ fixture: ProtobufCTestHarness.Fixture,
        as expected: M,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [UInt8] {
        let cBytes = try ProtobufCTestHarness.encode(fixture)
        let decoded = try M(serializedBytes: cBytes)
        #expect(decoded == expected, "the C-encoded \(fixture) decodes differently", sourceLocation: sourceLocation)
        return cBytes
    }

    /// Encodes `message` with swift-protobuf (in the default and in sorted map order) and has
    /// protobuf-c decode both and compare them with `fixture`. Returns the sorted encoding.
    @discardableResult
    private func expectCDecodes(
        _ message: some SwiftProtobuf.Message,
        as fixture: ProtobufCTestHarness.Fixture,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [UInt8] {
        var sorted = BinaryEncodingOptions()
        sorted.useDeterministicOrdering = true
        let sortedBytes: [UInt8] = try message.serializedBytes(options: sorted)
        let defaultBytes: [UInt8] = try message.serializedBytes()
        #expect(ProtobufCTestHarness.check(sortedBytes, against: fixture) == .matches, sourceLocation: sourceLocation)
        #expect(ProtobufCTestHarness.check(defaultBytes, against: fixture) == .matches, sourceLocation: sourceLocation)
        return sortedBytes
    }
}
