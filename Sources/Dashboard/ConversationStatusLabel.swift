internal import MetaChatAPI

/// How conversation statuses read on the dashboard.
enum ConversationStatusLabel {
    /// The label of a stored status name (`AWAITING_HUMAN`, …).
    static func label(stored name: String) -> String {
        switch name {
        case "OPEN": "AI answering"
        case "AWAITING_HUMAN": "Awaiting a human"
        case "ASSIGNED_TO_HUMAN": "Assigned"
        case "RESOLVED": "Resolved"
        case "CLOSED": "Closed"
        default: name
        }
    }

    /// The label of a status.
    static func label(_ status: Metachat_V1_ConversationStatus) -> String {
        switch status {
        case .open: "AI answering"
        case .awaitingHuman: "Awaiting a human"
        case .assignedToHuman: "Assigned"
        case .resolved: "Resolved"
        case .closed: "Closed"
        default: "Unknown"
        }
    }

    /// "3 min", "2 h 5 min", "4 d" for a waiting time in seconds.
    static func waiting(seconds: Int) -> String {
        let seconds = max(0, seconds)
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min" }
        if seconds < 86_400 { return "\(seconds / 3600) h \(seconds % 3600 / 60) min" }
        return "\(seconds / 86_400) d"
    }
}
