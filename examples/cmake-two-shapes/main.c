// Calls softmax compiled at two shapes (two libraries of one spec, linked together) and checks both against a
// double-precision reference; each checked entry point refuses the other's sizes.
#include "softmax_small.h"
#include "softmax_wide.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*entry)(int64_t, int64_t, void *const *);

static int check(const char *label, entry call, int64_t m, int64_t n, int64_t wrong_m, int64_t wrong_n) {
  float *x = malloc(sizeof(float) * m * n), *y = malloc(sizeof(float) * m * n);
  void *workspace = aligned_alloc(64, 64 + (SOFTMAX_SMALL_WORKSPACE_BYTES > SOFTMAX_WIDE_WORKSPACE_BYTES
                                                ? SOFTMAX_SMALL_WORKSPACE_BYTES : SOFTMAX_WIDE_WORKSPACE_BYTES));
  for (int64_t i = 0; i < m * n; i++) x[i] = (float)((i * 31) % 97) / 9.0f - 5.0f;
  void *args[] = {x, y, workspace};
  if (call(wrong_m, wrong_n, args) != KEVC_ERROR_SHAPE) return printf("%s: wrong shape accepted\n", label), 1;
  if (call(m, n, args) != 0) return printf("%s: call failed\n", label), 1;
  double worst = 0;
  for (int64_t r = 0; r < m; r++) {
    double top = -INFINITY, sum = 0;
    for (int64_t c = 0; c < n; c++) top = fmax(top, x[r * n + c]);
    for (int64_t c = 0; c < n; c++) sum += exp((double)x[r * n + c] - top);
    for (int64_t c = 0; c < n; c++) worst = fmax(worst, fabs(y[r * n + c] - exp((double)x[r * n + c] - top) / sum));
  }
  printf("%s [M=%ld,N=%ld]: worst error %.3g\n", label, (long)m, (long)n, worst);
  free(x), free(y), free(workspace);
  return worst < 1e-5 ? 0 : 1;
}

int main(void) {
  int failed = check("softmax_small", softmax_small_checked, SOFTMAX_SMALL_DIM_M, SOFTMAX_SMALL_DIM_N,
                     SOFTMAX_WIDE_DIM_M, SOFTMAX_WIDE_DIM_N);
  failed |= check("softmax_wide", softmax_wide_checked, SOFTMAX_WIDE_DIM_M, SOFTMAX_WIDE_DIM_N, SOFTMAX_SMALL_DIM_M,
                  SOFTMAX_SMALL_DIM_N);
  return failed;
}
