private import CHiredis
private import COpenSSL
private import CPostgres

/// Versions of the C libraries the storage layer links, for `metachat version` and logs.
package enum LinkedLibraries {
    /// libpq's version, e.g. `15.18`.
    package static var libpq: String {
        let number = Int(PQlibVersion())
        return "\(number / 10000).\(number % 10000)"
    }

    /// hiredis' version, e.g. `0.14.1`.
    package static var hiredis: String {
        "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)"
    }

    /// OpenSSL's version text, e.g. `OpenSSL 3.0.17 1 Jul 2025`.
    package static var openSSL: String {
        guard let text = OpenSSL_version(Int32(OPENSSL_VERSION)) else { return "unknown" }
        return String(cString: text)
    }
}
