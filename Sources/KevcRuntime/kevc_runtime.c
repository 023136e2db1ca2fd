// The thread pool behind kevc's parallel loops: `kevc_parallel_for(count, body, ctx)` runs body(ctx, b, e) over
// chunks of [0, count) on a persistent pool plus the calling thread and returns when all chunks are done.
//
// - Workers are created once, lazily on the first parallel call, sized by KEVC_NUM_THREADS (1..256) or the number
//   of online CPUs; each has an 8 MiB stack (kernels keep local buffers on the stack). The pool lives until exit.
// - [0, count) is cut into about 4 chunks per thread (static chunk size); threads claim chunks from an atomic
//   counter, the caller included.
// - A job is published by bumping a generation counter; workers spin briefly, then sleep on a condition variable.
//   The caller waits for the workers the same way (spin, then a condition variable).
// - One job at a time: concurrent callers are serialised by a mutex. A call made from inside a body (any thread
//   running a chunk) runs serially on that thread, so nested parallel loops cannot deadlock.
#include "kevc_runtime.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#define KEVC_PAUSE() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define KEVC_PAUSE() __asm__ __volatile__("yield")
#else
#define KEVC_PAUSE() ((void)0)
#endif

enum { kevc_max_threads = 256, kevc_chunks_per_thread = 4, kevc_spin_iterations = 4000 };

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
/// Threads including the caller (>= 1); workers = threads - 1.
static int pool_threads = 1;
static int pool_workers = 0;

/// Serialises callers: one job at a time.
static pthread_mutex_t pool_call_lock = PTHREAD_MUTEX_INITIALIZER;
/// Protects the sleeping side of the generation / completion handshakes.
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER;

/// Bumped (under pool_lock) to publish a job.
static atomic_ulong pool_generation;
/// Workers that have not yet finished the current job.
static atomic_int pool_pending;
/// Next chunk to claim.
static atomic_long pool_next_chunk;

/// The current job; written by the caller before the generation bump, read by workers after they see it.
static kevc_parallel_body job_body;
static void *job_context;
static int64_t job_count;
static int64_t job_chunk_size;
static int64_t job_chunks;

/// Non-zero while this thread runs chunks of a job (workers always): nested calls then run serially.
static _Thread_local int inside_parallel_body;

static void run_chunks(void) {
  for (;;) {
    long chunk = atomic_fetch_add_explicit(&pool_next_chunk, 1, memory_order_relaxed);
    if (chunk >= job_chunks) return;
    int64_t begin = (int64_t)chunk * job_chunk_size;
    int64_t end = begin + job_chunk_size;
    if (end > job_count || end < begin) end = job_count;
    job_body(job_context, begin, end);
  }
}

static void *worker_main(void *unused) {
  (void)unused;
  inside_parallel_body = 1;
  // Workers start (in start_pool) before any job is published, while the generation is still 0; reading it here
  // instead could miss a job published before this thread ran.
  unsigned long seen = 0;
  for (;;) {
    // Wait for a new generation: spin a little, then sleep.
    unsigned long now = seen;
    for (int i = 0; i < kevc_spin_iterations; i++) {
      now = atomic_load_explicit(&pool_generation, memory_order_acquire);
      if (now != seen) break;
      KEVC_PAUSE();
    }
    if (now == seen) {
      pthread_mutex_lock(&pool_lock);
      while ((now = atomic_load_explicit(&pool_generation, memory_order_acquire)) == seen) {
        pthread_cond_wait(&pool_wake, &pool_lock);
      }
      pthread_mutex_unlock(&pool_lock);
    }
    seen = now;
    run_chunks();
    if (atomic_fetch_sub_explicit(&pool_pending, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&pool_lock);
      pthread_cond_signal(&pool_done);
      pthread_mutex_unlock(&pool_lock);
    }
  }
  return NULL;
}

static int configured_threads(void) {
  const char *text = getenv("KEVC_NUM_THREADS");
  if (text != NULL && *text != '\0') {
    char *end = NULL;
    long n = strtol(text, &end, 10);
    if (end != NULL && *end == '\0' && n >= 1) return n > kevc_max_threads ? kevc_max_threads : (int)n;
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1) return 1;
  return cpus > kevc_max_threads ? kevc_max_threads : (int)cpus;
}

static void start_pool(void) {
  int wanted = configured_threads();
  pthread_attr_t attributes;
  int have_attributes = pthread_attr_init(&attributes) == 0;
  if (have_attributes) {
    pthread_attr_setstacksize(&attributes, 8u << 20);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  }
  int started = 0;
  for (int i = 1; i < wanted; i++) {
    pthread_t thread;
    if (pthread_create(&thread, have_attributes ? &attributes : NULL, worker_main, NULL) != 0) break;
    if (!have_attributes) pthread_detach(thread);
    started++;
  }
  if (have_attributes) pthread_attr_destroy(&attributes);
  pool_workers = started;
  pool_threads = started + 1;
}

int kevc_thread_count(void) {
  pthread_once(&pool_once, start_pool);
  return pool_threads;
}

void kevc_parallel_for(int64_t count, kevc_parallel_body body, void *context) {
  if (count <= 0 || body == NULL) return;
  if (inside_parallel_body || count == 1) {
    body(context, 0, count);
    return;
  }
  pthread_once(&pool_once, start_pool);
  if (pool_workers == 0) {
    body(context, 0, count);
    return;
  }
  pthread_mutex_lock(&pool_call_lock);

  int64_t wanted_chunks = (int64_t)pool_threads * kevc_chunks_per_thread;
  int64_t chunk_size = count / wanted_chunks + (count % wanted_chunks != 0);
  if (chunk_size < 1) chunk_size = 1;
  job_body = body;
  job_context = context;
  job_count = count;
  job_chunk_size = chunk_size;
  job_chunks = count / chunk_size + (count % chunk_size != 0);
  atomic_store_explicit(&pool_next_chunk, 0, memory_order_relaxed);
  atomic_store_explicit(&pool_pending, pool_workers, memory_order_relaxed);

  // Publish: the release store orders the job fields before the new generation.
  pthread_mutex_lock(&pool_lock);
  atomic_fetch_add_explicit(&pool_generation, 1, memory_order_release);
  pthread_cond_broadcast(&pool_wake);
  pthread_mutex_unlock(&pool_lock);

  inside_parallel_body = 1;
  run_chunks();
  inside_parallel_body = 0;

  // Wait for every worker to leave the job (so the next job can reuse the fields).
  int done = 0;
  for (int i = 0; i < kevc_spin_iterations; i++) {
    if (atomic_load_explicit(&pool_pending, memory_order_acquire) == 0) {
      done = 1;
      break;
    }
    KEVC_PAUSE();
  }
  if (!done) {
    pthread_mutex_lock(&pool_lock);
    while (atomic_load_explicit(&pool_pending, memory_order_acquire) != 0) pthread_cond_wait(&pool_done, &pool_lock);
    pthread_mutex_unlock(&pool_lock);
  }
  pthread_mutex_unlock(&pool_call_lock);
}
