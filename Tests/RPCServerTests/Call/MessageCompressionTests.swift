import Testing

@testable import RPCServer

@Suite("Message compression choices")
struct MessageCompressionTests {
    @Test("Automatic compresses messages at or above the minimum size and none below it")
    func automaticFollowsTheMinimum() {
        #expect(MessageCompression.automatic.compresses(messageBytes: 1024, minimumBytes: 1024))
        #expect(MessageCompression.automatic.compresses(messageBytes: 5000, minimumBytes: 1024))
        #expect(!MessageCompression.automatic.compresses(messageBytes: 1023, minimumBytes: 1024))
        #expect(!MessageCompression.automatic.compresses(messageBytes: 0, minimumBytes: 1024))
    }

    @Test("Enabled compresses every message, empty ones included; disabled compresses none")
    func enabledAndDisabledIgnoreTheSize() {
        for size in [0, 1, 1023, 1024, 1 << 20] {
            #expect(MessageCompression.enabled.compresses(messageBytes: size, minimumBytes: 1024))
            #expect(!MessageCompression.disabled.compresses(messageBytes: size, minimumBytes: 1024))
        }
    }

    @Test("A call starts automatic; a choice made through one copy of the context is the call's")
    func choiceIsSharedByTheCall() {
        let context = ServerContext(
            descriptor: MethodDescriptor(service: "s", method: "m", kind: .unary),
            requestMetadata: [:],
            peer: "in-process",
            requestID: ""
        )
        #expect(context.response.messageCompression == .automatic)
        var copy = context
        copy.requestID = "changed"
        copy.response.messageCompression = .disabled
        #expect(context.response.messageCompression == .disabled)
        context.response.messageCompression = .enabled
        #expect(copy.response.messageCompression == .enabled)
        #expect(MessageCompression.enabled.description == "enabled")
    }

    @Test("A context reports the flag its transport recorded last, and false when nothing can be compressed")
    func requestFlagFollowsTheLastRecord() {
        let descriptor = MethodDescriptor(service: "s", method: "m", kind: .bidirectionalStreaming)
        let plain = ServerContext(descriptor: descriptor, requestMetadata: [:], peer: "p", requestID: "")
        #expect(!plain.requestMessageWasCompressed)

        let flag = RequestCompressionFlag()
        let context = ServerContext(
            descriptor: descriptor,
            requestMetadata: [:],
            peer: "p",
            clientAddress: nil,
            deadline: nil,
            requestID: "",
            connection: nil,
            transport: .grpc,
            requestCompression: flag
        )
        #expect(!context.requestMessageWasCompressed)
        flag.record(compressed: true)
        #expect(context.requestMessageWasCompressed)
        flag.record(compressed: false)
        #expect(!context.requestMessageWasCompressed)
    }
}
