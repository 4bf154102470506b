internal import FoundationEssentials
internal import MetaChatAPI
internal import RESTBridge
internal import RPCServer
internal import SwiftProtobuf

/// The knowledge base's file routes, which the generated bridge cannot express: a multipart
/// upload streamed into `UploadDocument` while the body arrives (never held whole in memory),
/// and the download of a document's original bytes as a plain body from `DownloadDocument`.
/// Both call the methods through the gateway's interceptors, so authentication, tenant access
/// (`x-tenant-id` for admin keys), rate limits, the API log and metrics are those of every other
/// route (docs/api.md, "Uploading a file").
enum DocumentFileRoutes {
    /// The upload's path.
    static let uploadPath = "/api/documents/upload"
    /// The download's path template.
    static let downloadTemplate = "/api/documents/{document_id}/content"
    /// The largest multipart body read: the 100 MiB file plus room for its fields and framing.
    static let maximumUploadBodyBytes = 100 * 1024 * 1024 + 1024 * 1024

    /// Adds the routes.
    ///
    /// - Parameter table: The raw route table.
    static func register(in table: inout RawRouteTable) {
        table.add("POST", template: Self.uploadPath, maxBodyBytes: Self.maximumUploadBodyBytes, streamsBody: true) {
            request, _, calls in
            await Self.upload(request, calls: calls)
        }
        table.add("GET", template: Self.downloadTemplate) { request, values, calls in
            await Self.download(documentID: values[0], calls: calls)
        }
    }

    private static func upload(_ request: HTTPRequest, calls: RawRouteCalls) async -> HTTPResponse {
        let boundary: String
        do {
            boundary = try MultipartReader.boundary(contentType: request.header("content-type"))
        } catch {
            return ErrorBody.response(
                for: RPCError(code: .invalidArgument, message: "The upload is not valid: \(error.message)."))
        }
        let body = request.bodyStream ?? .elements([request.body])
        let messages = MultipartUploadMessages(body: body, boundary: boundary)
        return await calls.clientStreaming(
            Metachat_V1_DocumentService.Method.uploadDocument.path,
            responseType: Metachat_V1_Document.self,
            requests: RPCAsyncSequence(wrapping: messages))
    }

    private static func download(documentID: String, calls: RawRouteCalls) async -> HTTPResponse {
        var request = Metachat_V1_DownloadDocumentRequest()
        request.documentID = documentID
        let encoded: [UInt8]
        do {
            encoded = try request.serializedBytes()
        } catch {
            return ErrorBody.response(for: RPCError.from(error))
        }
        return await calls.serverStreaming(
            Metachat_V1_DocumentService.Method.downloadDocument.path,
            request: encoded,
            head: { first in
                let content = try first.map { try Metachat_V1_DocumentContent(serializedBytes: $0) }
                return (200, Self.downloadHeaders(contentType: content?.contentType, filename: content?.filename))
            },
            body: { message in Array(try Metachat_V1_DocumentContent(serializedBytes: message).data) }
        )
    }

    /// The download's headers: the stored type, and `attachment` with the file name, so a
    /// browser saves the file rather than rendering it in the API's origin.
    static func downloadHeaders(contentType: String?, filename: String?) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            ("content-type", (contentType?.isEmpty ?? true) ? "application/octet-stream" : contentType ?? ""),
            ("cache-control", "private, no-store"),
        ]
        if let filename, !filename.isEmpty {
            headers.append(("content-disposition", "attachment; filename*=UTF-8''\(Self.percentEncoded(filename))"))
        } else {
            headers.append(("content-disposition", "attachment"))
        }
        return headers
    }

    /// RFC 8187 `attr-char`s as they are, every other byte percent-encoded.
    private static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            case _ where Array("!#$&+-.^_`|~".utf8).contains(byte):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                encoded += "%"
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return encoded
    }
}
