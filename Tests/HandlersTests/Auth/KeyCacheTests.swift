import Foundation
import Handlers
import Logging
import RPCServer
import Storage
import Testing

@Suite("Key cache and its invalidation through Redis", .serialized)
struct KeyCacheTests {
    /// One server instance's authentication: its own cache, Redis pool and subscriber.
    private struct Instance {
        let directory: KeyDirectory
        let interceptor: AuthenticationInterceptor
        let invalidation: RedisKeyInvalidation
        let redis: RedisPool
        let subscriber: RedisSubscriber

        init(pool: PostgresPool) async throws {
            let url = try TestEnvironment.redisURL()
            self.directory = KeyDirectory(pool: pool)
            self.interceptor = AuthenticationInterceptor(
                directory: self.directory, usage: KeyUsageRecorder(pool: pool), pepper: AuthFixture.pepper,
                globalAPIKey: nil)
            self.redis = RedisPool(configuration: .init(url: url), logger: .quiet)
            self.subscriber = try RedisSubscriber(configuration: .init(url: url), logger: .quiet)
            self.invalidation = RedisKeyInvalidation(
                directory: self.directory, redis: self.redis, subscriber: self.subscriber, logger: .quiet)
            try await self.invalidation.start()
        }

        func status(_ key: ApiKeyMaterial) async -> RPCError.Code? {
            let error = await statusOf {
                _ = try await AuthFixture.call([self.interceptor], metadata: ["x-api-key": key.plaintext])
            }
            return error?.code
        }

        func shutdown() async {
            await self.invalidation.stop()
            await self.subscriber.shutdown()
            await self.redis.shutdown()
        }
    }

    @Test("A cached key is answered without PostgreSQL; concurrent misses load once")
    func cacheHit() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let key = try await fixture.key(tenant: try await fixture.tenant())
            let directory = KeyDirectory(pool: pool)
            let interceptor = AuthenticationInterceptor(
                directory: directory, usage: KeyUsageRecorder(pool: pool), pepper: AuthFixture.pepper,
                globalAPIKey: nil)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        _ = try await AuthFixture.call([interceptor], metadata: ["x-api-key": key.material.plaintext])
                    }
                }
                try await group.waitForAll()
            }
            #expect(directory.loadCount == 1)

            // Revoked behind the cache's back: the cached row still answers, PostgreSQL is not read.
            try await fixture.execute("UPDATE api_keys SET active = false, revoked_at = now() WHERE id = \(key.id)")
            let cached = try await AuthFixture.call([interceptor], metadata: ["x-api-key": key.material.plaintext])

            #expect(cached.principal != nil)
            #expect(directory.loadCount == 1)
        }
    }

    @Test("Unknown prefixes are cached briefly, so guessing does not reach PostgreSQL every time")
    func negativeCache() async throws {
        try await MigratedDatabase.with { pool in
            let directory = KeyDirectory(pool: pool)
            let interceptor = AuthenticationInterceptor(
                directory: directory, usage: KeyUsageRecorder(pool: pool), pepper: AuthFixture.pepper,
                globalAPIKey: nil)
            let unknown = ApiKeyMaterial(generating: .tenant)
            for _ in 0..<3 {
                let error = await statusOf {
                    _ = try await AuthFixture.call([interceptor], metadata: ["x-api-key": unknown.plaintext])
                }
                #expect(error?.code == .unauthenticated)
            }
            #expect(directory.loadCount == 1)
        }
    }

    @Test("A revocation published by one instance reaches another instance's cache within 1 s")
    func keyInvalidationAcrossInstances() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let key = try await fixture.key(tenant: try await fixture.tenant())
            let first = try await Instance(pool: pool)
            let second = try await Instance(pool: pool)
            do {
                #expect(await first.status(key.material) == nil)
                #expect(await second.status(key.material) == nil)
                try await fixture.execute("UPDATE api_keys SET active = false, revoked_at = now() WHERE id = \(key.id)")
                #expect(await second.status(key.material) == nil, "the second instance answers from its cache")

                await first.invalidation.keyChanged(keyID: key.id.uuidString.lowercased())

                #expect(await first.status(key.material) == .unauthenticated)
                let elapsed = try await Polling.until("the second instance to see the revocation", within: .seconds(1))
                {
                    await second.status(key.material) == .unauthenticated
                }
                #expect(elapsed < .seconds(1))
            } catch {
                await first.shutdown()
                await second.shutdown()
                throw error
            }
            await first.shutdown()
            await second.shutdown()
        }
    }

    @Test("Disabling a tenant, published by one instance, reaches another instance within 1 s")
    func tenantInvalidationAcrossInstances() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let tenantID = try await fixture.tenant()
            let key = try await fixture.key(tenant: tenantID)
            let first = try await Instance(pool: pool)
            let second = try await Instance(pool: pool)
            do {
                #expect(await second.status(key.material) == nil)
                try await fixture.execute(
                    "UPDATE tenants SET enabled = false, disabled_at = now() WHERE id = \(tenantID)")
                #expect(await second.status(key.material) == nil, "the second instance answers from its cache")

                await first.invalidation.tenantChanged(tenantID: tenantID.uuidString.lowercased())

                try await Polling.until("the second instance to see the disabled tenant", within: .seconds(1)) {
                    await second.status(key.material) == .permissionDenied
                }
            } catch {
                await first.shutdown()
                await second.shutdown()
                throw error
            }
            await first.shutdown()
            await second.shutdown()
        }
    }
}

@Suite("Key cache bounds and failures", .serialized)
struct KeyCacheBoundsTests {
    @Test("Made-up prefixes cannot grow the cache past its bound; known keys stay cached")
    func bounded() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let key = try await fixture.key(tenant: try await fixture.tenant())
            let directory = KeyDirectory(pool: pool, maximumEntries: 4)
            _ = try await directory.key(
                prefix: key.material.prefix, hash: key.material.hash(pepper: AuthFixture.pepper))

            for _ in 0..<10 {
                let unknown = ApiKeyMaterial(generating: .tenant)
                _ = try await directory.key(prefix: unknown.prefix, hash: unknown.hash(pepper: AuthFixture.pepper))
                #expect(directory.cachedCount <= 4)
            }
            let loads = directory.loadCount
            let again = try await directory.key(
                prefix: key.material.prefix, hash: key.material.hash(pepper: AuthFixture.pepper))

            #expect(again?.id == key.id)
            #expect(directory.loadCount == loads, "the known key was answered from the cache")
        }
    }

    @Test("PostgreSQL unreachable on a cache miss is UNAVAILABLE, not INTERNAL")
    func databaseDown() async throws {
        // A reserved loopback port on which no server was started: connections are refused.
        let port = try RedisOnFreePort().url.port
        var options = PostgresPool.Configuration.Options.defaults
        options.maximumConnections = 1
        options.connectTimeout = .milliseconds(500)
        let pool = PostgresPool(
            configuration: .init(url: "postgresql://metachat@127.0.0.1:\(port)/metachat", options: options),
            logger: .quiet)
        let interceptor = AuthenticationInterceptor(
            directory: KeyDirectory(pool: pool), usage: KeyUsageRecorder(pool: pool), pepper: AuthFixture.pepper,
            globalAPIKey: nil)

        let error = await statusOf {
            _ = try await AuthFixture.call(
                [interceptor], metadata: ["x-api-key": ApiKeyMaterial(generating: .tenant).plaintext])
        }
        await pool.shutdown()

        #expect(error?.code == .unavailable)
    }
}
