/// One output file of the generator.
package struct GeneratedFile: Sendable, Hashable {
    /// The path relative to the output directory, e.g. `metachat/v1/tenants.metachat.swift`.
    package var name: String
    /// The Swift source.
    package var content: String
}
