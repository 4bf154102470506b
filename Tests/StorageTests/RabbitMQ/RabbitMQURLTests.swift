import Storage
import Testing

@Suite("RabbitMQ URLs")
struct RabbitMQURLTests {
    @Test("Host, port, credentials and virtual host are read, percent-decoded, with defaults")
    func parts() throws {
        let full = try #require(RabbitMQURL("amqp://metachat:s3cr%40t@broker.internal:5673/prod%2Fevents"))
        #expect(full.host == "broker.internal" && full.port == 5673)
        #expect(full.username == "metachat" && full.password == "s3cr@t")
        #expect(full.virtualHost == "prod/events")
        let bare = try #require(RabbitMQURL("amqp://127.0.0.1"))
        #expect(bare.port == 5672 && bare.username == "guest" && bare.password == "guest" && bare.virtualHost == "/")
        let slash = try #require(RabbitMQURL("amqp://u:p@h:1/"))
        #expect(slash.virtualHost == "/")
    }

    @Test("An @ after the first / belongs to the virtual host, not to user info")
    func atInVirtualHost() throws {
        let url = try #require(RabbitMQURL("amqp://broker:5672/team@events"))
        #expect(url.host == "broker" && url.port == 5672)
        #expect(url.username == "guest" && url.password == "guest")
        #expect(url.virtualHost == "team@events")
    }

    @Test(
        "Anything else is refused",
        arguments: [
            "", "http://h", "amqps://h", "amqp://", "amqp://:5672", "amqp://h:0", "amqp://h:65536", "amqp://h:x",
            "amqp://u:%zz@h", "amqp://h/%zz", "amqp://u:p%00@h", "amqp://h?x=1",
        ])
    func refused(_ text: String) {
        #expect(RabbitMQURL(text) == nil)
    }

    @Test("The description never shows the credentials")
    func description() throws {
        let url = try #require(RabbitMQURL("amqp://admin:hunter2@broker:5672/"))
        #expect(!url.description.contains("hunter2") && !url.description.contains("admin"))
        #expect(url.description == "amqp://broker:5672/")
    }
}
