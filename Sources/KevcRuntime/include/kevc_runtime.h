// The small C runtime that kevc's CPU kernels call: a persistent thread pool for parallel loops.
// Kernels compiled ahead of time (`kevc compile --emit obj`) that contain parallel loops need this file's
// implementation (kevc_runtime.c) linked in; the JIT resolves the same symbols from the kevc process.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The body of a parallel loop: runs iterations [begin, end) with the closure data `context`.
typedef void (*kevc_parallel_body)(void *context, int64_t begin, int64_t end);

/// Runs `body` over [0, count) split into chunks among the pool's threads and the caller; returns when every
/// iteration has finished. Nested calls (from inside a body) run serially on the calling thread.
void kevc_parallel_for(int64_t count, kevc_parallel_body body, void *context);

/// Number of threads (including the caller) parallel loops use; from KEVC_NUM_THREADS, else the CPU count.
int kevc_thread_count(void);

#ifdef __cplusplus
}
#endif
