internal import SwiftProtobuf

/// The gRPC server reflection service, `grpc.reflection.v1` and `v1alpha` (the two are
/// wire-identical), answered from embedded file descriptors so tools such as grpcurl can list
/// and call the server's services.
package struct ReflectionService: Sendable {
    private let filesByName: [String: Google_Protobuf_FileDescriptorProto]
    private let fileBySymbol: [String: String]
    private let extensionsByType: [String: [Int32: String]]

    /// Creates the service from serialized `google.protobuf.FileDescriptorSet`s (e.g. produced
    /// by `protoc --include_imports --descriptor_set_out`); the health and reflection services'
    /// own descriptors are always included.
    ///
    /// - Parameter descriptorSets: The serialized sets; later files with the same name win.
    /// - Throws: When a set is not a valid `FileDescriptorSet`.
    package init(descriptorSets: [[UInt8]]) throws {
        var filesByName: [String: Google_Protobuf_FileDescriptorProto] = [:]
        for bytes in [GRPCStandardDescriptorSet.bytes] + descriptorSets {
            let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes)
            for file in set.file {
                filesByName[file.name] = file
            }
        }
        var fileBySymbol: [String: String] = [:]
        var extensionsByType: [String: [Int32: String]] = [:]
        for file in filesByName.values {
            let prefix = file.package.isEmpty ? "" : file.package + "."
            for service in file.service {
                fileBySymbol[prefix + service.name] = file.name
                for method in service.method {
                    fileBySymbol[prefix + service.name + "." + method.name] = file.name
                }
            }
            for message in file.messageType {
                Self.index(message, prefix: prefix, file: file.name, into: &fileBySymbol)
            }
            for enumeration in file.enumType {
                fileBySymbol[prefix + enumeration.name] = file.name
            }
            for field in file.extension {
                fileBySymbol[prefix + field.name] = file.name
                let extended = field.extendee.hasPrefix(".") ? String(field.extendee.dropFirst()) : field.extendee
                extensionsByType[extended, default: [:]][field.number] = file.name
            }
        }
        self.filesByName = filesByName
        self.fileBySymbol = fileBySymbol
        self.extensionsByType = extensionsByType
    }

    private static func index(
        _ message: Google_Protobuf_DescriptorProto,
        prefix: String,
        file: String,
        into symbols: inout [String: String]
    ) {
        let name = prefix + message.name
        symbols[name] = file
        for nested in message.nestedType {
            Self.index(nested, prefix: name + ".", file: file, into: &symbols)
        }
        for enumeration in message.enumType {
            symbols[name + "." + enumeration.name] = file
        }
    }

    /// Registers `ServerReflectionInfo` under both `grpc.reflection.v1` and
    /// `grpc.reflection.v1alpha`.
    ///
    /// - Parameter router: The router; its service names answer `list_services`, so register
    ///   reflection last.
    package func registerMethods(with router: inout RPCRouter) {
        let services =
            (router.serviceNames + ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"])
            .sorted()
        for package in ["grpc.reflection.v1", "grpc.reflection.v1alpha"] {
            router.registerBidirectionalStreaming(
                MethodDescriptor(
                    service: package + ".ServerReflection",
                    method: "ServerReflectionInfo",
                    kind: .bidirectionalStreaming
                ),
                deserializer: ProtobufDeserializer<Grpc_Reflection_V1_ServerReflectionRequest>(),
                serializer: ProtobufSerializer<Grpc_Reflection_V1_ServerReflectionResponse>()
            ) { requests, responses, _ in
                for try await request in requests {
                    try await responses.write(self.answer(request, services: services))
                }
            }
        }
    }

    /// Answers one reflection request.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - services: The service names to list.
    /// - Returns: The response.
    func answer(
        _ request: Grpc_Reflection_V1_ServerReflectionRequest,
        services: [String]
    ) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var response = Grpc_Reflection_V1_ServerReflectionResponse()
        response.validHost = request.host
        response.originalRequest = request
        switch request.messageRequest {
        case .listServices:
            var list = Grpc_Reflection_V1_ListServiceResponse()
            list.service = services.map { name in
                var service = Grpc_Reflection_V1_ServiceResponse()
                service.name = name
                return service
            }
            response.listServicesResponse = list
        case .fileByFilename(let name):
            response.messageResponse = self.files(startingAt: name, notFound: "file '\(name)'")
        case .fileContainingSymbol(let symbol):
            let name = self.fileBySymbol[symbol] ?? ""
            response.messageResponse = self.files(startingAt: name, notFound: "symbol '\(symbol)'")
        case .fileContainingExtension(let request):
            let name = self.extensionsByType[request.containingType]?[request.extensionNumber] ?? ""
            response.messageResponse = self.files(
                startingAt: name,
                notFound: "extension \(request.extensionNumber) of '\(request.containingType)'"
            )
        case .allExtensionNumbersOfType(let type):
            if let numbers = self.extensionsByType[type] {
                var answer = Grpc_Reflection_V1_ExtensionNumberResponse()
                answer.baseTypeName = type
                answer.extensionNumber = numbers.keys.sorted()
                response.allExtensionNumbersResponse = answer
            } else if self.fileBySymbol[type] != nil {
                var answer = Grpc_Reflection_V1_ExtensionNumberResponse()
                answer.baseTypeName = type
                response.allExtensionNumbersResponse = answer
            } else {
                response.messageResponse = Self.error(.notFound, "Unknown type '\(type)'.")
            }
        case nil:
            response.messageResponse = Self.error(.invalidArgument, "The request asks nothing.")
        }
        return response
    }

    /// A file and everything it imports, the file itself first.
    private func files(
        startingAt name: String,
        notFound: String
    ) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        guard self.filesByName[name] != nil else {
            return Self.error(.notFound, "Unknown \(notFound).")
        }
        var ordered: [String] = []
        var seen: Set<String> = []
        var pending = [name]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted, let file = self.filesByName[next] else { continue }
            ordered.append(next)
            pending.append(contentsOf: file.dependency.reversed())
        }
        var answer = Grpc_Reflection_V1_FileDescriptorResponse()
        answer.fileDescriptorProto = ordered.compactMap { try? self.filesByName[$0]?.serializedData() }
        return .fileDescriptorResponse(answer)
    }

    private static func error(
        _ code: RPCError.Code,
        _ message: String
    ) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        var error = Grpc_Reflection_V1_ErrorResponse()
        error.errorCode = Int32(code.rawValue)
        error.errorMessage = message
        return .errorResponse(error)
    }
}
