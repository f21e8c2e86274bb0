// fma_peak: the machine's practical float32 FMA peak, the yardstick of bench/run.sh's
// "share of peak" column. Every thread runs independent chains of vector FMAs (enough of
// them to cover the FMA latency on every FMA port), with no memory traffic, so the number
// is what the cores do at the clock they actually run at. Rates are taken over each
// thread's CPU time, so other processes on a shared machine do not lower the peak.
//
// Usage: fma_peak [--threads N] [--seconds S] [--json]
// Prints "fma peak: X GFLOP/s float32 (avx512, 2 threads)" or, with --json, one JSON line.
#include <immintrin.h>
#include <omp.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// A 512-bit register holds 16 floats, a 256-bit one 8. 16 chains of AVX-512 (32 registers)
// or 12 of AVX2 (16 registers) keep 2 FMA ports with a latency of up to 6-8 cycles busy.
#if defined(__AVX512F__)
constexpr const char* kIsa = "avx512";
constexpr int kLanes = 16;
constexpr int kChains = 16;
using Vec = __m512;
inline Vec splat(float x) { return _mm512_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float sum(Vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
constexpr const char* kIsa = "avx2";
constexpr int kLanes = 8;
constexpr int kChains = 12;
using Vec = __m256;
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float sum(Vec v) {
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  float s = 0.0f;
  for (float x : lanes) s += x;
  return s;
}
#else
#error "fma_peak needs AVX2+FMA or AVX-512: build with -march=native (BERTSCOPE_NATIVE=ON) on x86-64"
#endif

// Runs `iterations` rounds of kChains independent FMAs; returns a value that depends on all
// of them so the compiler cannot drop any. x -> x*a + b with a just below 1 stays finite.
float fma_chains(long iterations, float seed) {
  Vec acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = splat(seed + static_cast<float>(c));
  const Vec a = splat(0.999999f), b = splat(1e-6f);
  for (long i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) acc[c] = fma(acc[c], a, b);
  }
  float total = 0.0f;
  for (int c = 0; c < kChains; ++c) total += sum(acc[c]);
  return total;
}

// CPU time this thread has run, in seconds (time it waited for a core is not counted).
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Round {
  double gflops = 0.0;       // sum over threads of FLOPs / the thread's CPU time
  double wall_gflops = 0.0;  // all FLOPs / wall time from the first start to the last end
};

// One round on all threads (an FMA counts as 2 FLOPs), two ways:
// - the peak: each thread's FLOPs over its own CPU time, summed. On a shared machine other
//   processes take cores away for part of a round; a thread's CPU time leaves that out, so
//   this is what the cores do while they run our code, whatever else is running. (Threads
//   that share a core's FMA units while they run show that as a lower rate each.)
// - wall: what this process got just now, spanning the first start to the last end (no
//   barrier is timed: its wake-up on a busy machine can cost a whole scheduler tick).
Round measure(int threads, long iterations, float* sink) {
  std::vector<Clock::time_point> starts(static_cast<size_t>(threads)), ends(static_cast<size_t>(threads));
  std::vector<double> cpu(static_cast<size_t>(threads));
  float total = 0.0f;
  int ran = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total, ran)
  {
    const size_t id = static_cast<size_t>(omp_get_thread_num());
    const double cpu_start = thread_cpu_seconds();
    starts[id] = Clock::now();
    total += fma_chains(iterations, static_cast<float>(id));
    ends[id] = Clock::now();
    cpu[id] = thread_cpu_seconds() - cpu_start;
    ran += 1;
  }
  *sink += total;
  const double flops_per_thread = 2.0 * kLanes * kChains * static_cast<double>(iterations);
  Round round;
  for (int t = 0; t < ran; ++t) round.gflops += flops_per_thread / cpu[static_cast<size_t>(t)] / 1e9;
  const auto first = *std::min_element(starts.begin(), starts.begin() + ran);
  const auto last = *std::max_element(ends.begin(), ends.begin() + ran);
  round.wall_gflops = flops_per_thread * ran / std::chrono::duration<double>(last - first).count() / 1e9;
  return round;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = omp_get_max_threads();
  double budget_s = 1.0;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--seconds" && i + 1 < argc) {
      budget_s = std::atof(argv[++i]);
    } else if (arg == "--json") {
      json = true;
    } else {
      std::fprintf(stderr, "usage: fma_peak [--threads N] [--seconds S] [--json]\n");
      return 2;
    }
  }
  if (threads < 1 || budget_s <= 0.0) {
    std::fprintf(stderr, "fma_peak: --threads must be >= 1 and --seconds > 0\n");
    return 2;
  }

  // Calibrate a round to ~1/20 of the budget, then keep the best of the rounds: on a shared
  // machine the best round is the one least disturbed by other processes.
  float sink = 0.0f;
  long iterations = 1 << 16;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    measure(threads, iterations, &sink);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s >= budget_s / 20 || iterations > (1L << 40)) break;
    iterations *= 2;
  }
  Round best;
  const auto start = std::chrono::steady_clock::now();
  int rounds = 0;
  do {
    const Round round = measure(threads, iterations, &sink);
    best.gflops = std::max(best.gflops, round.gflops);
    best.wall_gflops = std::max(best.wall_gflops, round.wall_gflops);
    ++rounds;
  } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < budget_s || rounds < 3);

  if (sink == 12345.678f) std::printf(" ");  // keeps the result observable
  if (json) {
    std::printf("{\"gflops\": %.2f, \"wall_gflops\": %.2f, \"isa\": \"%s\", \"threads\": %d, \"rounds\": %d, "
                "\"dtype\": \"f32\"}\n", best.gflops, best.wall_gflops, kIsa, threads, rounds);
  } else {
    std::printf("fma peak: %.1f GFLOP/s float32 (%s, %d threads, best of %d rounds; %.1f GFLOP/s by wall clock just now)\n",
                best.gflops, kIsa, threads, rounds, best.wall_gflops);
  }
  return 0;
}
