// Placeholder body, replaced by the thread pool implementation.
#include "kevc_runtime.h"
void kevc_parallel_for(int64_t count, kevc_parallel_body body, void *context) { body(context, 0, count); }
int kevc_thread_count(void) { return 1; }
