internal import FoundationEssentials

/// A frame the web chat widget sends over its WebSocket, read from its JSON text (docs/widget.md).
///
/// Reading is total and bounded: a frame over ``maximumBytes``, not a JSON object, without a known
/// `type`, or with a field of the wrong type or outside its rules is a ``WidgetFrameError`` naming
/// the field; fields the server does not use are ignored.
public enum WidgetClientFrame: Sendable, Equatable {
    /// Opens the session: the widget, the visitor's signed token, and the last durable event the
    /// widget already has (`nil`: none; the server sends the history).
    case hello(widgetID: String, token: String, after: Int64?)
    /// A visitor's message; `clientID` is its idempotency key (a resend is one message).
    case message(clientID: String, text: String)

    /// The largest frame read, in UTF-8 bytes.
    public static let maximumBytes = 16_384
    /// The longest message text, in Unicode scalars.
    public static let maximumTextScalars = 4_000
    /// The longest client id, in bytes.
    public static let maximumClientIDBytes = 64
    /// The longest widget id, in bytes.
    public static let maximumWidgetIDBytes = 64
    /// The longest visitor token, in bytes.
    public static let maximumTokenBytes = 512
    /// The largest `after` (JSON numbers are exact up to 2^53).
    public static let maximumAfter: Int64 = 9_007_199_254_740_991

    /// Reads a frame.
    ///
    /// - Parameter text: The WebSocket text message.
    /// - Throws: ``WidgetFrameError`` naming what is wrong.
    public init(text: String) throws(WidgetFrameError) {
        guard text.utf8.count <= Self.maximumBytes else {
            throw WidgetFrameError(field: "frame", problem: "is over \(Self.maximumBytes) bytes")
        }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(text.utf8))
        } catch let DecodingError.typeMismatch(_, context) {
            throw WidgetFrameError(field: Self.field(context.codingPath), problem: "has the wrong type")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw WidgetFrameError(field: Self.field(context.codingPath), problem: "is not valid")
        } catch {
            throw WidgetFrameError(field: "frame", problem: "is not a JSON object")
        }
        switch wire.type {
        case "hello":
            let widgetID = try Self.required(wire.widgetId, "widgetId")
            guard widgetID.utf8.count <= Self.maximumWidgetIDBytes, Self.isPrintableASCII(widgetID) else {
                throw WidgetFrameError(
                    field: "widgetId", problem: "must be 1-\(Self.maximumWidgetIDBytes) printable ASCII characters")
            }
            let token = try Self.required(wire.token, "token")
            guard token.utf8.count <= Self.maximumTokenBytes, Self.isPrintableASCII(token) else {
                throw WidgetFrameError(
                    field: "token", problem: "must be 1-\(Self.maximumTokenBytes) printable ASCII characters")
            }
            // Read as a JSON number (a double), so 1.5 or 1e20 are refused naming the field; every
            // integer up to 2^53 - 1 is exact in it.
            var after: Int64?
            if let number = wire.after {
                guard number.rounded() == number, number >= 0, number <= Double(Self.maximumAfter) else {
                    throw WidgetFrameError(field: "after", problem: "must be an integer 0-\(Self.maximumAfter)")
                }
                after = Int64(number)
            }
            self = .hello(widgetID: widgetID, token: token, after: after)
        case "message":
            let clientID = try Self.required(wire.clientId, "clientId")
            guard clientID.utf8.count <= Self.maximumClientIDBytes,
                clientID.utf8.allSatisfy({ Self.clientIDBytes.contains($0) })
            else {
                throw WidgetFrameError(
                    field: "clientId",
                    problem: "must be 1-\(Self.maximumClientIDBytes) of A-Z a-z 0-9 . _ : -")
            }
            let text = try Self.required(wire.text, "text")
            guard text.unicodeScalars.count <= Self.maximumTextScalars else {
                throw WidgetFrameError(field: "text", problem: "is over \(Self.maximumTextScalars) characters")
            }
            guard !text.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) else {
                throw WidgetFrameError(field: "text", problem: "is blank")
            }
            guard
                !text.unicodeScalars.contains(where: {
                    $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" || $0.value == 0x7F
                })
            else {
                throw WidgetFrameError(field: "text", problem: "holds a control character")
            }
            self = .message(clientID: clientID, text: text)
        case nil:
            throw WidgetFrameError(field: "type", problem: "is required")
        case .some(let other):
            let shown = other.unicodeScalars.count <= 32 && Self.isPrintableASCII(other) ? " \(other)" : ""
            throw WidgetFrameError(field: "type", problem: "names no client frame\(shown) (hello, message)")
        }
    }

    /// The frame's fields as JSON has them.
    private struct Wire: Decodable {
        var type: String?
        var widgetId: String?
        var token: String?
        var after: Double?
        var clientId: String?
        var text: String?
    }

    private static let clientIDBytes: Set<UInt8> = Set(
        Array(UInt8(ascii: "A")...UInt8(ascii: "Z")) + Array(UInt8(ascii: "a")...UInt8(ascii: "z"))
            + Array(UInt8(ascii: "0")...UInt8(ascii: "9")) + [
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"),
            ])

    private static func required(_ value: String?, _ field: String) throws(WidgetFrameError) -> String {
        guard let value, !value.isEmpty else { throw WidgetFrameError(field: field, problem: "is required") }
        return value
    }

    private static func isPrintableASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    private static func field(_ path: [any CodingKey]) -> String {
        path.first?.stringValue ?? "frame"
    }
}
