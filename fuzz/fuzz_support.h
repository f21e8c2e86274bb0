#pragma once
// What every fuzz target shares: a private scratch folder for the files made from the
// input (the parsers under test read files, as bertscope does), and the contract a parser
// keeps on hostile input. It may refuse the input with bertscope::Error, whose message names
// the file it read; any other exception escapes LLVMFuzzerTestOneInput and aborts the run,
// as do crashes, sanitizer reports, timeouts and oversized allocations (fuzz/run.sh).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace bertscope::fuzz {

// A folder of this process only, in RAM when /dev/shm exists (a fuzz run writes the input
// to a file a few thousand times a second), removed at exit.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string pattern = (base / "bertscope-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      std::perror("bertscope fuzz: mkdtemp");
      std::abort();
    }
    static std::string for_atexit = pattern;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(for_atexit, ignored);
    });
    return pattern;
  }();
  return dir;
}

inline std::string scratch_path(const std::string& name) { return scratch_dir() + "/" + name; }

// Writes the input bytes to `path`, replacing it. Aborts on failure: that is the harness's
// problem, not a finding of the parser.
inline void write_input(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(("bertscope fuzz: cannot write " + path).c_str());
    std::abort();
  }
}

[[noreturn]] inline void violation(const std::string& what) {
  std::fprintf(stderr, "bertscope fuzz: contract violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// An expected refusal must say which file it is about: its message starts with `origin`.
inline void check_refusal(const Error& e, std::string_view origin) {
  const std::string_view message = e.what();
  if (message.substr(0, origin.size()) != origin) {
    violation("error message does not start with \"" + std::string(origin) + "\": " + std::string(message));
  }
  if (message.size() == origin.size()) violation("error message names the file but no problem");
}

inline void expect(bool condition, const std::string& what) {
  if (!condition) violation(what);
}

}  // namespace bertscope::fuzz
