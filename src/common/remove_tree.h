#pragma once
// Removing a folder and everything in it, safely from a signal handler: only openat,
// getdents64, unlinkat and close, no allocation, and no limit on how many entries or how
// deep. Symbolic links inside are removed, never followed.
namespace bertscope {

// Removes `path` (a file, or a folder with all it holds). Best effort: what cannot be
// removed stays. Async-signal-safe.
void remove_tree(const char* path) noexcept;

}  // namespace bertscope
