#pragma once
// Atomic file output: write to "<path>.tmp-<pid>" in the same folder, fsync, rename over
// <path>. A crash, error or Ctrl-C never leaves a half-written <path>; the temporary is
// removed on failure (and by a SIGINT handler the CLI installs, see remove_pending_files()).
#include <string>
#include <string_view>

namespace bertscope {

// Writes `contents` to `path` atomically. Throws Error naming the path on failure.
void write_file_atomic(const std::string& path, std::string_view contents);

// Removes every temporary file that is being written right now. Async-signal-safe
// enough for a SIGINT handler (only unlink on a fixed table of paths).
void remove_pending_files();

}  // namespace bertscope
