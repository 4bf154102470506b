import Codegen
import Foundation
import SwiftProtobuf
import SwiftProtobufPluginLibrary
import Testing

@Suite("Golden files")
struct GoldenFileTests {
    /// The directory holding this file.
    private static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    @Test("Generating the echo fixture reproduces the committed, compiled EchoFixture source byte for byte")
    func echoFixtureMatchesGolden() throws {
        let set = try Self.descriptorSet(named: "echo.pb")
        let file = try #require(set.fileDescriptor(named: "echo.proto"))

        // As scripts/regenerate.sh runs it: this package ships no library, so generated code is
        // `package`.
        let generated = try MetaChatGenerator().generate(
            files: [file], options: try CodegenOptions(parameter: "Visibility=Package"))

        let output = try #require(generated.first)
        #expect(generated.count == 1)
        #expect(output.name == "echo.metachat.swift")
        let golden = try String(
            contentsOf: Self.testsDirectory.appendingPathComponent("../EchoFixture/Generated/echo.metachat.swift"),
            encoding: .utf8
        )
        #expect(output.content == golden)
    }

    @Test("Files without services produce no output")
    func filesWithoutServicesAreSkipped() throws {
        let set = try Self.descriptorSet(named: "echo.pb")
        let http = try #require(set.fileDescriptor(named: "google/api/http.proto"))

        #expect(try MetaChatGenerator().generate(files: [http], options: .defaults).isEmpty)
    }

    @Test("The Visibility option changes the access level of every generated declaration")
    func visibilityOptionApplies() throws {
        let set = try Self.descriptorSet(named: "echo.pb")
        let file = try #require(set.fileDescriptor(named: "echo.proto"))

        let options = try CodegenOptions(parameter: "Visibility=Public")
        let output = try #require(try MetaChatGenerator().generate(files: [file], options: options).first)

        #expect(!output.content.contains("package "))
        #expect(output.content.contains("public protocol Metachat_Fixture_V1_EchoServiceHandler: Sendable"))
        #expect(output.content.contains("public import RPCServer"))
    }

    static func descriptorSet(named name: String) throws -> DescriptorSet {
        let data = try Data(contentsOf: Self.testsDirectory.appendingPathComponent("Fixtures/\(name)"))
        return DescriptorSet(proto: try Google_Protobuf_FileDescriptorSet(serializedBytes: data))
    }
}
