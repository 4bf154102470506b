import RPCServer
import Testing

@Suite("Context values")
struct ContextValuesTests {
    private enum NameKey: ContextKey {
        typealias Value = String
    }

    private enum CountKey: ContextKey {
        typealias Value = Int
    }

    private enum FlagKey: ContextKey {
        typealias Value = Bool
    }

    @Test("Values are kept per key type: set, read, replaced and removed independently")
    func perKey() {
        var values = ContextValues()
        #expect(values[NameKey.self] == nil)
        values[NameKey.self] = "tenant"
        values[CountKey.self] = 3
        #expect(values[NameKey.self] == "tenant")
        #expect(values[CountKey.self] == 3)
        values[CountKey.self] = 4
        #expect(values[CountKey.self] == 4)
        values[NameKey.self] = nil
        #expect(values[NameKey.self] == nil)
        #expect(values[CountKey.self] == 4)
        values[NameKey.self] = nil
        #expect(values[CountKey.self] == 4)
    }

    @Test("Removing the first value set keeps the later ones, and a key set again is found")
    func removingTheFirstValue() {
        var values = ContextValues()
        values[NameKey.self] = "first"
        values[CountKey.self] = 1
        values[FlagKey.self] = true
        values[NameKey.self] = nil
        #expect(values[NameKey.self] == nil)
        #expect(values[CountKey.self] == 1)
        #expect(values[FlagKey.self] == true)
        values[CountKey.self] = nil
        #expect(values[CountKey.self] == nil)
        #expect(values[FlagKey.self] == true)
        values[NameKey.self] = "again"
        values[FlagKey.self] = false
        #expect(values[NameKey.self] == "again")
        #expect(values[FlagKey.self] == false)
    }

    @Test("Connection values are shared by every holder of the connection and replaced in place")
    func connectionValues() {
        let connection = ConnectionValues()
        let first = ServerContext(
            descriptor: MethodDescriptor(service: "s", method: "m", kind: .unary), requestMetadata: [:], peer: "p",
            requestID: "1", connection: connection)
        let second = ServerContext(
            descriptor: MethodDescriptor(service: "s", method: "m", kind: .unary), requestMetadata: [:], peer: "p",
            requestID: "2", connection: connection)
        first.connection?[NameKey.self] = "remembered"
        #expect(second.connection?[NameKey.self] == "remembered")
        second.connection?[NameKey.self] = "replaced"
        #expect(first.connection?[NameKey.self] == "replaced")
    }
}
