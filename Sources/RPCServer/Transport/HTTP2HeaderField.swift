/// One received header field, with what it means to the server decided once per distinct
/// field (``HeaderFieldCache`` keeps the decision with the strings).
struct HTTP2HeaderField {
    /// What a field means to the server.
    enum Role: Equatable {
        /// `:method`.
        case method
        /// `:path`.
        case path
        /// Another pseudo-header (`:scheme`, `:authority`, `:status`).
        case otherPseudo
        /// `content-type`.
        case contentType
        /// `content-length`.
        case contentLength
        /// `grpc-timeout`.
        case grpcTimeout
        /// `grpc-encoding`.
        case grpcEncoding
        /// `grpc-accept-encoding`.
        case grpcAcceptEncoding
        /// Another field the gRPC protocol reserves (`te`, `grpc-status`, …): not metadata.
        case reserved
        /// `x-forwarded-for` (also call metadata).
        case forwardedFor
        /// `x-real-ip` (also call metadata).
        case realIP
        /// Call metadata with a text value.
        case metadata
        /// Call metadata whose name ends in `-bin`: its value is base64.
        case binaryMetadata

        /// The role of a field name (lower-case, as HTTP/2 requires).
        init(name: String) {
            switch name {
            case ":method": self = .method
            case ":path": self = .path
            case "content-type": self = .contentType
            case "content-length": self = .contentLength
            case "grpc-timeout": self = .grpcTimeout
            case "grpc-encoding": self = .grpcEncoding
            case "grpc-accept-encoding": self = .grpcAcceptEncoding
            case "x-forwarded-for": self = .forwardedFor
            case "x-real-ip": self = .realIP
            default:
                if name.hasPrefix(":") {
                    self = .otherPseudo
                } else if GRPCMetadataCodec.isReserved(name) {
                    self = .reserved
                } else if name.hasSuffix("-bin") {
                    self = .binaryMetadata
                } else {
                    self = .metadata
                }
            }
        }

        /// Whether the field is a pseudo-header.
        var isPseudo: Bool {
            switch self {
            case .method, .path, .otherPseudo: true
            default: false
            }
        }
    }

    /// The name, lower-case.
    var name: String
    /// The value.
    var value: String
    /// What the field means to the server.
    var role: Role

    /// A field whose role follows from its name.
    init(name: String, value: String) {
        self.name = name
        self.value = value
        self.role = Role(name: name)
    }
}
