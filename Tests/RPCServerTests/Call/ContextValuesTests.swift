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
}
