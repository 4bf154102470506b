private import CNGHTTP2
private import RPCServer

#if canImport(Glibc)
    private import Glibc
#endif

/// Recognises inputs that send a `grpc-timeout` too long for NIO's `TimeAmount` (more than
/// 2,562,047 hours, e.g. `99999999H`): converting it overflows and traps. That defect is known
/// and fixed separately (the `grpc-timeout` overflow in the hardening issue); until the fix is
/// merged, the HTTP/2 target skips these inputs (returning -1, so libFuzzer does not keep them)
/// instead of stopping at the first one. `METACHAT_FUZZ_TIMEOUT_FILTER=off` turns the filter off
/// (to see the defect, or check its fix: `Corpus/http2/regression-grpc-timeout-hours` is such an
/// input). Delete this filter once the fix is in.
///
/// The header block is decoded by a bare nghttp2 server session with default options, which
/// accepts at least what the server's own session does; a field is reported wherever it
/// appears, valid stream or not.
enum GRPCTimeoutOverflowFilter {
    /// The largest hour count whose nanoseconds fit in an `Int64`.
    private static let maxHours = Int64.max / 3_600_000_000_000

    /// Whether the filter is on (`METACHAT_FUZZ_TIMEOUT_FILTER` is not `off`).
    private static let enabled = getenv("METACHAT_FUZZ_TIMEOUT_FILTER").map { String(cString: $0) } != "off"

    /// Whether `bytes` (preface included) send such a `grpc-timeout` (always `false` when the
    /// filter is off).
    static func sends(_ bytes: [UInt8]) -> Bool {
        guard Self.enabled else { return false }
        var found = false
        withUnsafeMutablePointer(to: &found) { flag in
            var callbacks: OpaquePointer?
            guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return }
            defer { nghttp2_session_callbacks_del(callbacks) }
            nghttp2_session_callbacks_set_on_header_callback(callbacks) {
                _, _, name, nameLength, value, valueLength, _, userData in
                guard let name, let value, let userData else { return 0 }
                let nameBytes = UnsafeBufferPointer(start: name, count: nameLength)
                let valueBytes = UnsafeBufferPointer(start: value, count: valueLength)
                if nameBytes.elementsEqual("grpc-timeout".utf8), GRPCTimeoutOverflowFilter.overflows(valueBytes) {
                    userData.assumingMemoryBound(to: Bool.self).pointee = true
                }
                return 0
            }
            var session: OpaquePointer?
            guard nghttp2_session_server_new(&session, callbacks, flag) == 0, let session else { return }
            defer { nghttp2_session_del(session) }
            Self.sendServerSettings(session)
            bytes.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                _ = nghttp2_session_mem_recv(session, base, buffer.count)
            }
        }
        return found
    }

    /// Sends what the server's own session sends first: its SETTINGS (so that the client's
    /// SETTINGS ACK is valid, and streams past the limit are refused alike) and its connection
    /// window. The filter's session returns flow-control window by itself, so it accepts at
    /// least the DATA the server's does.
    private static func sendServerSettings(_ session: OpaquePointer) {
        let limits = RPCServerConfiguration.HTTP2Limits.defaults
        var settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: limits.maxConcurrentStreams
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: limits.initialStreamWindowBytes
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: limits.maxHeaderListBytes
            ),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES.rawValue), value: 1),
        ]
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        _ = nghttp2_session_set_local_window_size(
            session,
            UInt8(NGHTTP2_FLAG_NONE.rawValue),
            0,
            Int32(clamping: limits.connectionWindowBytes)
        )
        var output: UnsafePointer<UInt8>?
        while nghttp2_session_mem_send(session, &output) > 0 {}
    }

    /// Whether a value is an hour count past ``maxHours`` in the syntax `grpc-timeout` accepts.
    private static func overflows(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (2...9).contains(value.count), value.last == UInt8(ascii: "H") else { return false }
        var hours: Int64 = 0
        for byte in value.dropLast() {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
            hours = hours * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return hours > Self.maxHours
    }
}
