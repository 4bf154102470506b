import RPCServer
import Testing

@testable import Handlers

@Suite("Which credential a call presents")
struct PresentedCredentialTests {
    private static func credential(_ pairs: [(String, Metadata.Value)]) -> PresentedCredential? {
        var metadata = Metadata()
        for (key, value) in pairs {
            switch value {
            case .string(let text): metadata.addString(text, forKey: key)
            case .binary(let bytes): metadata.addBinary(bytes, forKey: key)
            }
        }
        return PresentedCredential(metadata: metadata)
    }

    @Test("x-admin-key wins over x-api-key, which wins over Authorization: Bearer, wherever each appears")
    func preferenceOrder() {
        let all = Self.credential([
            ("authorization", .string("Bearer ten_bearer")),
            ("x-api-key", .string("ten_api")),
            ("x-admin-key", .string("adm_admin")),
        ])
        #expect(all?.header == .adminKey)
        #expect(all?.value == "adm_admin")

        let noAdmin = Self.credential([
            ("authorization", .string("Bearer ten_bearer")), ("x-api-key", .string("ten_api")),
        ])
        #expect(noAdmin?.header == .apiKey)
        #expect(noAdmin?.value == "ten_api")

        let bearer = Self.credential([
            ("user-agent", .string("grpc-swift")), ("authorization", .string("bearer  ten_b")),
        ])
        #expect(bearer?.header == .bearer)
        #expect(bearer?.value == "ten_b")
    }

    @Test("Names of a credential header's length that are not one are ignored")
    func lookAlikeNames() {
        let credential = Self.credential([
            ("x-api-kez", .string("ten_nine")),
            ("x-admin-kex", .string("adm_eleven")),
            ("authorisation", .string("Bearer ten_thirteen")),
            ("x-request-id", .string("abc")),
            ("x-api-key", .string("ten_real")),
        ])
        #expect(credential?.header == .apiKey)
        #expect(credential?.value == "ten_real")
        #expect(Self.credential([("x-api-kez", .string("ten_nine")), ("authorisation", .string("Bearer x"))]) == nil)
    }

    @Test("The first value of a header counts; an empty one, a binary one or another scheme is none")
    func firstTextValues() {
        let repeated = Self.credential([("x-api-key", .string("ten_first")), ("x-api-key", .string("ten_second"))])
        #expect(repeated?.value == "ten_first")

        let emptyAdmin = Self.credential([("x-admin-key", .string("")), ("x-api-key", .string("ten_api"))])
        #expect(emptyAdmin?.header == .apiKey)

        #expect(Self.credential([("x-api-key", .binary([1, 2, 3]))]) == nil)
        #expect(Self.credential([("authorization", .string("Basic dXNlcjpwYXNz"))]) == nil)
        #expect(Self.credential([("authorization", .string("Bearer   "))]) == nil)
        #expect(Self.credential([]) == nil)
    }
}
