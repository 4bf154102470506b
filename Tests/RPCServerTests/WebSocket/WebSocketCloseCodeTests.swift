import RPCServer
import Testing

@Suite("WebSocket close codes")
struct WebSocketCloseCodeTests {
    @Test("Codes allowed in a close frame are accepted", arguments: [1000, 1003, 1007, 1011, 1014, 3000, 4000, 4999])
    func allowed(code: UInt16) {
        #expect(WebSocketCloseCode(rawValue: code)?.rawValue == code)
    }

    @Test("Codes that must not be sent are refused", arguments: [0, 999, 1004, 1005, 1006, 1015, 2999, 5000])
    func refused(code: UInt16) {
        #expect(WebSocketCloseCode(rawValue: code) == nil)
    }

    @Test("The named codes carry RFC 6455's numbers")
    func namedCodes() {
        #expect(WebSocketCloseCode.normalClosure.rawValue == 1000)
        #expect(WebSocketCloseCode.goingAway.rawValue == 1001)
        #expect(WebSocketCloseCode.protocolError.rawValue == 1002)
        #expect(WebSocketCloseCode.unsupportedData.rawValue == 1003)
        #expect(WebSocketCloseCode.invalidPayloadData.rawValue == 1007)
        #expect(WebSocketCloseCode.policyViolation.rawValue == 1008)
        #expect(WebSocketCloseCode.messageTooBig.rawValue == 1009)
        #expect(WebSocketCloseCode.internalError.rawValue == 1011)
    }
}
