import Storage
import Testing

@Suite("LinkedLibraries")
struct LinkedLibrariesTests {
    @Test("libpq's version is major.minor with a major of at least 15")
    func libpqIsRecentEnough() throws {
        let parts = LinkedLibraries.libpq.split(separator: ".")

        try #require(parts.count == 2, "libpq version \(LinkedLibraries.libpq) is not major.minor")
        let major = try #require(Int(parts[0]))
        #expect(major >= 15)
        #expect(Int(parts[1]) != nil)
    }

    @Test("hiredis' version is three numbers")
    func hiredisVersionIsNumeric() {
        let parts = LinkedLibraries.hiredis.split(separator: ".")

        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }

    @Test("OpenSSL's version text is known and names OpenSSL")
    func openSSLVersionIsKnown() {
        #expect(!LinkedLibraries.openSSL.isEmpty)
        #expect(LinkedLibraries.openSSL != "unknown")
        #expect(LinkedLibraries.openSSL.hasPrefix("OpenSSL "))
    }
}
