import ChatStreams
import Testing

/// The OpenAI and Anthropic stream decoders: what each event yields, and a table of bad events.
@Suite("Model stream decoders")
struct ModelStreamDecoderTests {
    @Test(
        "OpenAI events",
        arguments: [
            ("[DONE]", [ModelStreamOutput.done]),
            (" [DONE] ", [.done]),
            ("{\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}", [.model("m"), .text("Hi")]),
            ("{\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}", []),
            ("{\"choices\":[{\"delta\":{\"content\":\"\"},\"finish_reason\":\"length\"}]}", [.finishReason("length")]),
            (
                "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}",
                [.usage(promptTokens: 3, completionTokens: 4)]
            ),
            ("{\"choices\":[{\"delta\":{\"content\":null}}],\"usage\":null}", []),
        ])
    func openAI(data: String, expected: [ModelStreamOutput]) throws {
        #expect(try OpenAIStreamDecoder.decode(ServerSentEvent(data: data)) == expected)
    }

    @Test(
        "OpenAI bad events are refused with a clear message",
        arguments: [
            ("not json", "not JSON"),
            ("{\"choices\":[{\"delta\":{\"content\":", "malformed chunk"),
            ("{\"choices\":\"nope\"}", "malformed chunk"),
            ("{\"id\":\"x\"}", "without choices"),
            ("{\"error\":{\"message\":\"quota exceeded\"}}", "quota exceeded"),
            ("[1,2]", "not JSON"),
            ("", "not JSON"),
        ])
    func openAIBad(data: String, fragment: String) {
        do {
            _ = try OpenAIStreamDecoder.decode(ServerSentEvent(data: data))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.message.contains(fragment), "message: \(error.message)")
        }
    }

    @Test(
        "Anthropic events",
        arguments: [
            (
                "{\"type\":\"message_start\",\"message\":{\"model\":\"c\",\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}",
                [ModelStreamOutput.model("c"), .usage(promptTokens: 9, completionTokens: 1)]
            ),
            (
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Yo\"}}",
                [.text("Yo")]
            ),
            (
                "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}",
                []
            ),
            (
                "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":12}}",
                [.finishReason("end_turn"), .usage(promptTokens: nil, completionTokens: 12)]
            ),
            ("{\"type\":\"message_stop\"}", [.done]),
            ("{\"type\":\"ping\"}", []),
            ("{\"type\":\"some_future_event\",\"x\":1}", []),
        ])
    func anthropic(data: String, expected: [ModelStreamOutput]) throws {
        #expect(try AnthropicStreamDecoder.decode(ServerSentEvent(data: data)) == expected)
    }

    @Test(
        "Anthropic bad events are refused with a clear message",
        arguments: [
            (
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
                "overloaded_error"
            ),
            ("{\"type\":\"content_block_delta\"}", "without a delta"),
            ("{\"no_type\":1}", "malformed event"),
            ("<html>", "not JSON"),
        ])
    func anthropicBad(data: String, fragment: String) {
        do {
            _ = try AnthropicStreamDecoder.decode(ServerSentEvent(data: data))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.message.contains(fragment), "message: \(error.message)")
        }
    }
}
