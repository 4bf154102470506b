import Testing

@testable import Storage

@Suite("Connection URL schema parameter")
struct PostgresConnectionURLTests {
    @Test("The schema parameter is removed and percent-decoded; other parameters stay in order")
    func schemaIsRemovedAndDecoded() {
        let (url, schema) = PostgresConnectionURL.removingSchemaParameter(
            "postgres://u@h:5432/db?sslmode=disable&schema=tenant%20one%2Fx&connect_timeout=5")

        #expect(url == "postgres://u@h:5432/db?sslmode=disable&connect_timeout=5")
        #expect(schema == "tenant one/x")
    }

    @Test("A malformed escape keeps the schema as written")
    func malformedEscapeKeepsRawSchema() {
        #expect(PostgresConnectionURL.removingSchemaParameter("postgresql://h/db?schema=a%zz").schema == "a%zz")
        #expect(PostgresConnectionURL.removingSchemaParameter("postgresql://h/db?schema=a%2").schema == "a%2")
    }

    @Test("Percent-decoding rejects bytes that are not UTF-8 and decodes multi-byte characters")
    func percentDecoding() {
        #expect(ASCIIHex.percentDecoded("caf%C3%A9") == "café")
        #expect(ASCIIHex.percentDecoded("%FF") == nil)
        #expect(ASCIIHex.percentDecoded("plain") == "plain")
    }

    @Test("A URL without a schema parameter is returned unchanged")
    func withoutSchema() {
        let url = "postgres://h/db?sslmode=disable"
        #expect(PostgresConnectionURL.removingSchemaParameter(url).url == url)
        #expect(PostgresConnectionURL.removingSchemaParameter(url).schema == nil)
    }
}
