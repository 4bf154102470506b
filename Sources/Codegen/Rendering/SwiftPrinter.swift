package import SwiftProtobufPluginLibrary

extension CodePrinter {
    /// A printer with four-space indentation that ends every `print` with a newline, the one
    /// printer every generator shares.
    package static func swiftSource() -> CodePrinter {
        CodePrinter(indent: "    ".unicodeScalars, addNewlines: true)
    }

    /// Prints documentation lines as `///` comments; prints nothing for no lines.
    ///
    /// - Parameter lines: The documentation lines.
    package mutating func printDocumentation(_ lines: [String]) {
        for line in lines {
            self.print(line.isEmpty ? "///" : "/// \(line)")
        }
    }

    /// Prints `header {`, the indented body, then `}`.
    ///
    /// - Parameters:
    ///   - header: The opening line without the brace.
    ///   - body: Prints the block's contents.
    package mutating func printBlock(_ header: String, body: (inout CodePrinter) -> Void) {
        self.print("\(header) {")
        self.withIndentation(body: body)
        self.print("}")
    }
}
