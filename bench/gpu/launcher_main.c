// A C program (no Python) launching kevc's softmax through the generated CUDA launcher: built by
// bench/gpu/artifacts-check.sh against the CUDA toolkit's cuda.h with -lcuda (the launcher itself needs neither).
// Checks that a wrong-shape call is refused, then compares every value with a double-precision reference and
// prints one JSON line.
#include <cuda.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "softmax_c.h"

#define CHECK(call) do { CUresult r_ = (call); if (r_ != CUDA_SUCCESS) { \
  printf("{\"c_program\": false, \"error\": \"%s failed: %d\"}\n", #call, (int)r_); return 1; } } while (0)

int main(void) {
  const int64_t m = SOFTMAX_C_DIM_M, n = SOFTMAX_C_DIM_N;
  size_t bytes = sizeof(float) * (size_t)(m * n);
  float *x = malloc(bytes), *y = malloc(bytes);
  for (int64_t i = 0; i < m * n; i++) x[i] = (float)((i * 7919) % 1000) / 100.0f - 5.0f;
  CUdevice device;
  CUcontext context;
  CHECK(cuInit(0));
  CHECK(cuDeviceGet(&device, 0));
  CHECK(cuDevicePrimaryCtxRetain(&context, device));
  CHECK(cuCtxSetCurrent(context));
  CUdeviceptr dx, dy, dw;
  CHECK(cuMemAlloc(&dx, bytes));
  CHECK(cuMemAlloc(&dy, bytes));
  CHECK(cuMemAlloc(&dw, SOFTMAX_C_WORKSPACE_BYTES + 256));
  CHECK(cuMemcpyHtoD(dx, x, bytes));
  void *args[] = {(void *)(uintptr_t)dx, (void *)(uintptr_t)dy, (void *)(uintptr_t)dw};
  int wrong = softmax_c_launch_checked(m + 1, n, args, NULL);
  int status = softmax_c_launch_checked(m, n, args, NULL);
  if (status != 0) {
    printf("{\"c_program\": false, \"status\": %d, \"cuda_error\": %d}\n", status, softmax_c_cuda_error());
    return 1;
  }
  CHECK(cuCtxSynchronize());
  CHECK(cuMemcpyDtoH(y, dy, bytes));
  double worst = 0;
  for (int64_t r = 0; r < m; r++) {
    double top = -INFINITY, sum = 0;
    for (int64_t c = 0; c < n; c++) top = fmax(top, x[r * n + c]);
    for (int64_t c = 0; c < n; c++) sum += exp((double)x[r * n + c] - top);
    for (int64_t c = 0; c < n; c++) {
      double want = exp((double)x[r * n + c] - top) / sum;
      worst = fmax(worst, fabs(y[r * n + c] - want) / fmax(want, 1e-30));
    }
  }
  int passed = wrong == KEVC_ERROR_SHAPE && worst < 1e-4;
  printf("{\"c_program\": %s, \"shape\": \"%s\", \"wrong_shape_status\": %d, \"max_rel\": %g}\n",
         passed ? "true" : "false", SOFTMAX_C_SHAPE, wrong, worst);
  return passed ? 0 : 1;
}
