import Foundation
import MetaChatAPI
import SwiftProtobuf
import Testing

/// A reader built from an older or smaller schema keeps the fields it does not know and writes
/// them back unchanged, in swift-protobuf (`unknownFields`) and in protobuf-c
/// (`base.unknown_fields`), so a message can pass through either side without losing data.
@Suite("Unknown fields survive decode and re-encode in swift-protobuf and protobuf-c")
struct UnknownFieldPreservationTests {
    /// Fields 1000-1003, one of each wire type, that no metachat.v1 message defines.
    private static let futureFields: [UInt8] =
        [0xC0, 0x3E, 0xAC, 0x02]  // 1000, varint: 300
        + [0xCA, 0x3E, 0x06] + Array("future".utf8)  // 1001, length-delimited: "future"
        + [0xD1, 0x3E, 1, 2, 3, 4, 5, 6, 7, 8]  // 1002, 64-bit
        + [0xDD, 0x3E, 0xFF, 0xFE, 0xFD, 0xFC]  // 1003, 32-bit

    /// What protobuf-c reports for ``futureFields``.
    private static let futureFieldsInC: [ProtobufCTestHarness.UnknownField] = [
        .init(number: 1000, wireType: 0, length: 2),
        .init(number: 1001, wireType: 2, length: 7),
        .init(number: 1002, wireType: 1, length: 8),
        .init(number: 1003, wireType: 5, length: 4),
    ]

    private static var sortedMaps: BinaryEncodingOptions {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return options
    }

    @Test("Swift reading a C Tenant as GetTenantRequest keeps fields 2-8 and writes them back")
    func swiftKeepsFieldsOfARicherCMessage() throws {
        let cBytes = try ProtobufCTestHarness.encode(.tenant)

        let narrow = try Metachat_V1_GetTenantRequest(serializedBytes: cBytes)
        #expect(narrow.tenantID == WireFixtures.tenant.id)
        #expect(!narrow.unknownFields.data.isEmpty)

        // Field 1 comes first on the wire, so known-then-unknown order reproduces the input.
        let reencoded: [UInt8] = try narrow.serializedBytes()
        #expect(ByteDifference(reencoded, cBytes) == nil)
        #expect(ProtobufCTestHarness.check(reencoded, against: .tenant) == .matches)
    }

    @Test("protobuf-c reading a Swift Tenant as GetTenantRequest keeps fields 2-8 and writes them back")
    func protobufCKeepsFieldsOfARicherSwiftMessage() throws {
        let swiftBytes: [UInt8] = try WireFixtures.tenant.serializedBytes(options: Self.sortedMaps)

        let unknown = try ProtobufCTestHarness.unknownFields(in: swiftBytes, as: .getTenantRequest)
        // One record per map entry: metadata (5) appears three times.
        #expect(unknown.map(\.number) == [2, 3, 4, 5, 5, 5, 6, 7])
        #expect(unknown.map(\.wireType) == [2, 0, 2, 2, 2, 2, 2, 2])

        let repacked = try ProtobufCTestHarness.repack(swiftBytes, as: .getTenantRequest)
        #expect(ByteDifference(repacked, swiftBytes) == nil)
        #expect(try Metachat_V1_Tenant(serializedBytes: repacked) == WireFixtures.tenant)
    }

    @Test("Fields of every wire type that no side knows survive Swift, then protobuf-c, then Swift")
    func futureFieldsSurviveBothRuntimes() throws {
        let original: [UInt8] = try WireFixtures.tenant.serializedBytes(options: Self.sortedMaps) + Self.futureFields

        // Swift: the known fields decode as usual, the rest lands in unknownFields verbatim.
        let decoded = try Metachat_V1_Tenant(serializedBytes: original)
        #expect(Array(decoded.unknownFields.data) == Self.futureFields)
        var known = decoded
        known.unknownFields = UnknownStorage()
        #expect(known == WireFixtures.tenant)
        let swiftBytes: [UInt8] = try decoded.serializedBytes(options: Self.sortedMaps)
        #expect(ByteDifference(swiftBytes, original) == nil)

        // protobuf-c: the same known fields, the same four unknown records, written back as read.
        #expect(ProtobufCTestHarness.check(swiftBytes, against: .tenant) == .matches)
        #expect(try ProtobufCTestHarness.unknownFields(in: swiftBytes, as: .tenant) == Self.futureFieldsInC)
        let cBytes = try ProtobufCTestHarness.repack(swiftBytes, as: .tenant)
        #expect(ByteDifference(cBytes, original) == nil)

        // And back in Swift.
        let roundTripped = try Metachat_V1_Tenant(serializedBytes: cBytes)
        #expect(roundTripped == decoded)
        #expect(Array(roundTripped.unknownFields.data) == Self.futureFields)
    }

    @Test("Unknown fields inside a nested message survive both runtimes")
    func unknownFieldsOfANestedMessageSurvive() throws {
        // The WhatsApp channel fixture, whose WhatsAppConfig also carries field 1001.
        let field1001 = Array(Self.futureFields[4..<13])
        let configBytes: [UInt8] = try WireFixtures.whatsAppChannel.whatsapp.serializedBytes() + field1001
        var channel = WireFixtures.whatsAppChannel
        channel.whatsapp = try Metachat_V1_WhatsAppConfig(serializedBytes: configBytes)
        let swiftBytes: [UInt8] = try channel.serializedBytes()

        #expect(ProtobufCTestHarness.check(swiftBytes, against: .whatsAppChannel) == .matches)
        let cBytes = try ProtobufCTestHarness.repack(swiftBytes, as: .channel)
        #expect(ByteDifference(cBytes, swiftBytes) == nil)
        let decoded = try Metachat_V1_Channel(serializedBytes: cBytes)
        #expect(decoded == channel)
        #expect(Array(decoded.whatsapp.unknownFields.data) == field1001)
    }
}
