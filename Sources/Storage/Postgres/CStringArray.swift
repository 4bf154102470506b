internal import Glibc

/// Strings copied to C memory, for C functions that take a `NULL`-terminated `const char *const *`.
struct CStringArray {
    private let strings: [String]

    init(_ strings: [String]) {
        self.strings = strings
    }

    /// Calls `body` with a `NULL`-terminated array of the strings, valid only during the call.
    func withPointers<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let copies = self.strings.map { strdup($0) }
        defer {
            for copy in copies {
                free(copy)
            }
        }
        let pointers = copies.map { $0.map { UnsafePointer($0) } } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
