/// Lets at most a fixed number of callers through at once; the others wait in arrival order.
///
/// The database tests share one PostgreSQL (100 connections) with every other test target running in
/// the same process, so they take turns instead of all opening pools at once.
actor AsyncGate {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates a gate with `limit` places.
    init(limit: Int) {
        self.available = limit
    }

    /// Runs `body` once a place is free, and frees it afterwards.
    nonisolated func withPlace<R>(_ body: () async throws -> R) async rethrows -> R {
        await self.enter()
        do {
            let result = try await body()
            await self.leave()
            return result
        } catch {
            await self.leave()
            throw error
        }
    }

    private func enter() async {
        if self.available > 0 {
            self.available -= 1
            return
        }
        await withCheckedContinuation { self.waiters.append($0) }
    }

    private func leave() {
        if self.waiters.isEmpty {
            self.available += 1
        } else {
            self.waiters.removeFirst().resume()
        }
    }
}
