/// Converts between HTTP/2 header fields and call ``Metadata``.
///
/// Pseudo-headers and the headers the gRPC protocol reserves (`content-type`, `te`,
/// `grpc-timeout`, `grpc-encoding`, `grpc-accept-encoding`, `grpc-status`, `grpc-message`) are
/// not metadata. Values of `-bin` keys are base64 (padded or not) on the wire.
package enum GRPCMetadataCodec {
    /// Header names that belong to the protocol, not to metadata. A switch over literals: no
    /// hashing per header, and most names differ from each in length alone.
    package static func isReserved(_ name: String) -> Bool {
        switch name {
        case "content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "grpc-status",
            "grpc-message", "grpc-status-details-bin", "content-length", "connection", "host":
            true
        default:
            false
        }
    }

    /// The metadata carried by request headers.
    ///
    /// - Parameter headers: The header fields, names lower-case.
    /// - Returns: The metadata; `-bin` values that are not valid base64 are dropped.
    package static func metadata(from headers: [(name: String, value: String)]) -> Metadata {
        var metadata = Metadata()
        metadata.reserveCapacity(headers.count)
        for (name, value) in headers where !name.hasPrefix(":") && !Self.isReserved(name) {
            if name.hasSuffix("-bin") {
                if let bytes = Base64.decode(value) {
                    metadata.addBinary(bytes, forKey: name)
                }
            } else {
                metadata.addString(value, forKey: name)
            }
        }
        return metadata
    }

    /// The metadata carried by received HTTP/2 header fields, by the role each was given when
    /// it first arrived on its connection.
    ///
    /// - Parameter fields: The fields.
    /// - Returns: The metadata; `-bin` values that are not valid base64 are dropped.
    static func metadata(from fields: [HTTP2HeaderField]) -> Metadata {
        var metadata = Metadata()
        metadata.reserveCapacity(fields.count)
        for field in fields {
            switch field.role {
            case .metadata, .forwardedFor, .realIP:
                metadata.append(lowercased: Metadata.Element(key: field.name, value: .string(field.value)))
            case .binaryMetadata:
                if let bytes = Base64.decode(field.value) {
                    metadata.append(lowercased: Metadata.Element(key: field.name, value: .binary(bytes)))
                }
            default:
                break
            }
        }
        return metadata
    }

    /// Header fields for metadata sent by the server.
    ///
    /// - Parameter metadata: The metadata.
    /// - Returns: The header fields; reserved names are skipped.
    package static func headers(from metadata: Metadata) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(metadata.count)
        for element in metadata where !Self.isReserved(element.key) && !element.key.hasPrefix(":") {
            switch element.value {
            case .string(let value):
                headers.append((element.key, value))
            case .binary(let bytes):
                headers.append((element.key, Base64.encode(bytes)))
            }
        }
        return headers
    }
}
