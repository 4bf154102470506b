package import SwiftProtobufPluginLibrary

/// The generator's entry point: proto files in, Swift files out.
///
/// The pipeline is parse (``DescriptorParser``) → neutral model (``ServiceModel``) →
/// per-construct generators → one printer. `protoc-gen-metachat` only wires protoc's request
/// to ``generate(files:options:)``; tests call it directly with descriptor sets.
package struct MetaChatGenerator {
    /// Creates the generator.
    package init() {}

    /// Generates one Swift file per proto file that declares services.
    ///
    /// - Parameters:
    ///   - files: The files to generate for (their imports must be in the same set).
    ///   - options: Generator options.
    /// - Returns: The generated files; files without services produce none.
    /// - Throws: ``CodegenError`` for malformed annotations.
    package func generate(files: [FileDescriptor], options: CodegenOptions) throws -> [GeneratedFile] {
        try files.compactMap { file in
            let namer = SwiftProtobufNamer(
                currentFile: file,
                protoFileToModuleMappings: ProtoFileToModuleMappings()
            )
            let services = try DescriptorParser(namer: namer).services(in: file)
            guard !services.isEmpty else { return nil }
            let content = FileGenerator(protoFileName: file.name, services: services, options: options).generate()
            return GeneratedFile(name: Self.outputName(forProtoFile: file.name), content: content)
        }
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
