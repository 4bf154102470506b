private import CNGHTTP2

/// Facts about the linked libnghttp2.
package enum NGHTTP2Library {
    /// The runtime version string, e.g. `1.52.0`.
    package static var version: String {
        guard let info = nghttp2_version(0), let text = info.pointee.version_str else { return "unknown" }
        return String(cString: text)
    }
}
