/// The header block of one part of a `multipart/form-data` body: its form field name, its
/// file name when it carries a file, and its content type.
package struct MultipartPartHead: Equatable, Sendable {
    /// The form field name (`content-disposition: form-data; name="…"`).
    package var name: String
    /// The file name, when the part carries a file (`filename="…"`).
    package var filename: String?
    /// The part's `content-type`, when given.
    package var contentType: String?

    /// The media type of ``contentType`` without its parameters, in lower case
    /// (`text/markdown; charset=utf-8` → `text/markdown`).
    package var mediaType: String? {
        self.contentType.map { HeaderParameters($0).value.lowercased() }
    }

    /// Creates a head.
    ///
    /// - Parameters:
    ///   - name: The field name.
    ///   - filename: The file name.
    ///   - contentType: The content type.
    package init(name: String, filename: String? = nil, contentType: String? = nil) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
    }

    /// Reads a header block: lines `name: value` separated by CRLF, without the empty line that
    /// ends it. Only `content-disposition` (required, `form-data` with a `name`) and
    /// `content-type` are interpreted; other fields are allowed and ignored.
    ///
    /// - Parameter headerBlock: The block's bytes.
    /// - Throws: ``MultipartError`` naming what is wrong.
    init(headerBlock: ArraySlice<UInt8>) throws(MultipartError) {
        guard let text = String(validating: headerBlock, as: UTF8.self) else {
            throw MultipartError("a part's headers are not UTF-8")
        }
        var disposition: String?
        var contentType: String?
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else {
                throw MultipartError("a part's header line has no colon: \(line.prefix(80))")
            }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" })
            switch name {
            case "content-disposition":
                guard disposition == nil else { throw MultipartError("a part has two content-disposition headers") }
                disposition = value
            case "content-type":
                guard contentType == nil else { throw MultipartError("a part has two content-type headers") }
                contentType = value
            default:
                continue
            }
        }
        guard let disposition else {
            throw MultipartError("a part has no content-disposition header")
        }
        let parameters = HeaderParameters(disposition)
        guard parameters.value.lowercased() == "form-data" else {
            throw MultipartError("a part's content-disposition must be form-data")
        }
        guard let name = parameters["name"], !name.isEmpty else {
            throw MultipartError("a part's content-disposition has no name")
        }
        self.init(name: name, filename: parameters["filename"], contentType: contentType)
    }
}
