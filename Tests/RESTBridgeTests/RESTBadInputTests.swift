import RESTBridge
import RPCServer
import Testing

@Suite("REST bad input: the right status and a message naming the problem")
struct RESTBadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var method: String
        var target: String
        var body: String?
        var contentType: String = "application/json"
        var status: Int
        var statusName: String
        var mentions: [String]
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(
            name: "malformed JSON says where", method: "POST", target: "/v1/echo", body: "{\n  \"text\": }",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["not valid JSON", "line 2, column 11"]),
        Case(
            name: "trailing text after JSON", method: "POST", target: "/v1/echo", body: #"{"text":"a"} x"#,
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["unexpected text after the JSON value"]),
        Case(
            name: "unknown field is named", method: "POST", target: "/v1/echo", body: #"{"text":"a","nope":1}"#,
            status: 400, statusName: "INVALID_ARGUMENT",
            mentions: ["'nope'", "is not a field of metachat.fixture.v1.EchoRequest"]),
        Case(
            name: "wrong type is named", method: "POST", target: "/v1/echo", body: #"{"text":5}"#,
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'text' must be a string, not a number"]),
        Case(
            name: "nested wrong type is named by its path", method: "POST", target: "/v1/echo",
            body: #"{"target":{"room_id":1}}"#,
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'target.room_id' must be a string"]),
        Case(
            name: "int32 out of range", method: "POST", target: "/v1/echo", body: #"{"repeat":3000000000}"#,
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'repeat'", "int32"]),
        Case(
            name: "repeated field given a scalar", method: "POST", target: "/v1/echo", body: #"{"tags":"a"}"#,
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'tags' must be an array"]),
        Case(
            name: "repeated element of the wrong type", method: "POST", target: "/v1/echo", body: #"{"tags":["a",2]}"#,
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'tags[1]' must be a string"]),
        Case(
            name: "unknown enum name lists the values", method: "POST", target: "/v1/echo", body: #"{"mood":"GRUMPY"}"#,
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'mood'", "GRUMPY", "MOOD_HAPPY"]),
        Case(
            name: "malformed timestamp", method: "POST", target: "/v1/echo", body: #"{"at":"yesterday"}"#,
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'at' must be an RFC 3339 timestamp"]),
        Case(
            name: "a body that is not an object", method: "POST", target: "/v1/echo", body: "[1]",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["must be an object, not an array"]),
        Case(
            name: "non-JSON content type", method: "POST", target: "/v1/echo", body: "text=a",
            contentType: "application/x-www-form-urlencoded",
            status: 415, statusName: "UNSUPPORTED_MEDIA_TYPE",
            mentions: ["must be JSON", "application/x-www-form-urlencoded"]),
        Case(
            name: "unknown query parameter", method: "GET", target: "/v1/echo/a?nope=1",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["Query parameter 'nope'"]),
        Case(
            name: "query integer that is not one", method: "GET", target: "/v1/echo/a?repeat=many",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["Query parameter 'repeat'", "integer"]),
        Case(
            name: "query boolean that is not one", method: "GET", target: "/v1/echo/a?flag=yes",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["Query parameter 'flag' must be true or false"]),
        Case(
            name: "a single-valued query parameter given twice", method: "GET", target: "/v1/echo/a?repeat=1&repeat=2",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'repeat' is given more than once"]),
        Case(
            name: "query map", method: "GET", target: "/v1/echo/a?labels=x",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'labels' is a map"]),
        Case(
            name: "query parameter on a body-star route", method: "POST", target: "/v1/echo?text=a", body: "{}",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["Query parameter 'text' is not accepted"]),
        Case(
            name: "query parameter already bound by the path", method: "GET", target: "/v1/echo/a?text=b",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["'text' is already bound by the path"]),
        Case(
            name: "malformed query escape", method: "GET", target: "/v1/echo/a?tags=%zz",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["malformed escape"]),
        Case(
            name: "a body on a route without one", method: "DELETE", target: "/v1/echo/a", body: #"{"text":"a"}"#,
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["takes no request body"]),
        Case(
            name: "unknown route", method: "GET", target: "/v1/nothing",
            status: 404, statusName: "NOT_FOUND", mentions: ["No route matches /v1/nothing"]),
        Case(
            name: "wrong method", method: "POST", target: "/v1/echo/a",
            status: 405, statusName: "METHOD_NOT_ALLOWED", mentions: ["DELETE, GET, HEAD, PUT"]),
        Case(
            name: "handler errors keep their status", method: "GET", target: "/v1/echo/fail:no%20way",
            status: 400, statusName: "INVALID_ARGUMENT", mentions: ["no way"]),
        Case(
            name: "unexpected handler errors never leak", method: "GET", target: "/v1/echo/fail:secret",
            status: 500, statusName: "INTERNAL", mentions: ["unexpected error"]),
    ]

    @Test("Each bad input gets its status and the one error shape naming the problem", arguments: Self.cases)
    func badInput(_ testCase: Case) async throws {
        let response = try await EchoGateway().send(
            testCase.method,
            testCase.target,
            json: testCase.body,
            headers: [("content-type", testCase.contentType)]
        )

        #expect(response.status == testCase.status)
        let error = try #require(try response.json()["error"])
        #expect(error["code"] == .number(String(testCase.status)))
        #expect(error["status"] == .string(testCase.statusName))
        #expect(error["details"] == .array([]))
        guard case .string(let message)? = error["message"] else {
            Issue.record("no message in \(response.text)")
            return
        }
        for mention in testCase.mentions {
            #expect(message.contains(mention), "\(message) should mention \(mention)")
        }
        #expect(!message.contains("hunter2"))
    }

    @Test("405 carries Allow with the methods the path has")
    func allowHeader() async throws {
        let response = try await EchoGateway().send("POST", "/v1/echo/a")

        #expect(response.header("allow") == "DELETE, GET, HEAD, PUT")
    }

    @Test("Concurrent good and bad requests each get their own answer")
    func concurrentRequests() async throws {
        let gateway = try EchoGateway()

        let mismatches = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask {
                    if index.isMultiple(of: 2) {
                        let response = await gateway.send(
                            "GET", "/v1/echo/n\(index)", headers: [("x-request-id", "r\(index)")])
                        return response.status == 200 && (try? response.json()["text"]) == .string("n\(index)")
                            && response.header("x-request-id") == "r\(index)"
                    }
                    let response = await gateway.send("POST", "/v1/echo", json: #"{"repeat":"n\#(index)"}"#)
                    return response.status == 400 && response.text.contains("'repeat'")
                }
            }
            var mismatches = 0
            for await ok in group where !ok { mismatches += 1 }
            return mismatches
        }

        #expect(mismatches == 0)
    }
}
