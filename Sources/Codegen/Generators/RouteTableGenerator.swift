package import SwiftProtobufPluginLibrary

/// Generates a service's REST route table from its `google.api.http` annotations.
package struct RouteTableGenerator {
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

    /// Prints the route table; every service gets one, empty when no method has a REST face.
    ///
    /// - Parameter printer: The shared printer.
    package func generate(into printer: inout CodePrinter) {
        let service = self.service
        printer.printBlock("extension \(service.namespace)") { printer in
            printer.print("/// The REST routes of `\(service.fullName)`, from its `google.api.http` annotations.")
            let routes = service.methods.flatMap { method in method.httpBindings.map { (method, $0) } }
            if routes.isEmpty {
                printer.print("\(self.visibility) static let restRoutes: [RESTRoute] = []")
                return
            }
            printer.print("\(self.visibility) static let restRoutes: [RESTRoute] = [")
            printer.withIndentation { printer in
                for (method, binding) in routes {
                    printer.print("RESTRoute(")
                    printer.printIndented(
                        "httpMethod: \(Namer.stringLiteral(binding.httpMethod)),",
                        "pathTemplate: \(Namer.stringLiteral(binding.pathTemplate)),",
                        "body: \(Namer.stringLiteral(binding.body)),",
                        "responseBody: \(Namer.stringLiteral(binding.responseBody)),",
                        "method: Method.\(method.swiftName),",
                        "requestType: \(method.inputType).self,",
                        "responseType: \(method.outputType).self"
                    )
                    printer.print("),")
                }
            }
            printer.print("]")
        }
    }
}
