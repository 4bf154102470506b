/// Who makes a change and under which request, for the audit log.
package struct AuditActor: Sendable, Hashable {
    /// The actor recorded in `audit_log.actor`.
    package var name: String
    /// The request id recorded in `audit_log.request_id`, if the change came from a call.
    package var requestID: String?

    /// Creates an actor.
    ///
    /// - Parameters:
    ///   - name: An admin user's id, `bootstrap`, or the name of a command such as `seed-admin`.
    ///   - requestID: The call's request id, if any.
    package init(name: String, requestID: String? = nil) {
        self.name = name
        self.requestID = requestID
    }
}
