/// Stops the fuzz run with a message when an invariant the code under test promises is broken
/// (libFuzzer records the input as a crash).
///
/// - Parameters:
///   - condition: The invariant.
///   - message: What it means when broken.
package func fuzzCheck(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() {
        fatalError("fuzz invariant broken: \(message())", file: file, line: line)
    }
}
