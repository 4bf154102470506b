package import SwiftProtobufPluginLibrary

/// The generator's entry point: proto files in, Swift files and API documents out.
///
/// The pipeline is parse (``DescriptorParser``, ``TypeCatalogParser``) → neutral model
/// (``ServiceModel``, ``APIModel``) → per-construct generators → one printer.
/// `protoc-gen-metachat` only wires protoc's request to ``generate(files:options:)``; tests
/// call it directly with descriptor sets.
package struct MetaChatGenerator {
    /// The name of the OpenAPI document output.
    package static let openAPIJSONFileName = "openapi.json"
    /// The name of the Markdown reference output.
    package static let markdownFileName = "api.md"

    /// Creates the generator.
    package init() {}

    /// Generates the outputs the options ask for: by default one Swift file per proto file
    /// that declares services; on request the OpenAPI document (as Swift and as JSON) and the
    /// Markdown reference of every REST route of all the files together.
    ///
    /// - Parameters:
    ///   - files: The files to generate for (their imports must be in the same set).
    ///   - options: Generator options.
    /// - Returns: The generated files; files without services produce no service file.
    /// - Throws: ``CodegenError`` for malformed annotations or routes OpenAPI cannot describe.
    package func generate(files: [FileDescriptor], options: CodegenOptions) throws -> [GeneratedFile] {
        var generated: [GeneratedFile] = []
        if options.outputs.contains(.services) {
            for file in files {
                let services = try DescriptorParser(namer: Self.namer(for: file)).services(in: file)
                guard !services.isEmpty else { continue }
                let content = FileGenerator(protoFileName: file.name, services: services, options: options).generate()
                generated.append(GeneratedFile(name: Self.outputName(forProtoFile: file.name), content: content))
            }
        }
        guard !options.outputs.isDisjoint(with: [.openAPISwift, .openAPIJSON, .markdown]) else { return generated }
        let api = try self.api(files: files)
        if !options.outputs.isDisjoint(with: [.openAPISwift, .openAPIJSON]) {
            let document = try OpenAPIDocumentGenerator(
                api: api,
                rawRoutes: options.rawRoutes,
                version: options.apiVersion
            ).document()
            let json = document.prettyText
            if options.outputs.contains(.openAPISwift) {
                generated.append(
                    GeneratedFile(
                        name: OpenAPISwiftGenerator.fileName,
                        content: OpenAPISwiftGenerator(json: json, visibility: options.visibility).generate()
                    )
                )
            }
            if options.outputs.contains(.openAPIJSON) {
                generated.append(GeneratedFile(name: Self.openAPIJSONFileName, content: json + "\n"))
            }
        }
        if options.outputs.contains(.markdown) {
            generated.append(
                GeneratedFile(
                    name: Self.markdownFileName,
                    content: APIMarkdownGenerator(api: api, rawRoutes: options.rawRoutes).generate()
                )
            )
        }
        return generated
    }

    /// The services of the files, their REST routes and the message types those use.
    ///
    /// - Parameter files: The files (their imports must be in the same set).
    /// - Returns: The model the API documents are generated from.
    /// - Throws: ``CodegenError`` for malformed annotations.
    package func api(files: [FileDescriptor]) throws -> APIModel {
        var services: [ServiceModel] = []
        for file in files {
            services += try DescriptorParser(namer: Self.namer(for: file)).services(in: file)
        }
        let restMethods = Set(
            services.flatMap { service in
                service.methods.filter { !$0.httpBindings.isEmpty }.map { "\(service.fullName).\($0.protoName)" }
            }
        )
        let roots: [Descriptor] = files.flatMap(\.services).flatMap(\.methods).filter {
            restMethods.contains($0.fullName)
        }.flatMap { method -> [Descriptor] in
            [method.inputType, method.outputType].compactMap(\.self)
        }
        let types = TypeCatalogParser().catalog(reachableFrom: roots)
        return APIModel(services: services, routes: try RouteResolver(types: types).routes(in: services), types: types)
    }

    private static func namer(for file: FileDescriptor) -> SwiftProtobufNamer {
        SwiftProtobufNamer(currentFile: file, protoFileToModuleMappings: ProtoFileToModuleMappings())
    }

    /// `metachat/v1/tenants.proto` → `metachat_v1_tenants.metachat.swift`, matching
    /// `protoc-gen-swift`'s `FileNaming=PathToUnderscores`.
    ///
    /// - Parameter protoFile: The proto file's path.
    /// - Returns: The Swift file's name.
    package static func outputName(forProtoFile protoFile: String) -> String {
        let base = protoFile.hasSuffix(".proto") ? String(protoFile.dropLast(6)) : protoFile
        return String(base.map { $0 == "/" ? "_" : $0 }) + ".metachat.swift"
    }
}
