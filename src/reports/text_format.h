#pragma once
// printf-style formatting into a std::string, for the fixed-width columns of the terminal
// and HTML tables (std::format is not in GCC 12's library).
#include <cstdarg>
#include <cstdio>
#include <string>

namespace bertscope {

std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));

}  // namespace bertscope
