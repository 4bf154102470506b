import Handlers
import RPCServer
import Testing

@Suite("Method pattern lists")
struct MethodPatternListTests {
    private static func method(_ service: String, _ name: String) -> MethodDescriptor {
        MethodDescriptor(service: service, method: name, kind: .unary)
    }

    @Test(
        "Exact paths match only themselves; a trailing * matches every path starting with the rest",
        arguments: [
            ("/metachat.v1.SystemService/GetHealth", "metachat.v1.SystemService", "GetHealth", true),
            ("/metachat.v1.SystemService/GetHealth", "metachat.v1.SystemService", "GetHealthz", false),
            ("/metachat.v1.SystemService/GetHealth", "metachat.v1.SystemService", "GetHealt", false),
            ("/metachat.v1.SystemService/GetHealth", "metachat.v1.SystemServic", "eGetHealth", false),
            ("/metachat.v1.SystemService/*", "metachat.v1.SystemService", "GetReadiness", true),
            ("/metachat.v1.SystemService/*", "metachat.v1.SystemServiceX", "GetReadiness", false),
            ("/metachat.v1.SystemService/*", "metachat.v1.TenantService", "GetTenant", false),
            ("/grpc.reflection.*", "grpc.reflection.v1.ServerReflection", "ServerReflectionInfo", true),
            ("/grpc.reflection.*", "grpc.health.v1.Health", "Check", false),
            ("/*", "any.Service", "Anything", true),
            ("/a/b/c", "a", "b/c", true),
        ])
    func matching(pattern: String, service: String, method: String, expected: Bool) {
        #expect(MethodPatternList([pattern]).contains(Self.method(service, method)) == expected)
    }

    @Test("A list matches when any of its patterns does; an empty list matches nothing")
    func anyPattern() {
        let list = MethodPatternList(["/x.Y/A", "/z.*"])
        #expect(list.contains(Self.method("x.Y", "A")))
        #expect(list.contains(Self.method("z.Q", "B")))
        #expect(!list.contains(Self.method("x.Y", "B")))
        #expect(!MethodPatternList([]).contains(Self.method("x.Y", "A")))
    }
}
