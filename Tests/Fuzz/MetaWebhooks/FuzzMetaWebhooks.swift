internal import MetaWebhooks

/// libFuzzer entry point: the channels' reader of Meta webhook callbacks (`MetaPayload`).
///
/// The input is a callback body. Reading must end in a payload or a `MetaPayloadError` with a
/// message, the same way twice; a payload holds at most `maximumEvents` events, every message has
/// an id and a sender of at most 256 printable ASCII bytes, texts stay within 32000 scalars and
/// hold no NUL, locations are on the globe (docs/channels.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMetaWebhooks(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // The target links only MetaWebhooks (FuzzSupport would bring the whole server in).
    let body = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let first: Result<MetaPayload, MetaPayloadError>
    do {
        first = .success(try MetaPayload(bytes: body))
    } catch {
        first = .failure(error)
    }
    let second: Result<MetaPayload, MetaPayloadError>
    do {
        second = .success(try MetaPayload(bytes: body))
    } catch {
        second = .failure(error)
    }
    fuzzCheck(first == second, "reading the same body twice gave different results")
    switch first {
    case .failure(let error):
        fuzzCheck(!error.description.isEmpty, "a refusal without a message")
    case .success(let payload):
        fuzzCheck(payload.events.count <= MetaPayload.maximumEvents, "more than maximumEvents events")
        for event in payload.events {
            switch event {
            case .message(let message):
                for id in [message.externalID, message.from] {
                    fuzzCheck(!id.isEmpty && id.utf8.count <= MetaPayload.maximumIDBytes, "id of a bad length")
                    fuzzCheck(id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "id with a non-printable byte")
                }
                fuzzCheck(message.text.unicodeScalars.count <= MetaPayload.maximumTextScalars, "text too long")
                fuzzCheck(!message.text.unicodeScalars.contains("\u{0}"), "text with NUL")
                if let location = message.location {
                    fuzzCheck(
                        (-90...90).contains(location.latitude) && (-180...180).contains(location.longitude),
                        "location off the globe")
                }
            case .status(let status):
                fuzzCheck(!status.externalID.isEmpty, "status without id")
            case .skipped(let reason):
                fuzzCheck(!reason.isEmpty, "skip without a reason")
            }
        }
    }
    return 0
}

/// Stops the run with a message when an invariant is broken (libFuzzer records the input).
private func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("fuzz invariant broken: \(message())")
    }
}
