import AsyncHTTPClient
import Foundation
import Handlers
import Testing

@Suite("The embeddings client batches, retries transient failures and checks every answer")
struct OpenAIEmbeddingClientTests {
    /// Runs `body` with a client of the scripted server.
    func withClient(
        _ script: [ScriptedEmbeddingServer.Answer], batchSize: Int = 64,
        _ body: (OpenAIEmbeddingClient, ScriptedEmbeddingServer) async throws -> Void
    ) async throws {
        let server = try await ScriptedEmbeddingServer(script)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = OpenAIEmbeddingClient(
            configuration: .init(
                baseURL: server.baseURL, apiKey: "sk-test", model: "m", batchSize: batchSize, attempts: 3,
                requestTimeout: .seconds(10), initialBackoff: .milliseconds(1)),
            http: http)
        do {
            try await body(client, server)
        } catch {
            try? await http.shutdown()
            try? await server.close()
            throw error
        }
        try await http.shutdown()
        try await server.close()
    }

    @Test("Inputs go in batches of the configured size, vectors come back in input order")
    func batches() async throws {
        try await self.withClient([.vectors(dimensions: 3)], batchSize: 32) { client, server in
            let texts = (0..<70).map { "text \($0)" }
            let vectors = try await client.embed(texts)
            #expect(vectors.count == 70)
            #expect(vectors[0] == [1, 1, 1] && vectors[31] == [32, 32, 32] && vectors[32] == [1, 1, 1])
            #expect(server.bodies.count == 3)
            #expect(server.bodies.first?.contains("\"model\":\"m\"") == true)
        }
    }

    @Test("429 and 500 are retried; the third attempt's answer is used")
    func retriesTransient() async throws {
        try await self.withClient([.status(429), .status(503), .vectors(dimensions: 4)]) { client, server in
            let vectors = try await client.embed(["a", "b"])
            #expect(vectors.count == 2 && vectors[1] == [2, 2, 2, 2])
            #expect(server.bodies.count == 3)
        }
    }

    @Test("Persistent 5xx gives up after the configured attempts with a transient error")
    func givesUp() async throws {
        try await self.withClient([.status(500)]) { client, server in
            await #expect {
                try await client.embed(["a"])
            } throws: { error in
                (error as? EmbeddingError)?.isTransient == true
            }
            #expect(server.bodies.count == 3)
        }
    }

    @Test(
        "Unusable answers are permanent errors, not retried",
        arguments: [
            ScriptedEmbeddingServer.Answer.status(401),
            .status(400),
            .body("not json"),
            .body("{\"data\":[]}"),
            .body("{\"data\":[{\"embedding\":[]}]}"),
        ])
    func permanent(answer: ScriptedEmbeddingServer.Answer) async throws {
        try await self.withClient([answer]) { client, server in
            await #expect {
                try await client.embed(["a"])
            } throws: { error in
                (error as? EmbeddingError)?.isTransient == false
            }
            #expect(server.bodies.count == 1)
        }
    }

    @Test("An unreachable service is a transient error")
    func unreachable() async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = OpenAIEmbeddingClient(
            configuration: .init(
                baseURL: "http://127.0.0.1:1/v1", model: "m", attempts: 2, requestTimeout: .seconds(2),
                initialBackoff: .milliseconds(1)),
            http: http)
        await #expect {
            try await client.embed(["a"])
        } throws: { error in
            (error as? EmbeddingError)?.isTransient == true
        }
        try await http.shutdown()
    }
}
