import Foundation
import Storage
import Testing

@Suite("PostgresProbe")
struct PostgresProbeTests {
    /// A password no real server uses, to spot it in probe output.
    private static let marker = "probe-secret-6b1f0c"
    /// A URL libpq rejects before connecting: `sslmode` has no such value.
    private static let invalidSettingsURL =
        "postgresql://metachat:\(marker)@127.0.0.1:5432/metachat?sslmode=not-a-mode"

    @Test("A running server is reachable and accepting connections, with a measured latency")
    func runningServerAcceptsConnections() async throws {
        let probe = PostgresProbe(databaseURL: try TestEnvironment.databaseURL())

        let result = await probe.probe()

        #expect(result.reachable)
        #expect(result.message == "accepting connections")
        #expect(result.latencyMilliseconds > 0)
    }

    @Test("Query parameters already in the URL are kept and the probe still connects")
    func urlWithQueryParameters() async throws {
        let url = try TestEnvironment.databaseURL() + "?application_name=probe-test&sslmode=disable"

        let result = await PostgresProbe(databaseURL: url).probe()

        #expect(result.reachable)
        #expect(result.message == "accepting connections")
    }

    @Test("Nothing listening on the port gives no response")
    func closedPortGivesNoResponse() async throws {
        let port = try await ClosedPort.make()
        let probe = PostgresProbe(databaseURL: "postgresql://metachat:\(Self.marker)@127.0.0.1:\(port)/metachat")

        let result = await probe.probe()

        #expect(!result.reachable)
        #expect(result.message == "no response")
    }

    @Test(
        "Wrong credentials or database still count as reachable: PQping counts a refused login as an answer",
        arguments: [
            Credentials(user: nil, password: Self.marker, database: nil),
            Credentials(user: "no_such_role", password: Self.marker, database: nil),
            Credentials(user: nil, password: nil, database: "no_such_database"),
        ]
    )
    func wrongCredentialsStillReachable(credentials: Credentials) async throws {
        let url = try credentials.applied(to: try TestEnvironment.databaseURL())

        let result = await PostgresProbe(databaseURL: url).probe()

        #expect(result.reachable)
        #expect(result.message == "accepting connections")
    }

    @Test("Options libpq rejects before connecting are reported as invalid settings, not as an outage")
    func invalidSettings() async {
        let result = await PostgresProbe(databaseURL: Self.invalidSettingsURL).probe()

        #expect(!result.reachable)
        #expect(result.message == "invalid connection settings")
    }

    @Test("The result never repeats the password from the URL, whatever the outcome")
    func resultNeverContainsPassword() async throws {
        let port = try await ClosedPort.make()
        let urls = [
            try Credentials(user: nil, password: Self.marker, database: nil)
                .applied(to: try TestEnvironment.databaseURL()),
            "postgresql://metachat:\(Self.marker)@127.0.0.1:\(port)/metachat",
            Self.invalidSettingsURL,
        ]

        for url in urls {
            let result = await PostgresProbe(databaseURL: url).probe()

            #expect(!result.message.contains(Self.marker))
            #expect(!String(describing: result).contains(Self.marker))
            #expect(!String(reflecting: result).contains(Self.marker))
        }
    }
}

extension PostgresProbeTests {
    /// Replacements for parts of the real server's URL; `nil` keeps the part as it is.
    struct Credentials: Sendable, CustomTestStringConvertible {
        var user: String?
        var password: String?
        var database: String?

        var testDescription: String {
            [
                self.user.map { _ in "unknown role" },
                self.password.map { _ in "wrong password" },
                self.database.map { _ in "unknown database" },
            ]
            .compactMap(\.self)
            .joined(separator: ", ")
        }

        /// The URL with this value's parts swapped in.
        func applied(to url: String) throws -> String {
            var components = try #require(URLComponents(string: url), "the database URL does not parse as a URL")
            if let user = self.user {
                components.user = user
            }
            if let password = self.password {
                components.password = password
            }
            if let database = self.database {
                components.path = "/" + database
            }
            return try #require(components.string)
        }
    }
}

extension PostgresProbeTests {
    @Test("A Prisma-style schema parameter, which libpq does not know, does not make the probe fail")
    func prismaSchemaParameterIsIgnored() async throws {
        let url = try TestEnvironment.databaseURL() + "?schema=public&application_name=probe-test"

        let result = await PostgresProbe(databaseURL: url).probe()

        #expect(result.reachable)
        #expect(result.message == "accepting connections")
    }
}
