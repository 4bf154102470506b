/// Bind parameters laid out as libpq's `PQexecParams` / `PQexecPrepared` want them: one buffer of
/// bytes, and per parameter a pointer into it (null for SQL `NULL`), a length and a format.
struct EncodedParameters {
    private var bytes: [UInt8] = []
    private var offsets: [Int?] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []

    init(_ binds: [PostgresValue?]) {
        for bind in binds {
            guard let bind else {
                self.offsets.append(nil)
                self.lengths.append(0)
                self.formats.append(1)
                continue
            }
            let encoded = bind.binaryEncoded
            self.offsets.append(self.bytes.count)
            self.lengths.append(Int32(truncatingIfNeeded: encoded.count))
            self.formats.append(bind.wireFormat)
            self.bytes += encoded
            // libpq reads a text-format value up to its NUL (it ignores the length), so each one
            // ends with a NUL of its own rather than running into the next parameter's bytes.
            if bind.wireFormat == 0 {
                self.bytes.append(0)
            }
        }
        // A trailing byte so that empty values still point into a real buffer.
        self.bytes.append(0)
    }

    /// Calls `body` with the value pointers, lengths and formats, valid only during the call.
    func withPointers<R>(
        _ body: (
            UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        self.bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress)
            let pointers: [UnsafePointer<CChar>?] = self.offsets.map { offset in
                offset.flatMap { base?.advanced(by: $0).assumingMemoryBound(to: CChar.self) }
            }
            return pointers.withUnsafeBufferPointer { values in
                self.lengths.withUnsafeBufferPointer { lengths in
                    self.formats.withUnsafeBufferPointer { formats in
                        body(values.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }
}
