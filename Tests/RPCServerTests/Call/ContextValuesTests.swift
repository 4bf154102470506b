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

    private final class Caller: Sendable {
        let name: String
        init(name: String) { self.name = name }
    }

    private protocol Named: AnyObject, Sendable {
        var name: String { get }
    }

    private final class NamedCaller: Named {
        let name: String
        init(name: String) { self.name = name }
    }

    private enum CallerKey: ContextKey {
        typealias Value = Caller
    }

    private enum NamedKey: ContextKey {
        typealias Value = any Named
    }

    private enum MaybeCallerKey: ContextKey {
        typealias Value = Caller?
    }

    @Test("Class instances come back as the same instance; existentials and optionals of classes round-trip")
    func objectValues() {
        let caller = Caller(name: "tenant")
        let named = NamedCaller(name: "admin")
        var values = ContextValues()
        values[CallerKey.self] = caller
        values[NamedKey.self] = named
        values[MaybeCallerKey.self] = .some(nil)
        values[NameKey.self] = "plain"

        #expect(values[CallerKey.self] === caller)
        #expect(values[NamedKey.self] === named)
        #expect(values[NamedKey.self]?.name == "admin")
        let stored: Caller?? = values[MaybeCallerKey.self]
        #expect(stored != nil, "an explicit nil is a stored value")
        #expect(stored.flatMap { $0 } == nil)
        #expect(values[NameKey.self] == "plain")
        values[MaybeCallerKey.self] = caller
        #expect(values[MaybeCallerKey.self].flatMap { $0 } === caller)

        let connection = ConnectionValues()
        connection[CallerKey.self] = caller
        connection[NamedKey.self] = named
        #expect(connection[CallerKey.self] === caller)
        #expect(connection[NamedKey.self] === named)
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
