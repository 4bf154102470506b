import Codegen
import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// The `protoc` plugin: reads protoc's request, runs ``MetaChatGenerator``, writes the files.
struct MetaChatProtocPlugin: CodeGenerator {
    var customOptionExtensions: [any AnyMessageExtension] { [Google_Api_Extensions_http] }
    var supportedFeatures: [Google_Protobuf_Compiler_CodeGeneratorResponse.Feature] { [.proto3Optional] }
    var version: String? { "1.0.0" }

    func generate(
        files: [FileDescriptor],
        parameter: any CodeGeneratorParameter,
        protoCompilerContext: any ProtoCompilerContext,
        generatorOutputs: any GeneratorOutputs
    ) throws {
        let options = try CodegenOptions(parameter: parameter.parameter)
        for file in try MetaChatGenerator().generate(files: files, options: options) {
            try generatorOutputs.add(fileName: file.name, contents: file.content)
        }
    }
}

MetaChatProtocPlugin().main(nil)
