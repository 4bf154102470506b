import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("TenantHandler listing", .serialized)
struct TenantListTests {
    @Test("120 tenants page newest first with tokens, each exactly once, the last page without a token")
    func paginationCoversEveryTenantOnce() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let admin = TestCaller.context(TestCaller.standardAdmin)
            var created: [String] = []
            for index in 0..<120 {
                var request = Metachat_V1_CreateTenantRequest()
                request.name = "Tenant \(index)"
                created.append(try await handler.createTenant(request: request, context: admin).id)
            }

            var seen: [Metachat_V1_Tenant] = []
            var pageSizes: [Int] = []
            var request = Metachat_V1_ListTenantsRequest()
            request.pageSize = 50
            repeat {
                let page = try await handler.listTenants(request: request, context: admin)
                seen += page.tenants
                pageSizes.append(page.tenants.count)
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty && pageSizes.count < 10

            #expect(pageSizes == [50, 50, 20])
            #expect(Set(seen.map(\.id)) == Set(created))
            #expect(seen.count == 120)
            let order = seen.map { ($0.createdAt.seconds, $0.createdAt.nanos) }
            #expect(zip(order, order.dropFirst()).allSatisfy { $0 >= $1 })
            #expect(seen.first?.name == "Tenant 119")
        }
    }

    @Test("Page size: 0 means 50, above 200 is clamped to 200, negative is INVALID_ARGUMENT")
    func pageSizes() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let admin = TestCaller.context(.bootstrap)
            for index in 0..<60 {
                var request = Metachat_V1_CreateTenantRequest()
                request.name = "T\(index)"
                _ = try await handler.createTenant(request: request, context: admin)
            }
            var request = Metachat_V1_ListTenantsRequest()
            #expect(try await handler.listTenants(request: request, context: admin).tenants.count == 50)
            request.pageSize = 500
            let clamped = try await handler.listTenants(request: request, context: admin)
            #expect(clamped.tenants.count == 60)
            #expect(clamped.nextPageToken.isEmpty)
            request.pageSize = -1
            let error = await TenantFixtures.rpcError {
                try await handler.listTenants(request: request, context: admin)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix("pageSize ") == true)
        }
    }

    @Test("Filters by enabled and by a case-insensitive name substring, and the token keeps the filters")
    func filters() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let admin = TestCaller.context(TestCaller.superAdmin)
            var ids: [String: String] = [:]
            for name in ["Alpha Shop", "beta SHOP", "Gamma", "Delta shopping", "100% Shop_"] {
                var request = Metachat_V1_CreateTenantRequest()
                request.name = name
                ids[name] = try await handler.createTenant(request: request, context: admin).id
            }
            var disable = Metachat_V1_DisableTenantRequest()
            disable.tenantID = ids["beta SHOP"] ?? ""
            _ = try await handler.disableTenant(request: disable, context: admin)

            var request = Metachat_V1_ListTenantsRequest()
            request.nameQuery = "shop"
            let shops = try await handler.listTenants(request: request, context: admin).tenants.map(\.name)
            #expect(Set(shops) == ["Alpha Shop", "beta SHOP", "Delta shopping", "100% Shop_"])

            request.enabled = Google_Protobuf_BoolValue(true)
            let enabledShops = try await handler.listTenants(request: request, context: admin).tenants.map(\.name)
            #expect(Set(enabledShops) == ["Alpha Shop", "Delta shopping", "100% Shop_"])

            request.nameQuery = "% shop_"
            request.enabled = Google_Protobuf_BoolValue(true)
            #expect(
                try await handler.listTenants(request: request, context: admin).tenants.map(\.name) == ["100% Shop_"])

            var disabledOnly = Metachat_V1_ListTenantsRequest()
            disabledOnly.enabled = Google_Protobuf_BoolValue(false)
            #expect(
                try await handler.listTenants(request: disabledOnly, context: admin).tenants.map(\.name) == [
                    "beta SHOP"
                ])

            // A token is only valid with the filters that produced it.
            var paged = Metachat_V1_ListTenantsRequest()
            paged.pageSize = 1
            paged.nameQuery = "shop"
            let first = try await handler.listTenants(request: paged, context: admin)
            #expect(!first.nextPageToken.isEmpty)
            var otherFilter = paged
            otherFilter.pageToken = first.nextPageToken
            otherFilter.nameQuery = "gamma"
            let error = await TenantFixtures.rpcError {
                try await handler.listTenants(request: otherFilter, context: admin)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix("pageToken ") == true)
        }
    }

    @Test(
        "A malformed page token is INVALID_ARGUMENT naming pageToken",
        arguments: ["???", "bm90LWpzb24", "e30", "eyJjIjoxfQ"])
    func malformedToken(token: String) async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            var request = Metachat_V1_ListTenantsRequest()
            request.pageToken = token

            let error = await TenantFixtures.rpcError {
                try await handler.listTenants(request: request, context: TestCaller.context(.bootstrap))
            }

            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix("pageToken ") == true)
        }
    }
}
