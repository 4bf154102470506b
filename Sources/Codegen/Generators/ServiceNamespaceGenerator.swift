package import SwiftProtobufPluginLibrary

/// Generates a service's namespace enum: its name, method descriptors and type aliases.
package struct ServiceNamespaceGenerator {
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

    /// Prints the namespace.
    ///
    /// - Parameter printer: The shared printer.
    package func generate(into printer: inout CodePrinter) {
        let service = self.service
        let visibility = self.visibility
        printer.printDocumentation(["Names, method descriptors and companion types of `\(service.fullName)`."])
        printer.printBlock("\(visibility) enum \(service.namespace)") { printer in
            printer.print("/// The fully qualified service name.")
            printer.print("\(visibility) static let serviceName = \(Namer.stringLiteral(service.fullName))")
            printer.print()
            printer.print("/// The handler protocol a server implements.")
            printer.print("\(visibility) typealias Handler = \(service.handlerProtocol)")
            printer.print()
            printer.print("/// The typed client.")
            printer.print("\(visibility) typealias Client = \(service.clientType)")
            printer.print()
            printer.print("/// Descriptors of the service's methods.")
            printer.printBlock("\(visibility) enum Method") { printer in
                for method in service.methods {
                    printer.print("/// `\(method.protoName)`: \(method.kind.rpcKindExpression.dropFirst()).")
                    printer.print("\(visibility) static let \(method.swiftName) = MethodDescriptor(")
                    printer.printIndented(
                        "service: \(service.namespace).serviceName,",
                        "method: \(Namer.stringLiteral(method.protoName)),",
                        "kind: \(method.kind.rpcKindExpression)"
                    )
                    printer.print(")")
                    printer.print()
                }
                printer.print("/// Every method of the service, in declaration order.")
                printer.print("\(visibility) static let all: [MethodDescriptor] = [")
                for method in service.methods {
                    printer.printIndented("\(method.swiftName),")
                }
                printer.print("]")
            }
        }
    }
}
