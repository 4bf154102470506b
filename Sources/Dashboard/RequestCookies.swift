package import RPCServer

/// The cookies of a request's `Cookie` header fields.
package enum RequestCookies {
    /// The value of the first cookie named `name`, across every `Cookie` field; at most 4 KiB of
    /// each field is read.
    package static func value(named name: String, in request: HTTPRequest) -> String? {
        for (field, value) in request.headers where HeaderName.matches(field, "cookie") {
            for pair in value.prefix(4096).split(separator: ";") {
                let text = pair.drop { $0 == " " }
                guard let equals = text.firstIndex(of: "=") else { continue }
                if text[..<equals] == name {
                    return String(text[text.index(after: equals)...])
                }
            }
        }
        return nil
    }
}
