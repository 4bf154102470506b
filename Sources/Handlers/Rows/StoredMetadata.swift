internal import FoundationEssentials

/// The `metadata` JSON object that tenants, conversations and documents store: string keys to
/// string values, written with sorted keys so equal maps store equal text.
enum StoredMetadata {
    /// The JSON stored for `metadata`.
    static func json(_ metadata: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(metadata), as: UTF8.self)
    }

    /// Reads a stored `metadata` object.
    static func decode(_ json: String) throws -> [String: String] {
        // Most rows have none: no decoder for the empty object.
        if json == "{}" { return [:] }
        return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
    }
}
