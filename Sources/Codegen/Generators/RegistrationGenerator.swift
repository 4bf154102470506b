package import SwiftProtobufPluginLibrary

/// Generates `registerMethods(with:)`, which binds each method's path to typed decoding, the
/// handler, and encoding in an `RPCRouter`.
package struct RegistrationGenerator {
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

    /// Prints the extension.
    ///
    /// - Parameter printer: The shared printer.
    package func generate(into printer: inout CodePrinter) {
        let service = self.service
        printer.printBlock("extension \(service.handlerProtocol)") { printer in
            printer.print("/// Registers every method of `\(service.fullName)` with a router.")
            printer.print("///")
            printer.print("/// - Parameter router: The router that dispatches calls by path.")
            printer.printBlock("\(self.visibility) func registerMethods(with router: inout RPCRouter)") { printer in
                for method in service.methods {
                    Self.registration(method, service: service, into: &printer)
                }
            }
        }
    }

    private static func registration(_ method: MethodModel, service: ServiceModel, into printer: inout CodePrinter) {
        let (register, parameters, call): (String, String, String)
        switch method.kind {
        case .unary:
            register = "registerUnary"
            parameters = "request, context"
            call = "try await self.\(method.swiftName)(request: request, context: context)"
        case .serverStreaming:
            register = "registerServerStreaming"
            parameters = "request, response, context"
            call = "try await self.\(method.swiftName)(request: request, response: response, context: context)"
        case .clientStreaming:
            register = "registerClientStreaming"
            parameters = "request, context"
            call = "try await self.\(method.swiftName)(request: request, context: context)"
        case .bidirectionalStreaming:
            register = "registerBidirectionalStreaming"
            parameters = "request, response, context"
            call = "try await self.\(method.swiftName)(request: request, response: response, context: context)"
        }
        printer.print("router.\(register)(")
        printer.printIndented(
            "\(service.namespace).Method.\(method.swiftName),",
            "deserializer: ProtobufDeserializer<\(method.inputType)>(),",
            "serializer: ProtobufSerializer<\(method.outputType)>()"
        )
        printer.print(") { \(parameters) in")
        printer.printIndented(call)
        printer.print("}")
    }
}
