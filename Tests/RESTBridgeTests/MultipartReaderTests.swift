import RESTBridge
import Testing

private let multipartBadBodies: [(String, String, String)] = [
    ("no delimiter", "hello world", "the body has no multipart delimiter"),
    ("ends in content", "--b0undary\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\nabc", "ended before"),
    ("ends in headers", "--b0undary\r\ncontent-disposition: form", "ended before"),
    ("garbage after delimiter", "--b0undaryXX\r\n", "must end its line"),
    ("no disposition", "--b0undary\r\ncontent-type: text/plain\r\n\r\nx\r\n--b0undary--", "no content-disposition"),
    (
        "not form-data", "--b0undary\r\ncontent-disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b0undary--",
        "form-data"
    ),
    ("no name", "--b0undary\r\ncontent-disposition: form-data\r\n\r\nx\r\n--b0undary--", "has no name"),
    ("line without colon", "--b0undary\r\nbroken line\r\n\r\nx\r\n--b0undary--", "has no colon"),
    (
        "two dispositions",
        "--b0undary\r\ncontent-disposition: form-data; name=a\r\ncontent-disposition: form-data; name=b\r\n\r\n",
        "two content-disposition"
    ),
]

private let multipartContentTypes: [(String?, String?)] = [
    ("multipart/form-data; boundary=abc", "abc"),
    ("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"", "a b:c"),
    (nil, nil),
    ("application/json", nil),
    ("multipart/form-data", nil),
    ("multipart/form-data; boundary=", nil),
    ("multipart/form-data; boundary=\"" + String(repeating: "x", count: 71) + "\"", nil),
    ("multipart/form-data; boundary=\"ends with space \"", nil),
    ("multipart/form-data; boundary=bad{char}", nil),
]

@Suite("multipart/form-data reader")
struct MultipartReaderTests {
    static let boundary = "b0undary"

    /// A body of (name, filename, content type, content) parts.
    static func body(_ parts: [(String, String?, String?, String)], preamble: String = "") -> [UInt8] {
        var text = preamble
        for (name, filename, type, content) in parts {
            text += "--\(Self.boundary)\r\ncontent-disposition: form-data; name=\"\(name)\""
            if let filename { text += "; filename=\"\(filename)\"" }
            text += "\r\n"
            if let type { text += "content-type: \(type)\r\n" }
            text += "\r\n\(content)\r\n"
        }
        return Array((text + "--\(Self.boundary)--\r\nepilogue").utf8)
    }

    /// The parts read from `bytes` fed in pieces of `pieceSize`, as (head, content) pairs.
    static func parts(_ bytes: [UInt8], pieceSize: Int) throws -> [(MultipartPartHead, [UInt8])] {
        var reader = MultipartReader(boundary: Self.boundary)
        var parts: [(MultipartPartHead, [UInt8])] = []
        var finished = false
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + pieceSize)
            for event in try reader.read(Array(bytes[start..<end])) {
                switch event {
                case .partBegan(let head): parts.append((head, []))
                case .content(let content): parts[parts.count - 1].1 += content
                case .partEnded: break
                case .finished: finished = true
                }
            }
            start = end
        }
        try reader.finish()
        #expect(finished)
        return parts
    }

    @Test("Parts read the same whatever the pieces the body arrives in", arguments: [1, 2, 3, 7, 13, 64, 4096])
    func anyPieceSize(pieceSize: Int) throws {
        let content = String(repeating: "line\r\n--b0undar not quite\r\n", count: 40)
        let bytes = Self.body(
            [("title", nil, nil, "Hello"), ("file", "a b.md", "text/markdown; charset=utf-8", content)],
            preamble: "ignored preamble\r\n")

        let parts = try Self.parts(bytes, pieceSize: pieceSize)

        #expect(parts.count == 2)
        #expect(parts[0].0 == MultipartPartHead(name: "title"))
        #expect(parts[0].1 == Array("Hello".utf8))
        #expect(parts[1].0.filename == "a b.md")
        #expect(parts[1].0.mediaType == "text/markdown")
        #expect(parts[1].1 == Array(content.utf8))
    }

    @Test("An empty part, quoted-pair escapes and padding after a delimiter are read")
    func edgeForms() throws {
        let text =
            "--\(Self.boundary)  \t\r\nContent-Disposition: form-data; name=\"a\\\"b\"; filename=\"x.txt\"\r\n\r\n\r\n"
            + "--\(Self.boundary)--"
        let parts = try Self.parts(Array(text.utf8), pieceSize: 5)

        #expect(parts.count == 1)
        #expect(parts[0].0.name == "a\"b")
        #expect(parts[0].1.isEmpty)
    }

    @Test("Malformed bodies are refused naming what is wrong", arguments: multipartBadBodies)
    func badBodies(name: String, body: String, message: String) {
        var reader = MultipartReader(boundary: Self.boundary)
        do {
            _ = try reader.read(Array(body.utf8))
            try reader.finish()
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.message.contains(message), "\(name): \(error.message)")
        }
    }

    @Test("The preamble, a header block and the number of parts are bounded")
    func limits() {
        var preamble = MultipartReader(boundary: Self.boundary)
        #expect(throws: MultipartError.self) {
            _ = try preamble.read([UInt8](repeating: 0x61, count: MultipartReader.maximumPreambleBytes + 100))
        }
        var headers = MultipartReader(boundary: Self.boundary)
        #expect(throws: MultipartError.self) {
            _ = try headers.read(Array("--b0undary\r\nx-pad: ".utf8) + [UInt8](repeating: 0x61, count: 9000))
        }
        var parts = MultipartReader(boundary: Self.boundary)
        let part = "--b0undary\r\ncontent-disposition: form-data; name=a\r\n\r\nx\r\n"
        #expect(throws: MultipartError.self) {
            _ = try parts.read(Array(String(repeating: part, count: MultipartReader.maximumParts + 1).utf8))
        }
    }

    @Test("The boundary is read from the content type and validated", arguments: multipartContentTypes)
    func boundaries(contentType: String?, expected: String?) {
        let boundary = try? MultipartReader.boundary(contentType: contentType)
        #expect(boundary == expected)
    }
}
