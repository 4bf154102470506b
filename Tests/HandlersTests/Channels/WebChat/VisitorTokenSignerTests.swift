import FoundationEssentials
import Handlers
import Testing

@Suite("Visitor tokens")
struct VisitorTokenSignerTests {
    private static let pepper = Array(repeating: UInt8(7), count: 32)
    private static let tenant = UUID(uuidString: "0b7f7a4e-0000-4000-8000-000000000001") ?? UUID()
    private static let visitor = UUID(uuidString: "0b7f7a4e-0000-4000-8000-0000000000aa") ?? UUID()
    private static let now = Date(timeIntervalSince1970: 1_800_000_000)

    private static func token(signer: VisitorTokenSigner = VisitorTokenSigner(pepper: pepper)) -> String {
        signer.issue(tenantID: tenant, widgetID: "wdg_demo", visitorID: visitor, now: now)
    }

    @Test("A token the server issued verifies to its tenant, widget and visitor")
    func issuedTokenVerifies() throws {
        let signer = VisitorTokenSigner(pepper: Self.pepper)
        let token = try signer.verify(Self.token(), widgetID: "wdg_demo", now: Self.now)
        #expect(token.tenantID == Self.tenant)
        #expect(token.visitorID == Self.visitor)
        #expect(token.widgetID == "wdg_demo")
        #expect(token.expiresAt == 1_800_000_000 + 30 * 24 * 3600)
    }

    @Test("A token signed under another pepper is forged")
    func otherPepperIsForged() {
        let other = Self.token(signer: VisitorTokenSigner(pepper: Array(repeating: 8, count: 32)))
        #expect(throws: VisitorTokenSigner.Refusal.forged) {
            try VisitorTokenSigner(pepper: Self.pepper).verify(other, widgetID: "wdg_demo", now: Self.now)
        }
    }

    @Test("Changing the visitor in the payload without the key breaks the MAC")
    func editedPayloadIsForged() throws {
        let signer = VisitorTokenSigner(pepper: Self.pepper)
        let parts = Self.token().split(separator: ".").map(String.init)
        let edited = VisitorToken(
            tenantID: Self.tenant, widgetID: "wdg_demo", visitorID: UUID(), expiresAt: 1_900_000_000)
        let forgedPayload = Data(edited.tenantID.uuidString.lowercased().utf8).base64EncodedString()
        for candidate in [
            "v1.\(forgedPayload).\(parts[2])",
            "v1.\(parts[1]).\(String(parts[2].reversed()))",
            "v2.\(parts[1]).\(parts[2])",
            "v1.\(parts[1])",
            "",
            "v1..",
            String(repeating: "a", count: 600),
            Self.token() + "x",
        ] {
            #expect(throws: VisitorTokenSigner.Refusal.forged, "\(candidate)") {
                try signer.verify(candidate, widgetID: "wdg_demo", now: Self.now)
            }
        }
    }

    @Test("A token for another widget is refused")
    func otherWidgetIsRefused() {
        #expect(throws: VisitorTokenSigner.Refusal.otherWidget) {
            try VisitorTokenSigner(pepper: Self.pepper).verify(Self.token(), widgetID: "wdg_other", now: Self.now)
        }
    }

    @Test("A token past its expiry is refused")
    func expiredIsRefused() {
        let later = Self.now.addingTimeInterval(30 * 24 * 3600 + 1)
        #expect(throws: VisitorTokenSigner.Refusal.expired) {
            try VisitorTokenSigner(pepper: Self.pepper).verify(Self.token(), widgetID: "wdg_demo", now: later)
        }
    }
}
