#include "runs/shard_choice.h"

#include <charconv>
#include <string_view>

#include "reports/shard_manifest.h"

namespace bertscope {

namespace {

bool parse_count(std::string_view text, int& value) {
  if (text.empty() || text.size() > 7) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return std::from_chars(text.data(), text.data() + text.size(), value).ec == std::errc();
}

}  // namespace

std::optional<ShardChoice> parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  ShardChoice choice;
  if (!parse_count(std::string_view(text).substr(0, slash), choice.k) ||
      !parse_count(std::string_view(text).substr(slash + 1), choice.n)) {
    return std::nullopt;
  }
  if (choice.n < 1 || choice.n > kMaxShards || choice.k >= choice.n) return std::nullopt;
  return choice;
}

std::string shard_problem(const std::string& text) {
  return "'" + text + "' is not K/N with 0 <= K < N <= " + std::to_string(kMaxShards) +
         " (shards are numbered from 0, as $SLURM_ARRAY_TASK_ID: 0/4 to 3/4)";
}

std::string shard_folder(const std::string& run_out, const ShardChoice& shard) {
  std::string base = run_out;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + ".shard-" + std::to_string(shard.k) + "-of-" + std::to_string(shard.n);
}

}  // namespace bertscope
