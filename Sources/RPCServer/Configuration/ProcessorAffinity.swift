private import CProcessorAffinity

/// The CPUs this process may run on.
///
/// A server started with `taskset -c 1` may run on one CPU however many the machine has; event
/// loops beyond that count only take turns on the same core, paying a context switch each time.
package enum ProcessorAffinity {
    /// How many CPUs the process's affinity mask allows; at least 1.
    package static var allowedCPUCount: Int {
        max(1, Int(CProcessorAffinity_allowedCPUCount()))
    }
}
