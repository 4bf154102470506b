internal import RESTBridge

/// libFuzzer entry point: the `multipart/form-data` reader of REST uploads (`MultipartReader`,
/// boundary `fuzzb`) and the boundary parameter of a content type.
///
/// The first byte picks the piece size (1–256) the rest is fed in. Reading in pieces must give
/// the same parts, contents and outcome as reading the whole body at once; part heads stay
/// within their rules; no more content comes out than went in; and a content type either
/// yields a boundary of 1–70 RFC 2046 characters or a refusal.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let first = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let whole = read(body, pieceSize: body.count + 1)
    let pieces = read(body, pieceSize: Int(first) + 1)
    fuzzCheck(whole == pieces, "pieces of \(Int(first) + 1) bytes read differently from the whole body")
    if case .read(let parts, _) = whole {
        fuzzCheck(parts.count <= MultipartReader.maximumParts, "more parts than the limit")
        fuzzCheck(parts.reduce(0) { $0 + $1.content.count } <= body.count, "more content than input")
        for part in parts {
            fuzzCheck(!part.head.name.isEmpty, "a part without a name")
        }
    }
    let contentType = String(decoding: body.prefix(200), as: UTF8.self)
    if let boundary = try? MultipartReader.boundary(contentType: contentType) {
        fuzzCheck((1...70).contains(boundary.utf8.count), "boundary length \(boundary.utf8.count)")
        fuzzCheck(boundary.utf8.last != 0x20, "boundary ends with a space")
    }
    return 0
}

/// What reading gave: the parts and whether the body finished, or the refusal.
private enum Outcome: Equatable {
    case read([Part], finished: Bool)
    case refused(String)
}

private struct Part: Equatable {
    var head: MultipartPartHead
    var content: [UInt8]
}

private func read(_ body: [UInt8], pieceSize: Int) -> Outcome {
    var reader = MultipartReader(boundary: "fuzzb")
    var parts: [Part] = []
    var finished = false
    var start = 0
    do {
        while start < body.count {
            let end = min(body.count, start + pieceSize)
            for event in try reader.read(Array(body[start..<end])) {
                switch event {
                case .partBegan(let head): parts.append(Part(head: head, content: []))
                case .content(let content):
                    fuzzCheck(!parts.isEmpty && !finished, "content outside a part")
                    parts[parts.count - 1].content += content
                case .partEnded: fuzzCheck(!parts.isEmpty, "a part ended before one began")
                case .finished: finished = true
                }
            }
            start = end
        }
        try reader.finish()
    } catch {
        fuzzCheck(!error.message.isEmpty, "a refusal without a message")
        return .refused(error.message)
    }
    return .read(parts, finished: finished)
}

/// Stops the run with a message when an invariant is broken (libFuzzer records the input).
private func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("fuzz invariant broken: \(message())")
    }
}
