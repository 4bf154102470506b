internal import ArgumentParser

/// The exit code of a subcommand that exists in the interface but is not built yet (64,
/// `EX_USAGE`); scripts use it to tell "not yet" from "failed".
let notYetAvailableExitCode: Int32 = 64

/// Reports that a subcommand is not available yet and exits with ``notYetAvailableExitCode``.
///
/// - Parameters:
///   - command: The subcommand's name.
///   - arrivesWith: Which part of the platform brings it.
/// - Returns: Never; always throws the exit code.
func notYetAvailable(_ command: String, arrivesWith: String) throws -> Never {
    var standardError = StandardError()
    print("metachat \(command): not available in this build yet; it arrives with \(arrivesWith).", to: &standardError)
    throw ExitCode(notYetAvailableExitCode)
}
