#include "CFuzzSupport.h"

#define SWIFT_CC_SWIFT __attribute__((swiftcall))

typedef struct CFuzzJob CFuzzJob;

// The executor reference the runtime passes around: two words, `{NULL, 0}` for the generic
// executor (see swift/ExecutorImpl.h).
typedef struct {
    void *_Nullable identity;
    uintptr_t implementation;
} CFuzzExecutorRef;

// Declarations of the Swift Concurrency runtime's exported hooks and entry points
// (swift/Runtime/Concurrency.h); the runtime is the one every Swift executable links.
typedef SWIFT_CC_SWIFT void (*EnqueueGlobalOriginal)(CFuzzJob *_Nonnull job);
typedef SWIFT_CC_SWIFT void (*EnqueueGlobalWithDelayOriginal)(unsigned long long delay, CFuzzJob *_Nonnull job);
typedef SWIFT_CC_SWIFT void (*EnqueueGlobalWithDeadlineOriginal)(
    long long sec, long long nsec, long long tsec, long long tnsec, int clock, CFuzzJob *_Nonnull job);

extern SWIFT_CC_SWIFT void (*_Nullable swift_task_enqueueGlobal_hook)(
    CFuzzJob *_Nonnull job, EnqueueGlobalOriginal _Nonnull original);
extern SWIFT_CC_SWIFT void (*_Nullable swift_task_enqueueGlobalWithDelay_hook)(
    unsigned long long delay, CFuzzJob *_Nonnull job, EnqueueGlobalWithDelayOriginal _Nonnull original);
extern SWIFT_CC_SWIFT void (*_Nullable swift_task_enqueueGlobalWithDeadline_hook)(
    long long sec, long long nsec, long long tsec, long long tnsec, int clock, CFuzzJob *_Nonnull job,
    EnqueueGlobalWithDeadlineOriginal _Nonnull original);

extern SWIFT_CC_SWIFT void swift_job_run(CFuzzJob *_Nonnull job, CFuzzExecutorRef executor);
extern SWIFT_CC_SWIFT void swift_get_time(long long *_Nonnull seconds, long long *_Nonnull nanoseconds, int clock);

static CFuzzJobSink cfuzz_sink;

static SWIFT_CC_SWIFT void cfuzz_enqueueGlobal(CFuzzJob *_Nonnull job, EnqueueGlobalOriginal _Nonnull original) {
    if (!cfuzz_sink(job, 0)) {
        original(job);
    }
}

static SWIFT_CC_SWIFT void cfuzz_enqueueGlobalWithDelay(
    unsigned long long delay, CFuzzJob *_Nonnull job, EnqueueGlobalWithDelayOriginal _Nonnull original) {
    if (!cfuzz_sink(job, delay)) {
        original(delay, job);
    }
}

static SWIFT_CC_SWIFT void cfuzz_enqueueGlobalWithDeadline(
    long long sec, long long nsec, long long tsec, long long tnsec, int clock, CFuzzJob *_Nonnull job,
    EnqueueGlobalWithDeadlineOriginal _Nonnull original) {
    long long nowSeconds = 0;
    long long nowNanoseconds = 0;
    swift_get_time(&nowSeconds, &nowNanoseconds, clock);
    long double delay = ((long double)sec - (long double)nowSeconds) * 1e9L + (long double)(nsec - nowNanoseconds);
    uint64_t delayNanoseconds = 0;
    if (delay > 0) {
        delayNanoseconds = delay >= 1.8e19L ? UINT64_MAX : (uint64_t)delay;
    }
    if (!cfuzz_sink(job, delayNanoseconds)) {
        original(sec, nsec, tsec, tnsec, clock, job);
    }
}

void CFuzz_installGlobalExecutorHooks(CFuzzJobSink _Nonnull sink) {
    cfuzz_sink = sink;
    swift_task_enqueueGlobal_hook = cfuzz_enqueueGlobal;
    swift_task_enqueueGlobalWithDelay_hook = cfuzz_enqueueGlobalWithDelay;
    swift_task_enqueueGlobalWithDeadline_hook = cfuzz_enqueueGlobalWithDeadline;
}

void CFuzz_runJob(void *_Nonnull job) {
    CFuzzExecutorRef generic = {0, 0};
    swift_job_run((CFuzzJob *)job, generic);
}
