internal import ChatStreams
internal import FuzzSupport

/// libFuzzer entry point: the chat orchestrator's readers of what model providers stream.
///
/// The first byte picks the decoder (even: OpenAI chat-completions chunks, odd: Anthropic
/// Messages events), the second where the bytes are split in two deliveries; the rest is the
/// response body. The event-stream parser must give the same events (or the same refusal)
/// however the body is split, stay within its limits, and every event must decode to outputs or
/// a refusal with a message. The text outputs (and the raw body) also go through the
/// confidence-marker filter, whose output must be the same when fed whole or scalar by scalar
/// (what the caller receives piece by piece is what is stored).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChatStreams(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let anthropic = input.byte() % 2 == 1
    let splitByte = Int(input.byte())
    let body = Array(input.rest)
    let limits = ServerSentEventParser.Limits(maximumLineBytes: 4096, maximumEventBytes: 8192)

    var whole = ServerSentEventParser(limits: limits)
    let wholeEvents: Result<[ServerSentEvent], ServerSentEventError>
    do {
        wholeEvents = .success(try whole.feed(body))
    } catch {
        wholeEvents = .failure(error)
    }
    let split = body.isEmpty ? 0 : splitByte % (body.count + 1)
    var pieces = ServerSentEventParser(limits: limits)
    let pieceEvents: Result<[ServerSentEvent], ServerSentEventError>
    do {
        pieceEvents = .success(try pieces.feed(body[..<split]) + pieces.feed(body[split...]))
    } catch {
        pieceEvents = .failure(error)
    }
    switch (wholeEvents, pieceEvents) {
    case (.success(let a), .success(let b)):
        fuzzCheck(a == b, "a split delivery gave other events")
    case (.failure(let a), .failure(let b)):
        fuzzCheck(!a.message.isEmpty && a == b, "a split delivery gave another refusal")
        return 0
    default:
        fuzzCheck(false, "a split delivery changed whether the stream was refused")
    }
    guard case .success(let events) = wholeEvents else { return 0 }

    var text = ""
    for event in events {
        fuzzCheck(event.data.utf8.count <= limits.maximumEventBytes, "an event past the data limit")
        do {
            let outputs =
                anthropic ? try AnthropicStreamDecoder.decode(event) : try OpenAIStreamDecoder.decode(event)
            for case .text(let piece) in outputs {
                fuzzCheck(!piece.isEmpty, "an empty text output")
                text += piece
            }
        } catch {
            fuzzCheck(!error.message.isEmpty, "a refusal without a message")
        }
    }
    // The raw body as an answer too: markers anywhere in arbitrary text.
    text += String(decoding: body.prefix(512), as: UTF8.self)

    let (stripped, _) = ConfidenceMarkerFilter.strip(text)
    var byScalar = ConfidenceMarkerFilter()
    var shown = ""
    for scalar in text.unicodeScalars {
        shown += byScalar.push(String(scalar))
    }
    shown += byScalar.finish()
    fuzzCheck(shown == stripped, "the filter's output depends on how the answer is split")
    return 0
}
