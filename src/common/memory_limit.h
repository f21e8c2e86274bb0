#pragma once
// How much more memory this process may use, from the real limits: the cgroup's
// memory.max (containers, systemd units), ulimit -v (RLIMIT_AS) and the machine's
// MemAvailable. A run whose estimate exceeds it is refused before it starts, with both
// numbers, instead of ending after seconds of work in std::bad_alloc.
#include <cstdint>
#include <string>

namespace bertscope {

struct MemoryLimit {
  std::uint64_t bytes = UINT64_MAX;  // UINT64_MAX when nothing could be read
  std::string source;                // what set it, for the message
};

// The smallest of the limits that apply now (each minus what is already used under it).
MemoryLimit available_memory();

// "1.5 GB", "320 MB": sizes for messages.
std::string format_bytes(std::uint64_t bytes);

// Throws Error when `estimate` bytes exceed available_memory(): "<what> needs about X of
// memory, more than the Y available (<source>); <advice>".
void check_memory(std::uint64_t estimate, const std::string& what, const std::string& advice);

}  // namespace bertscope
