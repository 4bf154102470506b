internal import FoundationEssentials
internal import Storage

#if canImport(Glibc)
    internal import Glibc
#endif

/// The original bytes of documents, as files under `STORAGE_PATH`.
///
/// A file is written to `tmp/` first and moved to its key (`documents/<tenant>/<document>/<n>`)
/// with `rename(2)` once complete, so a reader never sees half a file; uploads are streamed to
/// disk piece by piece (``Upload``), never held whole in memory.
package struct DocumentFileStore: Sendable {
    /// The directory everything lives under.
    package let root: String

    /// Creates a store rooted at `root` (created on first write).
    package init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    /// The key of a document's content for one generation.
    static func key(tenantID: UUID, documentID: UUID, generation: Int32) -> String {
        "documents/\(tenantID.uuidString.lowercased())/\(documentID.uuidString.lowercased())/\(generation)"
    }

    /// The absolute path of `key`.
    func path(_ key: String) -> String { "\(self.root)/\(key)" }

    /// Starts a new temporary file for an upload.
    func beginUpload() throws -> Upload {
        try Self.makeDirectories("\(self.root)/tmp")
        let path = "\(self.root)/tmp/\(UUID().uuidString.lowercased())"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw DocumentFileError(operation: "create", errno: errno) }
        return Upload(path: path, descriptor: descriptor)
    }

    /// Writes `bytes` as a new temporary file and returns it, finished.
    func writeTemporary(_ bytes: [UInt8]) throws -> Upload {
        let upload = try self.beginUpload()
        do {
            try upload.append(bytes)
            try upload.finish()
        } catch {
            upload.discard()
            throw error
        }
        return upload
    }

    /// Moves a finished upload to `key`.
    func commit(_ upload: Upload, to key: String) throws {
        let destination = self.path(key)
        if let slash = destination.lastIndex(of: "/") {
            try Self.makeDirectories(String(destination[..<slash]))
        }
        guard rename(upload.path, destination) == 0 else {
            throw DocumentFileError(operation: "rename", errno: errno)
        }
    }

    /// Reads up to `count` bytes of `key` from `offset`; fewer at the end, none past it.
    func read(_ key: String, offset: Int, count: Int) throws -> [UInt8] {
        let descriptor = open(self.path(key), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DocumentFileError(operation: "open", errno: errno) }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return pread(descriptor, base + filled, count - filled, off_t(offset + filled))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw DocumentFileError(operation: "read", errno: errno)
            }
            if got == 0 { break }
            filled += got
        }
        buffer.removeSubrange(filled...)
        return buffer
    }

    /// Reads all of `key` (ingestion: at most the 100 MiB upload limit).
    func readAll(_ key: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let piece = try self.read(key, offset: bytes.count, count: 1 << 20)
            bytes += piece
            if piece.count < 1 << 20 { return bytes }
        }
    }

    /// Deletes `key` and the directories left empty above it; a missing file is no error.
    func remove(_ key: String) {
        let path = self.path(key)
        _ = unlink(path)
        var directory = path
        for _ in 0..<2 {
            guard let slash = directory.lastIndex(of: "/") else { return }
            directory = String(directory[..<slash])
            guard rmdir(directory) == 0 else { return }
        }
    }

    /// Whether `key` exists.
    func exists(_ key: String) -> Bool {
        access(self.path(key), F_OK) == 0
    }

    private static func makeDirectories(_ path: String) throws {
        var current = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            current +=
                current.isEmpty && path.hasPrefix("/") ? "/" + component : (current.isEmpty ? "" : "/") + component
            if current.isEmpty || current == "/" { continue }
            if mkdir(current, 0o700) != 0, errno != EEXIST {
                throw DocumentFileError(operation: "mkdir", errno: errno)
            }
        }
    }

    /// A temporary file being written (an upload in progress). Not shared between tasks.
    final class Upload {
        /// Where the bytes go.
        let path: String
        private var descriptor: Int32
        private let hasher = IncrementalSHA256()
        /// Bytes written so far.
        private(set) var size: Int64 = 0
        /// The first bytes (up to 8 KiB), for content sniffing.
        private(set) var prefix: [UInt8] = []
        /// The SHA-256 of everything written, once ``finish()`` ran.
        private(set) var sha256 = ""

        init(path: String, descriptor: Int32) {
            self.path = path
            self.descriptor = descriptor
        }

        /// Appends bytes to the file and the digest.
        func append(_ bytes: [UInt8]) throws {
            if self.prefix.count < 8192 {
                self.prefix += bytes.prefix(8192 - self.prefix.count)
            }
            self.hasher.update(bytes)
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return write(self.descriptor, base + written, bytes.count - written)
                }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw DocumentFileError(operation: "write", errno: errno)
                }
                written += result
            }
            self.size += Int64(bytes.count)
        }

        /// Flushes and closes the file and computes its digest.
        func finish() throws {
            guard self.descriptor >= 0 else { return }
            let synced = fsync(self.descriptor)
            let syncError = errno
            close(self.descriptor)
            self.descriptor = -1
            self.sha256 = Digest.hex(self.hasher.finish())
            guard synced == 0 else { throw DocumentFileError(operation: "fsync", errno: syncError) }
        }

        /// Closes and deletes the file (an upload that failed or was refused).
        func discard() {
            if self.descriptor >= 0 {
                close(self.descriptor)
                self.descriptor = -1
            }
            _ = unlink(self.path)
        }

        deinit {
            if self.descriptor >= 0 {
                close(self.descriptor)
            }
        }
    }
}

/// A file operation under `STORAGE_PATH` failed (disk full, permissions). Clients see
/// `INTERNAL`; the cause goes to logs only.
struct DocumentFileError: Error, CustomStringConvertible {
    /// What was attempted.
    let operation: String
    /// The `errno` it failed with.
    let errno: Int32

    var description: String { "document storage: \(self.operation) failed (errno \(self.errno))" }
}
