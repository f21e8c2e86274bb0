#include "strict_numbers.h"

#include <charconv>
#include <cmath>
#include <string>

namespace bertscope::cli {

namespace {

bool all_digits(const std::string& text, size_t from) {
  if (from >= text.size()) return false;
  for (size_t i = from; i < text.size(); ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  return true;
}

template <typename T>
bool parse_whole(const std::string& text, T& value) {
  const size_t start = !text.empty() && text[0] == '-' ? 1 : 0;
  if (!all_digits(text, start)) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

CLI::Validator whole_number(std::int64_t low, std::int64_t high) {
  const std::string range = std::to_string(low) + " to " + std::to_string(high);
  return CLI::Validator(
      [low, high, range](std::string& text) -> std::string {
        std::int64_t value = 0;
        if (!parse_whole(text, value) || value < low || value > high) {
          return "'" + text + "' is not a whole number from " + range;
        }
        return "";
      },
      "INT in [" + std::to_string(low) + " - " + std::to_string(high) + "]");
}

CLI::Validator unsigned_64() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t value = 0;
        if (text.empty() || text[0] == '-' || !parse_whole(text, value)) {
          return "'" + text + "' is not a whole number from 0 to 18446744073709551615";
        }
        return "";
      },
      "");  // the option's type already reads UINT
}

CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
          return "'" + text + "' is not a finite decimal number";
        }
        return "";
      },
      "NUMBER");
}

}  // namespace bertscope::cli
