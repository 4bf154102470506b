package import SwiftProtobufPluginLibrary

/// Generates a service's typed client: one method per RPC over an `RPCClient`.
package struct ClientGenerator {
    private let service: ServiceModel
    private let visibility: String

    /// Creates the generator.
    ///
    /// - Parameters:
    ///   - service: The service.
    ///   - visibility: The access level of generated declarations.
    package init(service: ServiceModel, visibility: String) {
        self.service = service
        self.visibility = visibility
    }

    /// Prints the client struct.
    ///
    /// - Parameter printer: The shared printer.
    package func generate(into printer: inout CodePrinter) {
        let service = self.service
        let visibility = self.visibility
        printer.printDocumentation(["A typed client of `\(service.fullName)`."])
        printer.printBlock("\(visibility) struct \(service.clientType): Sendable") { printer in
            printer.print("/// The untyped client calls go through.")
            printer.print("\(visibility) let client: RPCClient")
            printer.print()
            printer.print("/// Creates a client over an existing `RPCClient`.")
            printer.print("///")
            printer.print("/// - Parameter client: The untyped client.")
            printer.printBlock("\(visibility) init(wrapping client: RPCClient)") { printer in
                printer.print("self.client = client")
            }
            printer.print()
            printer.print("/// Creates a client over a transport.")
            printer.print("///")
            printer.print("/// - Parameter transport: Carries the calls.")
            printer.printBlock("\(visibility) init(transport: any ClientTransport)") { printer in
                printer.print("self.client = RPCClient(transport: transport)")
            }
            for method in service.methods {
                printer.print()
                self.method(method, into: &printer)
            }
        }
    }

    private func method(_ method: MethodModel, into printer: inout CodePrinter) {
        let descriptor = "\(self.service.namespace).Method.\(method.swiftName)"
        let codecs = [
            "serializer: ProtobufSerializer<\(method.inputType)>(),",
            "deserializer: ProtobufDeserializer<\(method.outputType)>(),",
            "metadata: metadata,",
        ]
        printer.printDocumentation(
            method.documentation.isEmpty ? ["Calls `\(method.protoName)`."] : method.documentation)
        let visibility = self.visibility
        switch method.kind {
        case .unary:
            printer.print("\(visibility) func \(method.swiftName)(")
            printer.printIndented(
                "_ request: \(method.inputType),",
                "metadata: Metadata = [:],",
                "options: CallOptions = .defaults"
            )
            printer.printBlock(") async throws -> \(method.outputType)") { printer in
                printer.print("try await self.client.unary(")
                printer.printIndented(descriptor + ",", "request: request,")
                printer.withIndentation { printer in
                    for line in codecs { printer.print(line) }
                    printer.print("options: options")
                }
                printer.print(")")
            }
        case .serverStreaming:
            printer.print("\(visibility) func \(method.swiftName)<Result: Sendable>(")
            printer.printIndented(
                "_ request: \(method.inputType),",
                "metadata: Metadata = [:],",
                "options: CallOptions = .defaults,",
                "onResponse: @escaping @Sendable (RPCAsyncSequence<\(method.outputType)>) async throws -> Result"
            )
            printer.printBlock(") async throws -> Result") { printer in
                printer.print("try await self.client.serverStreaming(")
                printer.printIndented(descriptor + ",", "request: request,")
                printer.withIndentation { printer in
                    for line in codecs { printer.print(line) }
                    printer.print("options: options,")
                    printer.print("onResponse: onResponse")
                }
                printer.print(")")
            }
        case .clientStreaming:
            printer.print("\(visibility) func \(method.swiftName)(")
            printer.printIndented(
                "metadata: Metadata = [:],",
                "options: CallOptions = .defaults,",
                "requestProducer: @escaping @Sendable (RPCWriter<\(method.inputType)>) async throws -> Void"
            )
            printer.printBlock(") async throws -> \(method.outputType)") { printer in
                printer.print("try await self.client.clientStreaming(")
                printer.printIndented(descriptor + ",")
                printer.withIndentation { printer in
                    for line in codecs { printer.print(line) }
                    printer.print("options: options,")
                    printer.print("requestProducer: requestProducer")
                }
                printer.print(")")
            }
        case .bidirectionalStreaming:
            printer.print("\(visibility) func \(method.swiftName)<Result: Sendable>(")
            printer.printIndented(
                "metadata: Metadata = [:],",
                "options: CallOptions = .defaults,",
                "requestProducer: @escaping @Sendable (RPCWriter<\(method.inputType)>) async throws -> Void,",
                "onResponse: @escaping @Sendable (RPCAsyncSequence<\(method.outputType)>) async throws -> Result"
            )
            printer.printBlock(") async throws -> Result") { printer in
                printer.print("try await self.client.bidirectionalStreaming(")
                printer.printIndented(descriptor + ",")
                printer.withIndentation { printer in
                    for line in codecs { printer.print(line) }
                    printer.print("options: options,")
                    printer.print("requestProducer: requestProducer,")
                    printer.print("onResponse: onResponse")
                }
                printer.print(")")
            }
        }
    }
}
