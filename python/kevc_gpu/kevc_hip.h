// kevc_hip.h: the portability header of kevc's HIP target. The same generated source compiles
//  - for AMD gfx942 with Debian's clang-19 and no ROCm:
//      clang++-19 -x hip --offload-arch=gfx942 --cuda-device-only --no-gpu-bundle-output -nogpulib -nogpuinc \
//        -O3 -DKEVC_DEVICE_ONLY -I<this folder> -c k.hip -o k.hsaco
//  - as CUDA with nvcc (the H100 harness): nvcc -x cu -O3 -shared -Xcompiler -fPIC -I<this folder> k.hip -o k.so
//  - as plain C++ on the host with -DKEVC_HOST (python -m kevc_gpu.hip_host_check): every launch runs as one thread
//    that walks all thread indices in order, which checks each thread's code without a GPU (not races between them);
//    with -DKEVC_HOST_THREADS -std=c++20 as well, a launch runs one block's worth of std::threads in lockstep at its
//    barriers (shuffles through a shared slot array), walking every block in turn, which checks the cooperation of a
//    block plan (strided loops, block reductions, shared staging) on the CPU; with -DKEVC_HOST_MFMA as well, a
//    matrix tile takes its MFMA path with the instructions emulated from the lane layout (see "matrix units" below).
// It defines the kernel qualifiers, the thread and block ids, and the IR's operations with the IR's semantics:
// floored integer division and modulo with 0 for a zero divisor, NaN-propagating max/min, float -> int casts that
// saturate (NaN -> 0), f16/bf16 stored as 16-bit patterns and computed in f32 (round to nearest even).
#pragma once

#if defined(KEVC_HOST)
#include <math.h>
#include <stdint.h>
#define __global__
#define KEVC_BID_X 0LL
#define KEVC_D static inline
#define KEVC_LAST_ERROR() 0
#define KEVC_HOST_MATH 1
#define KEVC_LAUNCH_BOUNDS(threads)
#if defined(KEVC_HOST_MFMA) && defined(KEVC_HOST_THREADS)
#define KEVC_TILE_THREADS(mfma, portable) (mfma)
#else
#define KEVC_TILE_THREADS(mfma, portable) (portable)
#endif
#if defined(KEVC_HOST_THREADS)
// One block of `threads` std::threads per launch, which walks every block in turn (a block-stride loop strides by 1,
// a thread-stride loop by the block's threads); shared arrays are static (one block runs at a time).
#include <barrier>
#include <string.h>
#include <thread>
#include <vector>
inline thread_local long long kevc_host_tid = 0;
inline std::barrier<>* kevc_host_barrier = nullptr;
inline long long kevc_host_slots[1024];
#define KEVC_TID_X kevc_host_tid
#define __shared__ static
#define KEVC_SYNC() kevc_host_barrier->arrive_and_wait()
#define KEVC_WARP 32
#define KEVC_BLOCK(n) ((long long)(n))
#define KEVC_STRIDE(blocks, threads) (threads)
#define KEVC_BLOCK_STRIDE(blocks) 1LL
template <typename T> static inline T kevc_shfl_xor(T v, int o) {
  long long w = 0, r = 0;
  memcpy(&w, &v, sizeof(T));
  kevc_host_slots[kevc_host_tid] = w;
  KEVC_SYNC();
  r = kevc_host_slots[kevc_host_tid ^ o];
  KEVC_SYNC();
  T out;
  memcpy(&out, &r, sizeof(T));
  return out;
}
template <typename K> struct kevc_host_launch {
  K kernel;
  int threads;
  template <typename... A> void operator()(A... args) {
    std::barrier<> b(threads);
    kevc_host_barrier = &b;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back([=, this] { kevc_host_tid = t; kernel(args...); });
    for (auto& th : pool) th.join();
  }
};
#define KEVC_LAUNCH(kernel, blocks, threads, stream) kevc_host_launch<decltype(&kernel)>{&kernel, (int)(threads)}
#else
// One thread per block: cooperative loops walk every iteration, barriers and shuffles do nothing.
#define KEVC_TID_X 0LL
#define KEVC_LAUNCH(kernel, blocks, threads, stream) kernel
#define KEVC_STRIDE(blocks, threads) 1LL
#define KEVC_BLOCK_STRIDE(blocks) 1LL
#define __shared__
#define KEVC_SYNC() ((void)0)
#define KEVC_WARP 1
#define KEVC_BLOCK(n) 1LL
template <typename T> static inline T kevc_shfl_xor(T v, int) { return v; }
#endif
#elif defined(__NVCC__) || (defined(__CUDACC__) && !defined(__HIP__))
#define KEVC_CUDA 1
#include <cuda_runtime.h>
#include <stdint.h>
#define KEVC_TID_X ((long long)threadIdx.x)
#define KEVC_BID_X ((long long)blockIdx.x)
#define KEVC_D __device__ __forceinline__
#define KEVC_LAUNCH(kernel, blocks, threads, stream) kernel<<<(blocks), (threads), 0, (cudaStream_t)(stream)>>>
#define KEVC_STRIDE(blocks, threads) ((blocks) * (threads))
#define KEVC_BLOCK_STRIDE(blocks) (blocks)
#define KEVC_LAST_ERROR() ((int)cudaGetLastError())
#define KEVC_LAUNCH_BOUNDS(threads) __launch_bounds__(threads)
#define KEVC_TILE_THREADS(mfma, portable) (portable)
#define KEVC_HOST_MATH 1
#define KEVC_SYNC() __syncthreads()
#define KEVC_WARP 32
#define KEVC_BLOCK(n) ((long long)(n))
template <typename T> KEVC_D T kevc_shfl_xor(T v, int o) { return __shfl_xor_sync(0xffffffffu, v, o); }
KEVC_D int8_t kevc_shfl_xor(int8_t v, int o) { return (int8_t)__shfl_xor_sync(0xffffffffu, (int)v, o); }
KEVC_D bool kevc_shfl_xor(bool v, int o) { return __shfl_xor_sync(0xffffffffu, (int)v, o) != 0; }
#else
// HIP through clang with -nogpuinc: no HIP headers, only clang's own attributes and AMDGPU builtins.
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared))
typedef signed char int8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
#define KEVC_TID_X ((long long)__builtin_amdgcn_workitem_id_x())
#define KEVC_BID_X ((long long)__builtin_amdgcn_workgroup_id_x())
#define KEVC_D __device__ inline __attribute__((always_inline))
// At most `threads` per block: the register budget of a wave follows (a 64-thread block may use 512 VGPRs).
#define KEVC_LAUNCH_BOUNDS(threads) __attribute__((amdgpu_flat_work_group_size(1, threads)))
// Threads of a matrix tile's block: its MFMA waves (the portable path, on an AMD GPU without MFMA, strides the same).
#define KEVC_TILE_THREADS(mfma, portable) (mfma)
// __syncthreads: workgroup release fence, barrier, acquire fence (what HIP's own header does).
#define KEVC_SYNC()                                        \
  do {                                                     \
    __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup"); \
    __builtin_amdgcn_s_barrier();                          \
    __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup"); \
  } while (0)
#define KEVC_WARP 64
#define KEVC_BLOCK(n) ((long long)(n))
// Butterfly shuffle over a 64-lane wave: ds_bpermute reads lane (lane ^ o)'s 32-bit word.
KEVC_D int kevc_shfl_xor(int v, int o) {
  int lane = (int)__builtin_amdgcn_mbcnt_hi(~0u, __builtin_amdgcn_mbcnt_lo(~0u, 0u));
  return __builtin_amdgcn_ds_bpermute((lane ^ o) << 2, v);
}
KEVC_D float kevc_shfl_xor(float v, int o) { return __builtin_bit_cast(float, kevc_shfl_xor(__builtin_bit_cast(int, v), o)); }
KEVC_D long long kevc_shfl_xor(long long v, int o) {
  int lo = kevc_shfl_xor((int)(unsigned int)v, o), hi = kevc_shfl_xor((int)(v >> 32), o);
  return (long long)(((unsigned long long)(unsigned int)hi << 32) | (unsigned int)lo);
}
KEVC_D double kevc_shfl_xor(double v, int o) {
  return __builtin_bit_cast(double, kevc_shfl_xor(__builtin_bit_cast(long long, v), o));
}
KEVC_D int8_t kevc_shfl_xor(int8_t v, int o) { return (int8_t)kevc_shfl_xor((int)v, o); }
KEVC_D bool kevc_shfl_xor(bool v, int o) { return kevc_shfl_xor((int)v, o) != 0; }
#endif

// ---- f16 / bf16 storage <-> f32 registers (round to nearest even; NaN stays NaN) ----
KEVC_D float kevc_bits_f32(uint32_t u) { return __builtin_bit_cast(float, u); }
KEVC_D uint32_t kevc_f32_bits(float f) { return __builtin_bit_cast(uint32_t, f); }

KEVC_D float kevc_bf2f(uint16_t h) { return kevc_bits_f32(((uint32_t)h) << 16); }
KEVC_D uint16_t kevc_f2bf(float f) {
  uint32_t u = kevc_f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

KEVC_D float kevc_h2f(uint16_t h) {
  uint32_t sign = ((uint32_t)(h & 0x8000u)) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  if (exp == 0x1fu) return kevc_bits_f32(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    float m = (float)man * 5.9604644775390625e-8f;  // man * 2^-24
    return sign ? -m : m;
  }
  return kevc_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}
KEVC_D uint16_t kevc_f2h(float f) {
  uint32_t u = kevc_f32_bits(f);
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  // rounds to >= 65520: infinity
  if (a < 0x38800000u) {                                    // below the smallest normal half: subnormal or 0
    float x = kevc_bits_f32(a) * 16777216.0f;               // exact: value in units of 2^-24
    float r = __builtin_rintf(x);
    return (uint16_t)(sign | (uint16_t)r);
  }
  uint32_t rounded = a + 0xfffu + ((a >> 13) & 1u);
  return (uint16_t)(sign | (uint16_t)((rounded - 0x38000000u) >> 13));
}
KEVC_D float kevc_round_f16(float f) { return kevc_h2f(kevc_f2h(f)); }
KEVC_D float kevc_round_bf16(float f) { return kevc_bf2f(kevc_f2bf(f)); }

// ---- math (f32 and f64 overloads) ----
#if defined(KEVC_HOST_MATH)
KEVC_D float kevc_exp(float x) { return expf(x); }
KEVC_D double kevc_exp(double x) { return exp(x); }
KEVC_D float kevc_log(float x) { return logf(x); }
KEVC_D double kevc_log(double x) { return log(x); }
KEVC_D float kevc_sqrt(float x) { return sqrtf(x); }
KEVC_D double kevc_sqrt(double x) { return sqrt(x); }
#if defined(KEVC_CUDA)
KEVC_D float kevc_rsqrt(float x) { return rsqrtf(x); }
KEVC_D double kevc_rsqrt(double x) { return rsqrt(x); }
#else
KEVC_D float kevc_rsqrt(float x) { return 1.0f / sqrtf(x); }
KEVC_D double kevc_rsqrt(double x) { return 1.0 / sqrt(x); }
#endif
KEVC_D float kevc_tanh(float x) { return tanhf(x); }
KEVC_D double kevc_tanh(double x) { return tanh(x); }
KEVC_D float kevc_erf(float x) { return erff(x); }
KEVC_D double kevc_erf(double x) { return erf(x); }
KEVC_D float kevc_pow(float x, float y) { return powf(x, y); }
KEVC_D double kevc_pow(double x, double y) { return pow(x, y); }
#else
KEVC_D float kevc_exp(float x) { return __builtin_expf(x); }
KEVC_D double kevc_exp(double x) { return __builtin_exp(x); }
KEVC_D float kevc_log(float x) { return __builtin_logf(x); }
KEVC_D double kevc_log(double x) { return __builtin_log(x); }
KEVC_D float kevc_sqrt(float x) { return __builtin_sqrtf(x); }
KEVC_D double kevc_sqrt(double x) { return __builtin_sqrt(x); }
KEVC_D float kevc_rsqrt(float x) { return 1.0f / __builtin_sqrtf(x); }
KEVC_D double kevc_rsqrt(double x) { return 1.0 / __builtin_sqrt(x); }
// tanh, erf and pow have no LLVM intrinsic and no device library here (-nogpulib): written over exp and log.
template <typename T> KEVC_D T kevc_tanh_t(T x) {
  T a = x < 0 ? -x : x;
  if (a < (T)0.0004) return x;
  T e = kevc_exp((T)-2 * a);
  T t = ((T)1 - e) / ((T)1 + e);
  return x < 0 ? -t : t;
}
KEVC_D float kevc_tanh(float x) { return kevc_tanh_t(x); }
KEVC_D double kevc_tanh(double x) { return kevc_tanh_t(x); }
// erf: Abramowitz & Stegun 7.1.26 refined by one Newton step on erf' = 2/sqrt(pi) exp(-x^2) is not needed at f32
// tolerance; the series below is exact to ~1e-7 absolute.
template <typename T> KEVC_D T kevc_erf_t(T x) {
  T a = x < 0 ? -x : x;
  T t = (T)1 / ((T)1 + (T)0.3275911 * a);
  T y = (T)1 - (((((T)1.061405429 * t - (T)1.453152027) * t + (T)1.421413741) * t - (T)0.284496736) * t +
                 (T)0.254829592) * t * kevc_exp(-a * a);
  return x < 0 ? -y : y;
}
KEVC_D float kevc_erf(float x) { return kevc_erf_t(x); }
KEVC_D double kevc_erf(double x) { return kevc_erf_t(x); }
template <typename T> KEVC_D T kevc_pow_t(T x, T y) {
  if (y == (T)0) return (T)1;
  if (x != x || y != y) return x + y;
  T ay = y < 0 ? -y : y;
  bool integral = __builtin_floor((double)y) == (double)y;
  if (x < 0) {
    if (!integral) return (T)__builtin_nan("");
    T r = kevc_exp(y * kevc_log(-x));
    bool odd = integral && ay < (T)9007199254740992.0 && ((long long)ay & 1);
    return odd ? -r : r;
  }
  return kevc_exp(y * kevc_log(x));
}
KEVC_D float kevc_pow(float x, float y) { return kevc_pow_t(x, y); }
KEVC_D double kevc_pow(double x, double y) { return kevc_pow_t(x, y); }
#endif
KEVC_D float kevc_floor(float x) { return __builtin_floorf(x); }
KEVC_D double kevc_floor(double x) { return __builtin_floor(x); }
KEVC_D float kevc_ceil(float x) { return __builtin_ceilf(x); }
KEVC_D double kevc_ceil(double x) { return __builtin_ceil(x); }
KEVC_D float kevc_abs(float x) { return __builtin_fabsf(x); }
KEVC_D double kevc_abs(double x) { return __builtin_fabs(x); }
template <typename T> KEVC_D T kevc_abs(T x) { return x < 0 ? (T)(0 - x) : x; }
template <typename T> KEVC_D T kevc_sigmoid(T x) { return (T)1 / ((T)1 + kevc_exp(-x)); }
template <typename T> KEVC_D bool kevc_isnan(T x) { return x != x; }

// ---- the IR's integer and float operations ----
template <typename T> KEVC_D T kevc_floordiv(T a, T b) {
  if (b == 0) return 0;
  if (b == (T)-1) return (T)(0 - (unsigned long long)a);  // wraps at the minimum
  T q = a / b, r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? (T)(q - 1) : q;
}
template <typename T> KEVC_D T kevc_floormod(T a, T b) {
  if (b == 0 || b == (T)-1) return 0;
  T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? (T)(r + b) : r;
}
template <typename T> KEVC_D T kevc_fmod(T a, T b) { return a - kevc_floor(a / b) * b; }
template <typename T> KEVC_D T kevc_fmax(T a, T b) { return (a != a || b != b) ? a + b : (a > b ? a : b); }
template <typename T> KEVC_D T kevc_fmin(T a, T b) { return (a != a || b != b) ? a + b : (a < b ? a : b); }
template <typename T> KEVC_D T kevc_imax(T a, T b) { return a > b ? a : b; }
template <typename T> KEVC_D T kevc_imin(T a, T b) { return a < b ? a : b; }
// Wrapping integer arithmetic (the IR's integers wrap in their type).
template <typename T> KEVC_D T kevc_add(T a, T b) { return (T)((unsigned long long)a + (unsigned long long)b); }
template <typename T> KEVC_D T kevc_sub(T a, T b) { return (T)((unsigned long long)a - (unsigned long long)b); }
template <typename T> KEVC_D T kevc_mul(T a, T b) { return (T)((unsigned long long)a * (unsigned long long)b); }
// float -> integer: saturating, NaN -> 0.
template <typename T, typename F> KEVC_D T kevc_f2i(F x, double lo, double hi, T tmin, T tmax) {
  if (x != x) return 0;
  if ((double)x < lo) return tmin;
  if ((double)x >= hi) return tmax;
  return (T)x;
}
template <typename F> KEVC_D int8_t kevc_f2i8(F x) { return kevc_f2i<int8_t>(x, -128.0, 128.0, (int8_t)-128, (int8_t)127); }
template <typename F> KEVC_D int kevc_f2i32(F x) {
  return kevc_f2i<int>(x, -2147483648.0, 2147483648.0, (int)(-2147483647 - 1), 2147483647);
}
template <typename F> KEVC_D long long kevc_f2i64(F x) {
  return kevc_f2i<long long>(x, -9223372036854775808.0, 9223372036854775808.0, (long long)(-9223372036854775807LL - 1),
                             9223372036854775807LL);
}

// ---- matrix units: a `dot` tile on AMD MFMA (ThreadPlan.MatrixTile) ----
// A block of 1 to 4 waves computes a tile; each wave of 64 lanes computes M x M f32 tiles (M = 32 or 16) over K reduction steps per instruction, with
// V = M * K / 64 operand values and M * M / 64 accumulator registers per lane. The lane layout (AMD's matrix
// instruction calculator, wave64, for v_mfma_f32_32x32x2_f32, 16x16x4_f32, 32x32x8_{f16,bf16}, 16x16x16_{f16,bf16}):
//  - A[i][k] (M x K) is operand value k % V of lane i + M * (k / V);
//  - B[k][j] (K x M) is operand value k % V of lane j + M * (k / V);
//  - D[i][j] (M x M) is register (i % 4) + 4 * (i / (4 * G)) of lane j + M * ((i / 4) % G), with G = 64 / M lane groups.
// So lane l's register r holds row kevc_mfma_row(l, r, M) and column kevc_mfma_col(l, M), and its operand value v
// reads reduction step kevc_mfma_k(l, v, M, V). The generated code fills the operands and reads the registers with
// these functions only; KEVC_MFMA is defined where the instructions exist (gfx90a, gfx94x), and the same source
// takes its portable path elsewhere (CUDA, the host check without -DKEVC_HOST_MFMA).
KEVC_D int kevc_mfma_row(int lane, int r, int m) { return (r / 4) * (4 * (64 / m)) + (lane / m) * 4 + r % 4; }
KEVC_D int kevc_mfma_col(int lane, int m) { return lane % m; }
KEVC_D int kevc_mfma_k(int lane, int v, int m, int values) { return (lane / m) * values + v; }
#if defined(KEVC_HOST)
#define KEVC_UNROLL
#else
#define KEVC_UNROLL _Pragma("unroll")
#endif
#if (!defined(KEVC_HOST) && !defined(KEVC_CUDA) &&                                                 \
     (defined(__gfx90a__) || defined(__gfx940__) || defined(__gfx941__) || defined(__gfx942__))) || \
    (defined(KEVC_HOST_MFMA) && defined(KEVC_HOST_THREADS))
#define KEVC_MFMA 1
// Accumulator registers of one instruction tile, and 4 f16/bf16 operand values (16-bit patterns) of one lane.
typedef float kevc_f32x16 __attribute__((vector_size(64)));
typedef float kevc_f32x4 __attribute__((vector_size(16)));
typedef short kevc_i16x4 __attribute__((vector_size(8)));
#endif

#if defined(KEVC_MFMA) && !defined(KEVC_HOST)
typedef _Float16 kevc_f16x4 __attribute__((vector_size(8)));
KEVC_D kevc_f32x16 kevc_mfma_f32(kevc_f32x16 c, float a, float b) {
  return __builtin_amdgcn_mfma_f32_32x32x2f32(a, b, c, 0, 0, 0);
}
KEVC_D kevc_f32x4 kevc_mfma_f32(kevc_f32x4 c, float a, float b) { return __builtin_amdgcn_mfma_f32_16x16x4f32(a, b, c, 0, 0, 0); }
KEVC_D kevc_f32x16 kevc_mfma_bf16(kevc_f32x16 c, kevc_i16x4 a, kevc_i16x4 b) {
  return __builtin_amdgcn_mfma_f32_32x32x8bf16_1k(a, b, c, 0, 0, 0);
}
KEVC_D kevc_f32x4 kevc_mfma_bf16(kevc_f32x4 c, kevc_i16x4 a, kevc_i16x4 b) {
  return __builtin_amdgcn_mfma_f32_16x16x16bf16_1k(a, b, c, 0, 0, 0);
}
KEVC_D kevc_f32x16 kevc_mfma_f16(kevc_f32x16 c, kevc_i16x4 a, kevc_i16x4 b) {
  return __builtin_amdgcn_mfma_f32_32x32x8f16(__builtin_bit_cast(kevc_f16x4, a), __builtin_bit_cast(kevc_f16x4, b), c, 0, 0, 0);
}
KEVC_D kevc_f32x4 kevc_mfma_f16(kevc_f32x4 c, kevc_i16x4 a, kevc_i16x4 b) {
  return __builtin_amdgcn_mfma_f32_16x16x16f16(__builtin_bit_cast(kevc_f16x4, a), __builtin_bit_cast(kevc_f16x4, b), c, 0, 0, 0);
}
#elif defined(KEVC_MFMA)
// The host check of the MFMA path (-DKEVC_HOST_MFMA with --threads): each 64 threads of a block are the lanes of one
// wave; each instruction exchanges the lanes' operands through static arrays between barriers and computes every
// lane's registers from the layout above (not AMD's hardware: it checks the generated code's use of the layout).
template <int M, int V, typename C> static inline C kevc_host_mfma(C c, const float* a, const float* b) {
  static float sa[1024][4], sb[1024][4];
  const int t = (int)kevc_host_tid, lane = t % 64, wave = t - lane;
  for (int v = 0; v < V; ++v) {
    sa[t][v] = a[v];
    sb[t][v] = b[v];
  }
  KEVC_SYNC();
  for (int r = 0; r < M * M / 64; ++r) {
    const int i = kevc_mfma_row(lane, r, M), j = kevc_mfma_col(lane, M);
    float s = 0;
    for (int k = 0; k < 64 * V / M; ++k) s += sa[wave + i + M * (k / V)][k % V] * sb[wave + j + M * (k / V)][k % V];
    c[r] += s;
  }
  KEVC_SYNC();
  return c;
}
static inline kevc_f32x16 kevc_mfma_f32(kevc_f32x16 c, float a, float b) { return kevc_host_mfma<32, 1>(c, &a, &b); }
static inline kevc_f32x4 kevc_mfma_f32(kevc_f32x4 c, float a, float b) { return kevc_host_mfma<16, 1>(c, &a, &b); }
template <typename C, float (*F)(uint16_t)> static inline C kevc_host_mfma16(C c, kevc_i16x4 a, kevc_i16x4 b) {
  float fa[4], fb[4];
  for (int v = 0; v < 4; ++v) {
    fa[v] = F((uint16_t)a[v]);
    fb[v] = F((uint16_t)b[v]);
  }
  return kevc_host_mfma<sizeof(C) == 64 ? 32 : 16, 4>(c, fa, fb);
}
static inline kevc_f32x16 kevc_mfma_bf16(kevc_f32x16 c, kevc_i16x4 a, kevc_i16x4 b) { return kevc_host_mfma16<kevc_f32x16, kevc_bf2f>(c, a, b); }
static inline kevc_f32x4 kevc_mfma_bf16(kevc_f32x4 c, kevc_i16x4 a, kevc_i16x4 b) { return kevc_host_mfma16<kevc_f32x4, kevc_bf2f>(c, a, b); }
static inline kevc_f32x16 kevc_mfma_f16(kevc_f32x16 c, kevc_i16x4 a, kevc_i16x4 b) { return kevc_host_mfma16<kevc_f32x16, kevc_h2f>(c, a, b); }
static inline kevc_f32x4 kevc_mfma_f16(kevc_f32x4 c, kevc_i16x4 a, kevc_i16x4 b) { return kevc_host_mfma16<kevc_f32x4, kevc_h2f>(c, a, b); }
#endif
