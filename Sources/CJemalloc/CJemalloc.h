#ifndef CJemalloc_H
#define CJemalloc_H

// jemalloc replaces malloc/free for the whole process once an executable links it. Servers link
// it for its per-thread caches: glibc's malloc cost several microseconds per call on the request
// path (docs/benchmarks.md, "Allocator").

#include <stddef.h>
#include <jemalloc/jemalloc.h>

/// The linked jemalloc's version ("5.3.0-0-g..."), or NULL when mallctl cannot tell.
static inline const char *cjemalloc_version(void) {
    const char *version = NULL;
    size_t length = sizeof(version);
    if (mallctl("version", &version, &length, NULL, 0) != 0) {
        return NULL;
    }
    return version;
}

#endif
