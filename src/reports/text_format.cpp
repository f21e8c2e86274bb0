#include "reports/text_format.h"

#include <vector>

namespace bertscope {

std::string format(const char* pattern, ...) {
  va_list args, again;
  va_start(args, pattern);
  va_copy(again, args);
  const int size = std::vsnprintf(nullptr, 0, pattern, args);
  va_end(args);
  std::vector<char> buffer(static_cast<size_t>(size > 0 ? size : 0) + 1);
  std::vsnprintf(buffer.data(), buffer.size(), pattern, again);
  va_end(again);
  return buffer.data();
}

}  // namespace bertscope
