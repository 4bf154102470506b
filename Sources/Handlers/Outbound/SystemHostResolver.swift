package import NIOPosix
package import RPCServer

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Resolves names with the system's `getaddrinfo` (files, then DNS, as `nsswitch.conf` says), on a
/// thread of a pool so a slow DNS server never blocks an event loop.
package struct SystemHostResolver: HostResolver {
    private let threadPool: NIOThreadPool

    /// A resolver.
    ///
    /// - Parameter threadPool: Where the blocking lookups run; started by its owner.
    package init(threadPool: NIOThreadPool) {
        self.threadPool = threadPool
    }

    package func addresses(of host: String) async throws -> [ClientAddress] {
        let addresses = try await self.threadPool.runIfActive { Self.lookUp(host) }
        guard !addresses.isEmpty else { throw EgressRefusal("\(host) does not resolve to any address") }
        return addresses
    }

    private static func lookUp(_ host: String) -> [ClientAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var found: [ClientAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if let address = current.pointee.ai_addr, let text = Self.text(of: address) {
                if let parsed = ClientAddress(text), !found.contains(parsed) { found.append(parsed) }
            }
            node = current.pointee.ai_next
        }
        return found
    }

    private static func text(of address: UnsafeMutablePointer<sockaddr>) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var raw = v4.pointee.sin_addr
                guard inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count)) != nil else { return nil }
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var raw = v6.pointee.sin6_addr
                guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else { return nil }
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        default:
            return nil
        }
    }
}
