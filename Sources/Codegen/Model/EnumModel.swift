/// An enum type as the documentation generators see it.
package struct EnumModel: Sendable, Hashable {
    /// One enum value.
    package struct Value: Sendable, Hashable {
        /// The value's name, which is also its JSON form, e.g. `CHANNEL_TYPE_WEB_CHAT`.
        package var name: String
        /// The documentation comment lines.
        package var documentation: [String]

        /// Creates a value.
        ///
        /// - Parameters:
        ///   - name: The value's name.
        ///   - documentation: The documentation lines.
        package init(name: String, documentation: [String] = []) {
            self.name = name
            self.documentation = documentation
        }
    }

    /// The fully qualified proto name, e.g. `metachat.v1.ChannelType`.
    package var fullName: String
    /// The documentation comment lines.
    package var documentation: [String]
    /// The values in declaration order.
    package var values: [Value]

    /// Creates an enum.
    ///
    /// - Parameters:
    ///   - fullName: The fully qualified proto name.
    ///   - documentation: The documentation lines.
    ///   - values: The values in declaration order.
    package init(fullName: String, documentation: [String] = [], values: [Value]) {
        self.fullName = fullName
        self.documentation = documentation
        self.values = values
    }
}
