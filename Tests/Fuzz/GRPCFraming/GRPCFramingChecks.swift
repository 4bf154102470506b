internal import FuzzSupport
internal import RPCServer

/// The checks of `fuzz-grpc-framing`, one per wire format.
enum GRPCFramingChecks {
    /// What a deframer produced from a body.
    private struct Deframed: Equatable {
        var messages: [[UInt8]] = []
        var flags: [Bool] = []
        var error: RPCError.Code?
        var partial = false
    }

    /// The deframer, whole against chunked (chunk size from the next byte), with a small limit
    /// so that oversized messages are reached.
    static func deframer(_ input: inout FuzzInput) {
        let chunkSize = Int(input.byte() % 32) + 1
        let limit = Int(input.byte()) * 4
        let body = Array(input.rest)
        var whole = Self.deframe(body, chunkSize: max(1, body.count), limit: limit)
        var chunked = Self.deframe(body, chunkSize: chunkSize, limit: limit)
        if whole.error != nil {
            // After an error the call ends: what the deframer still holds does not matter.
            whole.partial = false
            chunked.partial = false
        }
        fuzzCheck(whole == chunked, "chunking changed the deframer's result: \(whole) vs \(chunked)")
        if whole.error == nil {
            var reframed: [UInt8] = []
            for (message, compressed) in zip(whole.messages, whole.flags) {
                let length = UInt32(message.count)
                reframed += [compressed ? 1 : 0] + withUnsafeBytes(of: length.bigEndian, Array.init) + message
            }
            fuzzCheck(body.starts(with: reframed), "re-framed messages differ from the body")
            fuzzCheck(
                whole.partial == (reframed.count < body.count),
                "partial-message state disagrees with the bytes left: \(body.count - reframed.count)"
            )
        }
        for message in whole.messages {
            fuzzCheck(message.count <= limit, "a message of \(message.count) bytes passed the limit \(limit)")
        }
    }

    private static func deframe(_ body: [UInt8], chunkSize: Int, limit: Int) -> Deframed {
        var deframer = GRPCMessageDeframer(maxMessageBytes: limit)
        var result = Deframed()
        var start = 0
        do {
            while start < body.count {
                let end = min(body.count, start + chunkSize)
                try body[start..<end].withUnsafeBytes { chunk in
                    try deframer.process(chunk) { message in
                        fuzzCheck(message.wireBytes == message.bytes.count + 5, "wire size is not length + 5")
                        result.messages.append(message.bytes)
                        result.flags.append(message.compressed)
                    }
                }
                start = end
            }
        } catch let error as RPCError {
            result.error = error.code
        } catch {
            fuzzCheck(false, "the deframer threw a non-RPC error: \(error)")
        }
        result.partial = deframer.hasPartialMessage
        return result
    }

    /// `grpc-timeout`: accepted values are 1–8 digits and a unit, never negative.
    static func timeout(_ bytes: ArraySlice<UInt8>) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let duration = GRPCTimeout.parse(Substring(text)) else { return }
        fuzzCheck(duration >= .zero, "a negative timeout from '\(text)'")
        fuzzCheck((2...9).contains(text.utf8.count), "'\(text)' was accepted with a wrong length")
    }

    /// Metadata from header lines, then back: every `-bin` value the server keeps re-encodes to
    /// base64 that decodes to the same bytes; reserved and pseudo headers never become metadata.
    static func metadata(_ input: inout FuzzInput) {
        var headers: [(name: String, value: String)] = []
        while !input.rest.isEmpty, headers.count < 64 {
            let line = input.text()
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).lowercased()
            headers.append((name, parts.count > 1 ? String(parts[1]) : ""))
        }
        let metadata = GRPCMetadataCodec.metadata(from: headers)
        for element in metadata {
            fuzzCheck(!element.key.hasPrefix(":"), "pseudo-header \(element.key) became metadata")
            fuzzCheck(!GRPCMetadataCodec.isReserved(element.key), "reserved \(element.key) became metadata")
        }
        for (name, value) in GRPCMetadataCodec.headers(from: metadata) where name.hasSuffix("-bin") {
            fuzzCheck(Base64.decode(value) != nil, "the server wrote -bin value '\(value)' it cannot decode")
        }
    }

    /// Base64 both ways.
    static func base64(_ bytes: ArraySlice<UInt8>) {
        let raw = Array(bytes)
        fuzzCheck(Base64.decode(Base64.encode(raw)) == raw, "encode then decode changed \(raw)")
        let text = String(decoding: bytes, as: UTF8.self)
        if let decoded = Base64.decode(text) {
            fuzzCheck(
                Base64.decode(Base64.encode(decoded)) == decoded, "'\(text)' decoded to bytes that do not round-trip")
        }
    }

    /// `grpc-message` percent-encoding: the encoding is printable ASCII and decodes to the
    /// message; any header value decodes without trapping.
    static func statusMessage(_ bytes: ArraySlice<UInt8>) {
        let message = String(decoding: bytes, as: UTF8.self)
        let encoded = GRPCStatusMessage.encode(message)
        fuzzCheck(encoded.utf8.allSatisfy { (0x20...0x7E).contains($0) }, "encoded message is not printable ASCII")
        fuzzCheck(GRPCStatusMessage.decode(encoded) == message, "'\(message)' did not survive encoding")
        _ = GRPCStatusMessage.decode(message)
    }

    /// Gzip: decompression stays within its limit; what it yields compresses and decompresses
    /// back to itself.
    static func gzip(_ bytes: ArraySlice<UInt8>) {
        let limit = 64 * 1024
        guard let plain = try? Gzip.decompress(Array(bytes), limit: limit) else { return }
        fuzzCheck(plain.count <= limit, "decompressed \(plain.count) bytes past the limit \(limit)")
        guard let again = try? Gzip.compress(plain) else {
            fuzzCheck(false, "compressing \(plain.count) bytes failed")
            return
        }
        fuzzCheck((try? Gzip.decompress(again, limit: limit)) == plain, "gzip round trip changed the bytes")
    }
}
