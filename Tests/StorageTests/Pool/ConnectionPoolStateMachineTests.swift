import Testing

@testable import Storage

@Suite("ConnectionPoolStateMachine")
struct ConnectionPoolStateMachineTests {
    typealias Machine = ConnectionPoolStateMachine<String, String>

    @Test("Callers get slots to open connections until the maximum, then queue")
    func grantsUntilMaximumThenQueues() {
        var machine = Machine(maximum: 2)

        let first = machine.acquire(waiterID: 1, waiter: "w1")
        let second = machine.acquire(waiterID: 2, waiter: "w2")
        let third = machine.acquire(waiterID: 3, waiter: "w3")

        #expect(Self.isOpen(first))
        #expect(Self.isOpen(second))
        #expect(Self.isQueued(third))
        #expect(machine.openCount == 2)
        #expect(machine.waiterCount == 1)
    }

    @Test("A returned connection goes to the longest waiter, or becomes idle and is reused")
    func releasedConnectionGoesToFirstWaiter() {
        var machine = Machine(maximum: 1)
        _ = machine.acquire(waiterID: 1, waiter: "w1")
        _ = machine.acquire(waiterID: 2, waiter: "w2")
        _ = machine.acquire(waiterID: 3, waiter: "w3")

        let handedOver = machine.release("c1", reusable: true)
        let idle = {
            var copy = machine
            _ = copy.removeWaiter(3)
            return copy.release("c1", reusable: true)
        }()

        #expect(handedOver.resume?.waiter == "w2")
        #expect(Self.connection(handedOver.resume?.grant) == "c1")
        #expect(handedOver.close == nil)
        #expect(idle.resume == nil)
        #expect(idle.close == nil)
    }

    @Test("An idle connection is handed out before a new one is opened")
    func idleConnectionsAreReused() {
        var machine = Machine(maximum: 3)
        _ = machine.acquire(waiterID: 1, waiter: "w1")
        _ = machine.release("c1", reusable: true)

        let next = machine.acquire(waiterID: 2, waiter: "w2")

        guard case .grant(.connection("c1")) = next else {
            Issue.record("expected the idle connection, got \(next)")
            return
        }
        #expect(machine.openCount == 1)
    }

    @Test("A broken connection is closed and its slot passes to the next waiter to open a replacement")
    func brokenConnectionFreesItsSlot() {
        var machine = Machine(maximum: 1)
        _ = machine.acquire(waiterID: 1, waiter: "w1")
        _ = machine.acquire(waiterID: 2, waiter: "w2")

        let release = machine.release("c1", reusable: false)

        #expect(release.close == "c1")
        #expect(release.resume?.waiter == "w2")
        #expect(Self.isOpen(release.resume?.grant))
        #expect(machine.openCount == 1)
    }

    @Test("A failed open passes the slot to the next waiter, so an outage fails every waiter fast")
    func failedOpenPassesSlotOn() {
        var machine = Machine(maximum: 1)
        _ = machine.acquire(waiterID: 1, waiter: "w1")
        _ = machine.acquire(waiterID: 2, waiter: "w2")

        let first = machine.openFailed()
        let second = machine.openFailed()

        #expect(first.resume?.waiter == "w2")
        #expect(Self.isOpen(first.resume?.grant))
        #expect(second.resume == nil)
        #expect(machine.openCount == 0)
    }

    @Test("A removed waiter is not resumed later")
    func removedWaiterIsSkipped() {
        var machine = Machine(maximum: 1)
        _ = machine.acquire(waiterID: 1, waiter: "w1")
        _ = machine.acquire(waiterID: 2, waiter: "w2")
        _ = machine.acquire(waiterID: 3, waiter: "w3")

        #expect(machine.removeWaiter(2) == "w2")
        #expect(machine.removeWaiter(2) == nil)
        #expect(machine.release("c1", reusable: true).resume?.waiter == "w3")
    }

    @Test("Shutdown closes idle connections, fails waiters, and completes when the last lease returns")
    func shutdownDrains() {
        var machine = Machine(maximum: 2)
        _ = machine.acquire(waiterID: 1, waiter: "w1")
        _ = machine.acquire(waiterID: 2, waiter: "w2")
        _ = machine.release("c2", reusable: true)
        _ = machine.acquire(waiterID: 3, waiter: "w3")
        _ = machine.acquire(waiterID: 4, waiter: "w4")

        let shutdown = machine.shutDown()
        let afterShutdown = machine.acquire(waiterID: 5, waiter: "w5")
        let lastReturn = machine.release("c1", reusable: true)

        #expect(shutdown.fail == ["w4"])
        #expect(shutdown.complete == false)
        #expect(Self.isFailShutDown(afterShutdown))
        #expect(lastReturn.close == "c1")
        #expect(lastReturn.shutdownComplete == false)
        #expect(machine.release("c2", reusable: true).shutdownComplete)
    }

    private static func isOpen(_ action: Machine.AcquireAction) -> Bool {
        if case .grant(.open) = action {
            return true
        }
        return false
    }

    private static func isOpen(_ grant: Machine.Grant?) -> Bool {
        if case .open = grant {
            return true
        }
        return false
    }

    private static func isQueued(_ action: Machine.AcquireAction) -> Bool {
        if case .queued = action {
            return true
        }
        return false
    }

    private static func isFailShutDown(_ action: Machine.AcquireAction) -> Bool {
        if case .failShutDown = action {
            return true
        }
        return false
    }

    private static func connection(_ grant: Machine.Grant?) -> String? {
        if case .connection(let connection) = grant {
            return connection
        }
        return nil
    }
}
