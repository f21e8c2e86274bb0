#include "reports/output_size.h"

namespace bertscope {

namespace {

constexpr std::uint64_t kRecord = 120, kRecordPerTop = 22;
constexpr std::uint64_t kResult = 850, kResultPerTop = 120;
constexpr std::uint64_t kPerPrompt = 300000;

// a * b, saturating: a run of 10^7 trials x 10^4 prompts must not wrap to a small estimate.
std::uint64_t times(std::uint64_t a, std::uint64_t b) { return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b; }
std::uint64_t plus(std::uint64_t a, std::uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

}  // namespace

std::uint64_t record_bytes(std::uint64_t trials, int top_k) {
  return times(trials, kRecord + kRecordPerTop * static_cast<std::uint64_t>(top_k > 0 ? top_k : 0));
}

std::uint64_t result_file_bytes(std::uint64_t trials, int top_k, std::uint64_t prompts) {
  return plus(times(trials, kResult + kResultPerTop * static_cast<std::uint64_t>(top_k > 0 ? top_k : 0)),
              times(prompts, kPerPrompt));
}

}  // namespace bertscope
