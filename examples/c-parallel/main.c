// A C program calling a kevc kernel with parallel loops at a large shape: softmax over 2048 rows of 4096,
// compiled by build.sh into libsoftmax_big.a (the kernel and the kevc runtime). Checks every value against a
// double-precision reference and that a call with the wrong sizes is refused.
#include "softmax_big.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const int64_t m = SOFTMAX_BIG_DIM_M, n = SOFTMAX_BIG_DIM_N;
  float *x = malloc(sizeof(float) * m * n), *y = malloc(sizeof(float) * m * n);
  void *workspace = aligned_alloc(64, SOFTMAX_BIG_WORKSPACE_BYTES + 64);
  if (!x || !y || !workspace) return 2;
  for (int64_t i = 0; i < m * n; i++) x[i] = (float)((i * 7919) % 1000) / 100.0f - 5.0f;
  void *args[] = {x, y, workspace};
  if (softmax_big_checked(m, n + 1, args) != KEVC_ERROR_SHAPE) {
    fprintf(stderr, "a wrong shape was accepted\n");
    return 1;
  }
  if (softmax_big_checked(m, n, args) != 0) return 1;
  double worst = 0;
  for (int64_t r = 0; r < m; r++) {
    double top = -INFINITY, sum = 0;
    for (int64_t c = 0; c < n; c++) top = fmax(top, x[r * n + c]);
    for (int64_t c = 0; c < n; c++) sum += exp((double)x[r * n + c] - top);
    for (int64_t c = 0; c < n; c++) {
      double want = exp((double)x[r * n + c] - top) / sum;
      double err = fabs(y[r * n + c] - want) / fmax(fabs(want), 1e-30);
      if (err > worst) worst = err;
    }
  }
  printf("softmax %s: worst relative error %.3g\n", SOFTMAX_BIG_SHAPE, worst);
  return worst < 1e-4 ? 0 : 1;
}
