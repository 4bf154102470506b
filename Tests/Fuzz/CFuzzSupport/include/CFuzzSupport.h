// CFuzzSupport: routes Swift Concurrency's global executor to the fuzz harness.
//
// The fuzz targets run every input on one thread, on an EmbeddedEventLoop: tasks that the code
// under test starts without an executor preference (`Task {}`) and every `Task.sleep` would
// otherwise run on the cooperative pool's threads and on real timers, which makes an input's
// outcome depend on scheduling and leaves work behind after the input. These hooks hand such
// jobs to the harness instead (see FuzzSupport/GlobalJobs.swift).

#ifndef CFUZZSUPPORT_H
#define CFUZZSUPPORT_H

#include <stdbool.h>
#include <stdint.h>

/// Takes one job of the global executor. `delayNanoseconds` is how long from now the job
/// should wait (0 for an ordinary enqueue). Returns false when the harness does not take it;
/// the job then goes to the runtime's own global executor.
typedef bool (*CFuzzJobSink)(void *_Nonnull job, uint64_t delayNanoseconds);

/// Installs the global-executor hooks, sending jobs to `sink`. Call once, before any task runs.
void CFuzz_installGlobalExecutorHooks(CFuzzJobSink _Nonnull sink);

/// Runs a job handed to the sink, on the generic executor (as the global executor would).
void CFuzz_runJob(void *_Nonnull job);

#endif
