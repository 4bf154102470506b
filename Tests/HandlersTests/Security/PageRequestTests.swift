import FoundationEssentials
import PropertyBased
import RPCServer
import Testing

@testable import Handlers

@Suite("Page requests")
struct PageRequestTests {
    /// A token carrying any text after `offset:`, as a client could forge it.
    private static func token(_ text: String) -> String {
        Data("offset:\(text)".utf8).base64EncodedString()
    }

    @Test(
        "Offsets outside 0...1,000,000,000 are INVALID_ARGUMENT, never an overflow",
        arguments: [
            "-1", "1000000001", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "99999999999999999999999", "+5", " 5", "0x10", "",
        ]
    )
    func outOfRangeOffsetsAreRefused(offset: String) {
        #expect(throws: RPCError.self) { try PageRequest(size: 200, token: Self.token(offset)) }
    }

    @Test("Any offset a token may carry gives a next token without trapping, and the next page follows it")
    func anyOffsetAndSize() async {
        await propertyCheck(
            count: 2000,
            input: Gen.int(in: 0...PageRequest.maximumOffset),
            Gen.int32(in: 0...Int32(PageRequest.maximumSize))
        ) { offset, size in
            guard let page = try? PageRequest(size: size, token: Self.token(String(offset))) else {
                Issue.record("offset \(offset), size \(size) refused")
                return
            }
            #expect(page.offset == offset)
            let next = page.nextToken(hasMore: true)
            if offset + page.size <= PageRequest.maximumOffset {
                #expect((try? PageRequest(size: size, token: next))?.offset == offset + page.size)
            } else {
                #expect(next.isEmpty)
            }
        }
    }

    @Test("Page sizes outside 0...200 are INVALID_ARGUMENT", arguments: [Int32.min, -1, 201, Int32.max])
    func outOfRangeSizesAreRefused(size: Int32) {
        #expect(throws: RPCError.self) { try PageRequest(size: size, token: "") }
    }
}
