import Testing

@testable import RPCServer

@Suite("Handler tasks")
struct HandlerTasksTests {
    @Test("Shutdown's wait returns once every started task has ended")
    func drainsWhenAllEnd() async {
        let tasks = HandlerTasks()
        tasks.begin()
        tasks.begin()
        async let drained = tasks.waitUntilDrained(timeout: .seconds(60))
        tasks.end()
        tasks.end()
        #expect(await drained)
    }

    @Test("With nothing running the wait returns at once")
    func nothingRunning() async {
        #expect(await HandlerTasks().waitUntilDrained(timeout: .seconds(60)))
    }

    @Test("A task that never ends makes the wait give up after its timeout")
    func givesUp() async {
        let tasks = HandlerTasks()
        tasks.begin()
        #expect(await tasks.waitUntilDrained(timeout: .milliseconds(20)) == false)
        tasks.end()
        #expect(await tasks.waitUntilDrained(timeout: .seconds(60)))
    }
}
