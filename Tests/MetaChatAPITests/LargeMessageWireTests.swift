import Foundation
import MetaChatAPI
import SwiftProtobuf
import Testing

/// Messages above 1 MiB (the upload chunk limit of the contract) cross between protobuf-c and
/// swift-protobuf intact in both directions. Failures report the first differing byte instead
/// of printing 1.5 MiB values.
@Suite("Messages over 1 MiB cross between protobuf-c and swift-protobuf")
struct LargeMessageWireTests {
    @Test("A 1.5 MiB bytes upload chunk decodes intact on both sides and encodes identically")
    func largeUploadChunk() throws {
        let expected = WireFixtures.largeUploadChunk
        #expect(expected.chunk.count == WireFixtures.largeSize)

        let cBytes = try ProtobufCTestHarness.encode(.largeUploadChunk)
        let decoded = try Metachat_V1_UploadDocumentRequest(serializedBytes: cBytes)
        #expect(ByteDifference(Array(decoded.chunk), Array(expected.chunk)) == nil)
        let decodedEqualsExpected = decoded == expected
        #expect(decodedEqualsExpected, "the C-encoded 1.5 MiB chunk decodes differently in Swift")

        let swiftBytes: [UInt8] = try expected.serializedBytes()
        #expect(ProtobufCTestHarness.check(swiftBytes, against: .largeUploadChunk) == .matches)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
    }

    @Test("A 1.5 MiB UTF-8 document body decodes intact on both sides and encodes identically")
    func largeDocumentContent() throws {
        let expected = WireFixtures.largeDocument
        #expect(expected.content.utf8.count == WireFixtures.largeSize)

        let cBytes = try ProtobufCTestHarness.encode(.largeDocument)
        let decoded = try Metachat_V1_CreateDocumentRequest(serializedBytes: cBytes)
        #expect(ByteDifference(Array(decoded.content.utf8), Array(expected.content.utf8)) == nil)
        let decodedEqualsExpected = decoded == expected
        #expect(decodedEqualsExpected, "the C-encoded 1.5 MiB document decodes differently in Swift")

        let swiftBytes: [UInt8] = try expected.serializedBytes()
        #expect(ProtobufCTestHarness.check(swiftBytes, against: .largeDocument) == .matches)
        #expect(ByteDifference(swiftBytes, cBytes) == nil)
    }
}
