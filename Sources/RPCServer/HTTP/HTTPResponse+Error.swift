extension HTTPResponse {
    /// The one JSON error shape of every HTTP answer:
    /// `{"error": {"code": 404, "status": "NOT_FOUND", "message": "...", "details": []}}`.
    ///
    /// - Parameters:
    ///   - status: The HTTP status, also sent as `code`.
    ///   - statusName: The upper-snake name sent as `status`, e.g. `NOT_FOUND`.
    ///   - message: What was wrong; JSON-escaped here.
    /// - Returns: A JSON response.
    package static func error(status: Int, statusName: String, message: String) -> HTTPResponse {
        let code = "\"code\":\(status)"
        let name = "\"status\":\(JSONText.quoted(statusName))"
        let text = "\"message\":\(JSONText.quoted(message))"
        return .json(status: status, "{\"error\":{\(code),\(name),\(text),\"details\":[]}}")
    }
}
