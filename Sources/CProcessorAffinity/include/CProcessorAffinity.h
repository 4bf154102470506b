#ifndef CPROCESSORAFFINITY_H
#define CPROCESSORAFFINITY_H

/// How many CPUs the calling process's affinity mask allows (sched_getaffinity and CPU_COUNT,
/// which need _GNU_SOURCE and a macro Swift cannot call), or 0 when it cannot be read.
int CProcessorAffinity_allowedCPUCount(void);

#endif
