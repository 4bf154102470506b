private import CZlib

/// gzip compression of gRPC messages, on zlib.
///
/// Each call owns its own `z_stream`, initialised and ended in the same function, so nothing
/// leaks and nothing is shared between threads.
package enum Gzip {
    /// Compresses bytes into a gzip member.
    ///
    /// - Parameter input: The uncompressed bytes.
    /// - Returns: The gzip bytes.
    /// - Throws: ``RPCError`` `internalError` when zlib fails (out of memory).
    package static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16 selects the gzip wrapper. Possible returns: Z_OK, Z_MEM_ERROR,
        // Z_STREAM_ERROR (bad parameters: impossible with these constants).
        guard CZlib_deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK
        else {
            throw RPCError(code: .internalError, message: "Could not start gzip compression.")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))))
        var input = input
        let status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                // deflateBound guarantees one Z_FINISH call completes: Z_STREAM_END.
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            throw RPCError(code: .internalError, message: "gzip compression failed.")
        }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// Decompresses a gzip (or zlib) member, refusing output larger than a limit.
    ///
    /// - Parameters:
    ///   - input: The compressed bytes.
    ///   - limit: The largest decompressed size accepted.
    /// - Returns: The decompressed bytes.
    /// - Throws: ``RPCError`` `resourceExhausted` when the output would exceed `limit` (checked
    ///   while inflating, so a small bomb cannot allocate past it), `internalError` when the
    ///   bytes are not valid gzip.
    package static func decompress(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 32 detects gzip or zlib headers.
        guard CZlib_inflateInit2(&stream, 15 + 32) == Z_OK else {
            throw RPCError(code: .internalError, message: "Could not start gzip decompression.")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        return try input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, target.count - Int(stream.avail_out))
                }
                // Possible returns: Z_OK (progress), Z_STREAM_END (done), Z_BUF_ERROR (no
                // progress: truncated input), Z_DATA_ERROR / Z_NEED_DICT (corrupt), Z_MEM_ERROR.
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    throw RPCError(code: .internalError, message: "A compressed message is truncated.")
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw RPCError(code: .internalError, message: "A compressed message is not valid gzip.")
                }
                guard output.count + produced <= limit else {
                    throw RPCError(
                        code: .resourceExhausted,
                        message: "Decompressed message larger than max (over \(limit) bytes)"
                    )
                }
                output.append(contentsOf: chunk[..<produced])
                if status == Z_STREAM_END {
                    return output
                }
                if produced == 0 && stream.avail_in == 0 {
                    throw RPCError(code: .internalError, message: "A compressed message is truncated.")
                }
            }
        }
    }
}
