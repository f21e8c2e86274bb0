#include "block_profile.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "kernels/layer_norm.h"
#include "kernels/linear.h"

namespace bertscope_bench {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<float> random_values(size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<float> uniform(-0.05f, 0.05f);
  std::vector<float> v(count);
  for (auto& x : v) x = uniform(rng);
  return v;
}

// Median seconds of `repeats` calls of `step` (after one untimed call).
double median_seconds(int repeats, const std::function<void()>& step) {
  step();
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    step();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

nlohmann::json profile_block(const BlockShape& s, bertscope::MatmulPrecision precision, int repeats) {
  using bertscope::Activation;
  using bertscope::Linear;
  std::mt19937 rng(0);
  const int H = s.hidden, I = s.ffn, rows = s.batch * s.seq;
  const auto n = [](long long a, long long b) { return static_cast<size_t>(a * b); };
  const auto linear = [&](int in, int out, Activation act) {
    const auto w = random_values(n(out, in), rng), b = random_values(n(out, 1), rng);
    return Linear(w.data(), b.data(), in, out, act, precision);
  };
  const Linear qkv = linear(H, 3 * H, Activation::None), attn_out = linear(H, H, Activation::None);
  const Linear ffn_in = linear(H, I, Activation::Gelu), ffn_in_plain = linear(H, I, Activation::None);
  const Linear ffn_out = linear(I, H, Activation::None), transform = linear(H, H, Activation::Gelu);
  const Linear decoder = linear(H, s.vocab, Activation::None);
  const auto gamma = random_values(n(H, 1), rng), beta = random_values(n(H, 1), rng);
  const bertscope::LayerNormParams ln{gamma.data(), beta.data(), 1e-12f};
  auto x = random_values(n(rows, H), rng), residual = random_values(n(rows, H), rng);
  std::vector<float> qkv_out(n(rows, 3 * H)), context(n(rows, H)), attn(n(rows, H)), mid(n(rows, H));
  std::vector<float> ffn(n(rows, I)), head_in(n(s.batch, H)), logits(n(s.batch, s.vocab));
  for (auto& v : qkv_out) v = 0.01f;
  const std::vector<int> lengths(static_cast<size_t>(s.batch), s.seq);
  const bertscope::AttentionShape shape{s.batch, s.seq, s.seq, s.heads, H / s.heads, 3 * H, nullptr};

  // One block's stages in the order run_block calls them, then the head on one row per
  // sequence; GELU's cost is the FFN-in matmul with the fused GELU minus the one without.
  nlohmann::json stages = nlohmann::json::array();
  double block_total = 0.0;
  const auto stage = [&](const std::string& name, double flops, double seconds, bool per_block = true) {
    stages.push_back({{"stage", name}, {"seconds", seconds}, {"per_block", per_block},
                      {"gflops_per_s", flops > 0 ? flops / seconds / 1e9 : 0.0}});
    if (per_block) block_total += seconds;
  };
  const double r = rows;
  stage("QKV matmul [rows x H] x [H x 3H]", 2 * r * H * 3 * H,
        median_seconds(repeats, [&] { qkv.forward(x.data(), rows, qkv_out.data()); }));
  stage("attention (QK^T, softmax, PV)", 4.0 * r * s.seq * H, median_seconds(repeats, [&] {
          bertscope::self_attention(qkv_out.data(), qkv_out.data() + H, qkv_out.data() + 2 * H, lengths.data(), shape,
                                    context.data());
        }));
  stage("attention output matmul [H x H]", 2 * r * H * H,
        median_seconds(repeats, [&] { attn_out.forward(context.data(), rows, attn.data()); }));
  const double ln_seconds = median_seconds(
      repeats, [&] { bertscope::add_layer_norm(attn.data(), residual.data(), rows, H, ln, mid.data()); });
  stage("residual add + LayerNorm (x2 per block)", 0, 2 * ln_seconds);
  const double ffn_in_gelu = median_seconds(repeats, [&] { ffn_in.forward(mid.data(), rows, ffn.data()); });
  const double ffn_in_only = median_seconds(repeats, [&] { ffn_in_plain.forward(mid.data(), rows, ffn.data()); });
  stage("FFN-in matmul [H x 4H] (without GELU)", 2 * r * H * I, ffn_in_only);
  stage("GELU (fused into FFN-in: with minus without)", 0, std::max(0.0, ffn_in_gelu - ffn_in_only));
  stage("FFN-out matmul [4H x H]", 2 * r * I * H,
        median_seconds(repeats, [&] { ffn_out.forward(ffn.data(), rows, attn.data()); }));
  const double head = median_seconds(repeats, [&] {
    transform.forward(x.data(), s.batch, head_in.data());
    bertscope::add_layer_norm(head_in.data(), nullptr, s.batch, H, ln, head_in.data());
    decoder.forward(head_in.data(), s.batch, logits.data());
  });
  stage("MLM head, one row per sequence", 2.0 * s.batch * (H * H + static_cast<double>(H) * s.vocab), head, false);
  return {{"rows", rows}, {"layers", s.layers}, {"stages", stages}, {"block_seconds", block_total},
          {"forward_seconds_estimate", block_total * s.layers + head}};
}

nlohmann::json profile_attention_masks(const BlockShape& s, int window, int repeats) {
  std::mt19937 rng(1);
  const int H = s.hidden, rows = s.batch * s.seq;
  auto qkv = random_values(static_cast<size_t>(rows) * static_cast<size_t>(3 * H), rng);
  for (auto& v : qkv) v *= 20.0f;  // scores of a few units, as a trained model's
  std::vector<float> context(static_cast<size_t>(rows) * static_cast<size_t>(H));
  const std::vector<int> lengths(static_cast<size_t>(s.batch), s.seq);
  struct Mask {
    std::string name;
    bertscope::AttentionShape shape;
    std::vector<double> times, cpu_times;
  };
  std::vector<Mask> masks;
  const auto add = [&](const std::string& name, bool causal, int window_half) {
    bertscope::AttentionShape shape{s.batch, s.seq, s.seq, s.heads, H / s.heads, 3 * H, nullptr};
    shape.causal = causal;
    shape.window_half = window_half;
    masks.push_back({name, shape, {}, {}});
  };
  add("bidirectional", false, -1);
  add("causal", true, -1);
  add("window " + std::to_string(window), false, window / 2);
  add("causal + window " + std::to_string(window), true, window / 2);
  // Rounds of every mask in turn, so that a change of load on the machine falls on all of
  // them alike; the median round of each.
  const auto run = [&](const Mask& m) {
    bertscope::self_attention(qkv.data(), qkv.data() + H, qkv.data() + 2 * H, lengths.data(), m.shape, context.data());
  };
  for (const Mask& m : masks) run(m);  // warm-up
  // CPU time too: on a busy machine the wall time of a call includes the time its threads
  // waited for a core, the CPU time (all threads of the process) only the work and the
  // threads' spinning at barriers. With --threads 1 it is the kernel's work alone.
  const auto cpu_now = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  };
  for (int r = 0; r < repeats; ++r) {
    for (Mask& m : masks) {
      const auto start = Clock::now();
      const double cpu_start = cpu_now();
      run(m);
      m.cpu_times.push_back(cpu_now() - cpu_start);
      m.times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
  }
  nlohmann::json out = nlohmann::json::array();
  double bidirectional = 0.0, bidirectional_cpu = 0.0;
  for (Mask& m : masks) {
    std::sort(m.times.begin(), m.times.end());
    std::sort(m.cpu_times.begin(), m.cpu_times.end());
    const double seconds = m.times[m.times.size() / 2], cpu_seconds = m.cpu_times[m.cpu_times.size() / 2];
    if (bidirectional == 0.0) {
      bidirectional = seconds;
      bidirectional_cpu = cpu_seconds;
    }
    double pairs = 0.0;
    for (int i = 0; i < s.seq; ++i) {
      const bertscope::KeyRange keys = bertscope::visible_keys(m.shape, i, s.seq);
      pairs += keys.end - keys.begin;
    }
    out.push_back({{"mask", m.name}, {"seconds", seconds}, {"ratio_to_bidirectional", seconds / bidirectional},
                   {"cpu_seconds", cpu_seconds}, {"cpu_ratio_to_bidirectional", cpu_seconds / bidirectional_cpu},
                   {"pairs_kept", pairs / (static_cast<double>(s.seq) * s.seq)}});
  }
  return {{"batch", s.batch}, {"seq", s.seq}, {"heads", s.heads}, {"head_dim", H / s.heads}, {"masks", out}};
}

}  // namespace bertscope_bench
