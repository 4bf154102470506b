package import SwiftProtobufPluginLibrary

/// Generates the protocol a server implements for a service: one async method per RPC.
package struct HandlerProtocolGenerator {
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

    /// Prints the protocol.
    ///
    /// - Parameter printer: The shared printer.
    package func generate(into printer: inout CodePrinter) {
        let service = self.service
        if service.documentation.isEmpty {
            printer.printDocumentation(["Implements `\(service.fullName)`."])
        } else {
            printer.printDocumentation(service.documentation)
        }
        printer.printBlock("\(self.visibility) protocol \(service.handlerProtocol): Sendable") { printer in
            for (index, method) in service.methods.enumerated() {
                if index > 0 { printer.print() }
                printer.printDocumentation(method.documentation)
                printer.print(Self.signature(method))
            }
        }
    }

    /// The requirement's declaration for one method.
    ///
    /// - Parameter method: The method.
    /// - Returns: The Swift function signature.
    package static func signature(_ method: MethodModel) -> String {
        let name = method.swiftName
        let input = method.inputType
        let output = method.outputType
        switch method.kind {
        case .unary:
            return "func \(name)(request: \(input), context: ServerContext) async throws -> \(output)"
        case .serverStreaming:
            return
                "func \(name)(request: \(input), response: RPCWriter<\(output)>, context: ServerContext) async throws"
        case .clientStreaming:
            return
                "func \(name)(request: RPCAsyncSequence<\(input)>, context: ServerContext) async throws -> \(output)"
        case .bidirectionalStreaming:
            return
                "func \(name)(request: RPCAsyncSequence<\(input)>, response: RPCWriter<\(output)>, context: ServerContext) async throws"
        }
    }
}
