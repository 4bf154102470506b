internal import WidgetProtocol

/// libFuzzer entry point: the web chat widget's reader of client frames (`WidgetClientFrame`).
///
/// The input is a frame's text (bytes that are not UTF-8 are repaired, as the WebSocket layer
/// refuses them before the reader sees them). Reading must end in a frame or a
/// `WidgetFrameError` naming a field, the same way twice; a frame's fields stay within their
/// rules (docs/widget.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWidgetFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // The target links only WidgetProtocol.
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let text = String(decoding: bytes, as: UTF8.self)
    let first = Result { () throws(WidgetFrameError) -> WidgetClientFrame in try WidgetClientFrame(text: text) }
    let second = Result { () throws(WidgetFrameError) -> WidgetClientFrame in try WidgetClientFrame(text: text) }
    fuzzCheck(first == second, "reading the same frame twice gave different results")
    switch first {
    case .failure(let error):
        fuzzCheck(!error.field.isEmpty && !error.problem.isEmpty, "a refusal without a field or problem")
        fuzzCheck(
            ["frame", "type", "widgetId", "token", "after", "clientId", "text"].contains(error.field),
            "a refusal naming an unknown field: \(error.field)")
    case .success(.hello(let widgetID, let token, let after)):
        fuzzCheck(text.utf8.count <= WidgetClientFrame.maximumBytes, "a frame over the limit was read")
        fuzzCheck(!widgetID.isEmpty && widgetID.utf8.count <= WidgetClientFrame.maximumWidgetIDBytes, "widget id")
        fuzzCheck(!token.isEmpty && token.utf8.count <= WidgetClientFrame.maximumTokenBytes, "token length")
        if let after {
            fuzzCheck((0...WidgetClientFrame.maximumAfter).contains(after), "after out of range")
        }
    case .success(.message(let clientID, let text)):
        fuzzCheck(
            !clientID.isEmpty && clientID.utf8.count <= WidgetClientFrame.maximumClientIDBytes, "client id length")
        fuzzCheck(text.unicodeScalars.count <= WidgetClientFrame.maximumTextScalars, "text too long")
        fuzzCheck(!text.unicodeScalars.contains("\u{0}"), "text with NUL")
        fuzzCheck(!text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }, "blank text")
        // What the server renders back for it is JSON that reads as the same text.
        let echoed = WidgetServerFrame.ack(clientID: clientID).text
        fuzzCheck(echoed.hasPrefix("{") && echoed.hasSuffix("}"), "ack is not a JSON object")
    }
    return 0
}

/// Stops the run with a message when an invariant is broken (libFuzzer records the input).
private func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("fuzz invariant broken: \(message())")
    }
}
