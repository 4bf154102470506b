internal import NIOCore
internal import NIOHTTP1

/// Reads a connection's first bytes and installs the matching protocol: the HTTP/2 client
/// preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) selects the nghttp2 session, anything else the
/// HTTP/1.1 pipeline. Then it hands over the bytes it read and removes itself.
final class ProtocolSniffingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let services: ServerServices
    private var buffered: ByteBuffer?

    init(services: ServerServices) {
        self.services = services
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is GracefulShutdownEvent || event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)  // nothing was read yet: nothing is in flight
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        if var buffered = self.buffered {
            buffered.writeBuffer(&incoming)
            self.buffered = buffered
        } else {
            self.buffered = incoming
        }
        guard let buffered = self.buffered else { return }
        let available = min(buffered.readableBytes, Self.preface.count)
        let prefixMatches = buffered.readableBytesView.prefix(available).elementsEqual(Self.preface.prefix(available))
        if prefixMatches && available < Self.preface.count {
            return  // could still be HTTP/2: wait for more bytes
        }
        do {
            if prefixMatches {
                try context.pipeline.syncOperations.addHandler(
                    HTTP2ConnectionHandler(services: self.services),
                    position: .after(self)
                )
            } else {
                let http1 = HTTP1ConnectionHandler(
                    responder: self.services.responder,
                    webSockets: self.services.webSockets,
                    webSocketLimits: self.services.configuration.webSocket,
                    maxBodyBytes: self.services.configuration.maxRequestBodyBytes,
                    headerReadTimeout: self.services.configuration.http1HeaderReadTimeout,
                    bodyReadTimeout: self.services.configuration.requestBodyTimeout,
                    tasks: self.services.tasks
                )
                try context.pipeline.syncOperations.addHandlers(
                    [
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)),
                        http1,
                    ],
                    position: .after(self)
                )
            }
        } catch {
            context.close(promise: nil)
            return
        }
        self.buffered = nil
        context.fireChannelRead(self.wrapInboundOut(buffered))
        context.fireChannelReadComplete()
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }
}
