import FoundationEssentials
import Handlers
import Testing

@Suite("Widget origin check")
struct WidgetChannelTests {
    private static func channel(_ origins: [String]) -> WidgetChannel {
        WidgetChannel(
            tenantID: UUID(), channelID: UUID(), widgetID: "wdg", allowedOrigins: origins, greeting: "", title: "")
    }

    @Test(
        "An origin is allowed only when listed (case aside), any when the list is empty, and requests without Origin pass",
        arguments: [
            (["https://shop.example"], "https://shop.example", true),
            (["https://shop.example"], "HTTPS://SHOP.EXAMPLE", true),
            (["https://shop.example"], "https://evil.example", false),
            (["https://shop.example"], "https://shop.example:8443", false),
            (["https://shop.example"], "http://shop.example", false),
            (["https://shop.example"], "null", false),
            (["https://shop.example"], "", false),
            (["https://shop.example"], nil, true),
            ([], "https://anything.example", true),
        ] as [([String], String?, Bool)])
    func origins(allowed: [String], origin: String?, expected: Bool) {
        #expect(Self.channel(allowed).allows(origin: origin) == expected)
    }
}
