internal import FoundationEssentials
internal import MetaChatAPI
internal import RESTBridge
internal import RPCServer
internal import SwiftProtobuf

/// The messages of an `UploadDocument` call read from a `multipart/form-data` body while it
/// arrives: one header from the text fields before the file, then the file's bytes in chunks of
/// up to ``chunkBytes``. The fields (docs/api.md, "Uploading a file"):
///
/// - `title`, `contentType`, `sha256`: as in `UploadHeader`; `metadata`: a JSON object of
///   strings. Each at most once, at most ``maximumFieldBytes``, before the file.
/// - `file`: the file, required, last; its `filename` is the document's file name, its
///   `content-type` the declared type unless `contentType` was given
///   (`application/octet-stream` counts as none: the type is then guessed from the name).
///
/// A body that breaks these rules ends the call with `INVALID_ARGUMENT` naming the rule.
struct MultipartUploadMessages: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error

    /// File bytes per chunk message.
    static let chunkBytes = 256 * 1024
    /// Bytes of one text field.
    static let maximumFieldBytes = 64 * 1024
    /// The text fields a body may carry.
    static let fieldNames: Set<String> = ["title", "contentType", "sha256", "metadata"]

    let body: RPCAsyncSequence<[UInt8]>
    let boundary: String

    func makeAsyncIterator() -> Iterator {
        Iterator(body: self.body.makeAsyncIterator(), reader: MultipartReader(boundary: self.boundary))
    }

    /// Reads the body as the call asks for messages.
    struct Iterator: AsyncIteratorProtocol {
        private enum Phase {
            case fields
            case field(name: String, bytes: [UInt8])
            case file
            case afterFile
            case done
        }

        private var body: RPCAsyncSequence<[UInt8]>.AsyncIterator
        private var reader: MultipartReader
        private var phase = Phase.fields
        private var fields: [String: String] = [:]
        private var ready: [[UInt8]] = []
        private var file: [UInt8] = []

        init(body: RPCAsyncSequence<[UInt8]>.AsyncIterator, reader: MultipartReader) {
            self.body = body
            self.reader = reader
        }

        mutating func next() async throws -> [UInt8]? {
            while true {
                if !self.ready.isEmpty { return self.ready.removeFirst() }
                if case .done = self.phase { return nil }
                guard let chunk = try await self.body.next() else {
                    do {
                        try self.reader.finish()
                    } catch {
                        throw Self.invalid(error.message)
                    }
                    // The reader saw the closing delimiter, so `.finished` already ended the phase.
                    throw Self.invalid("the body ended before the closing multipart delimiter")
                }
                let events: [MultipartReader.Event]
                do {
                    events = try self.reader.read(chunk)
                } catch {
                    throw Self.invalid(error.message)
                }
                for event in events {
                    try self.handle(event)
                }
            }
        }

        private mutating func handle(_ event: MultipartReader.Event) throws {
            switch (event, self.phase) {
            case (.partBegan(let head), .fields):
                if head.name == "file" {
                    try self.beginFile(head)
                } else if head.filename != nil {
                    throw Self.invalid(
                        "the part \"\(head.name.prefix(64))\" carries a file; the file goes in the part named \"file\"")
                } else if !MultipartUploadMessages.fieldNames.contains(head.name) {
                    throw Self.invalid(
                        "the part \"\(head.name.prefix(64))\" is unknown; fields are title, contentType, sha256, metadata and file"
                    )
                } else if self.fields[head.name] != nil {
                    throw Self.invalid("the field \(head.name) appears twice")
                } else {
                    self.phase = .field(name: head.name, bytes: [])
                }
            case (.partBegan, .afterFile):
                throw Self.invalid("the part named \"file\" must be the last part")
            case (.content(let bytes), .field(let name, var value)):
                guard value.count + bytes.count <= MultipartUploadMessages.maximumFieldBytes else {
                    throw Self.invalid(
                        "the field \(name) is larger than \(MultipartUploadMessages.maximumFieldBytes) bytes")
                }
                value += bytes
                self.phase = .field(name: name, bytes: value)
            case (.partEnded, .field(let name, let value)):
                guard let text = String(validating: value, as: UTF8.self) else {
                    throw Self.invalid("the field \(name) is not UTF-8")
                }
                self.fields[name] = text
                self.phase = .fields
            case (.content(let bytes), .file):
                self.file += bytes
                while self.file.count >= MultipartUploadMessages.chunkBytes {
                    self.ready.append(try Self.chunk(Array(self.file[0..<MultipartUploadMessages.chunkBytes])))
                    self.file.removeSubrange(0..<MultipartUploadMessages.chunkBytes)
                }
            case (.partEnded, .file):
                if !self.file.isEmpty {
                    self.ready.append(try Self.chunk(self.file))
                    self.file = []
                }
                self.phase = .afterFile
            case (.finished, .afterFile):
                self.phase = .done
            case (.finished, _):
                throw Self.invalid("the body has no part named \"file\"")
            case (.partBegan, _), (.content, _), (.partEnded, _):
                // The reader reports parts in order; nothing else can occur.
                throw Self.invalid("the multipart body is out of order")
            }
        }

        /// The header message from the fields read so far and the file part's head.
        private mutating func beginFile(_ head: MultipartPartHead) throws {
            var header = Metachat_V1_UploadHeader()
            header.filename = head.filename ?? ""
            header.title = self.fields["title"] ?? ""
            header.sha256 = self.fields["sha256"] ?? ""
            let declared = head.mediaType ?? ""
            header.contentType = self.fields["contentType"] ?? (declared == "application/octet-stream" ? "" : declared)
            header.totalSize = 0
            if let metadata = self.fields["metadata"] {
                header.metadata = try Self.metadata(metadata)
            }
            var message = Metachat_V1_UploadDocumentRequest()
            message.header = header
            self.ready.append(try message.serializedBytes())
            self.phase = .file
        }

        private static func chunk(_ bytes: [UInt8]) throws -> [UInt8] {
            var message = Metachat_V1_UploadDocumentRequest()
            message.chunk = Data(bytes)
            return try message.serializedBytes()
        }

        /// The `metadata` field: a JSON object whose values are strings.
        private static func metadata(_ text: String) throws -> [String: String] {
            guard case .object(let members) = try? JSONParser.parse(Array(text.utf8)) else {
                throw Self.invalid("the field metadata must be a JSON object of strings")
            }
            var metadata: [String: String] = [:]
            for member in members {
                guard case .string(let value) = member.value else {
                    throw Self.invalid("the field metadata must be a JSON object of strings")
                }
                metadata[member.key] = value
            }
            return metadata
        }

        private static func invalid(_ reason: String) -> RPCError {
            RPCError(code: .invalidArgument, message: "The upload's multipart body is not valid: \(reason).")
        }
    }
}
