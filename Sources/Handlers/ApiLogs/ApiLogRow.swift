internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage
internal import SwiftProtobuf

/// A row of `api_logs` as ListApiLogs answers it.
struct ApiLogRow {
    /// The columns ``init(_:)`` reads.
    static let columns = """
        id, (extract(epoch FROM occurred_at) * 1000000)::bigint AS occurred_micros, key_id, method, route, protocol,
        grpc_code::int AS grpc_code, http_status::int AS http_status, latency_us, request_id, client_address
        """

    /// The row's number.
    var id: Int64
    /// `occurred_at` in microseconds since 1970.
    var occurredMicros: Int64
    /// The answer.
    var entry: Metachat_V1_ApiLogEntry

    init(_ row: PostgresRow) throws {
        self.id = try row.decode("id", as: Int64.self)
        self.occurredMicros = try row.decode("occurred_micros", as: Int64.self)
        var entry = Metachat_V1_ApiLogEntry()
        entry.occurredAt = Google_Protobuf_Timestamp(
            seconds: self.occurredMicros / 1_000_000, nanos: Int32(self.occurredMicros % 1_000_000) * 1000)
        entry.keyID = try row.decode("key_id", as: UUID?.self)?.lowercasedString ?? ""
        entry.method = try row.decode("method", as: String.self)
        entry.route = try row.decode("route", as: String.self)
        entry.protocol = try row.decode("protocol", as: String.self)
        let code = Int(try row.decode("grpc_code", as: Int32.self))
        entry.code = RPCError.Code(rawValue: code).map { "\($0)" } ?? String(code)
        entry.httpStatus = Int32(try row.decode("http_status", as: Int32.self))
        entry.latencyMicros = try row.decode("latency_us", as: Int64.self)
        entry.requestID = try row.decode("request_id", as: String.self)
        entry.clientAddress = try row.decode("client_address", as: String?.self) ?? ""
        self.entry = entry
    }
}
