extension JSONValue {
    /// Sets (or, for repeated fields, appends) a value at a member path, creating objects on
    /// the way. Used to turn path and query parameters into one JSON object.
    ///
    /// - Parameters:
    ///   - value: The value to place.
    ///   - path: Member names from the top, e.g. `["target", "roomId"]`.
    ///   - appending: Append to an array at the path instead of replacing.
    mutating func insert(_ value: JSONValue, at path: ArraySlice<String>, appending: Bool) {
        guard let key = path.first else { return }
        var members: [(key: String, value: JSONValue)]
        if case .object(let existing) = self {
            members = existing
        } else {
            members = []
        }
        let index = members.firstIndex { $0.key == key }
        if path.count == 1 {
            if appending {
                if let index, case .array(var elements) = members[index].value {
                    elements.append(value)
                    members[index].value = .array(elements)
                } else if let index {
                    members[index].value = .array([value])
                } else {
                    members.append((key, .array([value])))
                }
            } else if let index {
                members[index].value = value
            } else {
                members.append((key, value))
            }
        } else {
            var child = index.map { members[$0].value } ?? .object([])
            child.insert(value, at: path.dropFirst(), appending: appending)
            if let index {
                members[index].value = child
            } else {
                members.append((key, child))
            }
        }
        self = .object(members)
    }
}
