#include "common/memory_limit.h"

#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace bertscope {

namespace {

// "Key:   123 kB" from /proc/self/status or /proc/meminfo, in bytes; 0 when absent.
std::uint64_t proc_kb_field(const char* file, const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    std::uint64_t kb = 0;
    fields >> kb;
    return kb * 1024;
  }
  return 0;
}

// The first line of a cgroup file as a number; 0 when absent or "max".
std::uint64_t cgroup_number(const std::string& file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text == "max") return 0;
  try {
    return std::stoull(text);
  } catch (...) {
    return 0;
  }
}

// The cgroup v2 folder of this process ("0::/user.slice/..." in /proc/self/cgroup).
std::string cgroup_folder() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
  }
  return "";
}

void lower(MemoryLimit& limit, std::uint64_t bytes, const std::string& source) {
  if (bytes < limit.bytes) limit = {bytes, source};
}

}  // namespace

MemoryLimit available_memory() {
  MemoryLimit limit;
  if (const std::uint64_t available = proc_kb_field("/proc/meminfo", "MemAvailable"); available > 0) {
    lower(limit, available, "MemAvailable in /proc/meminfo");
  }
  // The cgroup and every cgroup above it: the tightest memory.max counts.
  for (std::string folder = cgroup_folder(); folder.size() > std::string("/sys/fs/cgroup").size();
       folder = folder.substr(0, folder.rfind('/'))) {
    const std::uint64_t max = cgroup_number(folder + "/memory.max");
    if (max == 0) continue;
    const std::uint64_t used = cgroup_number(folder + "/memory.current");
    lower(limit, max > used ? max - used : 0, "memory.max of the cgroup " + folder.substr(14));
  }
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    const std::uint64_t used = proc_kb_field("/proc/self/status", "VmSize");
    lower(limit, rl.rlim_cur > used ? rl.rlim_cur - used : 0, "ulimit -v (RLIMIT_AS)");
  }
  return limit;
}

std::string format_bytes(std::uint64_t bytes) {
  char buffer[32];
  const double b = static_cast<double>(bytes);
  if (b >= 1e12) std::snprintf(buffer, sizeof buffer, "%.1f TB", b / 1e12);
  else if (b >= 1e9) std::snprintf(buffer, sizeof buffer, "%.1f GB", b / 1e9);
  else std::snprintf(buffer, sizeof buffer, "%.0f MB", b / 1e6);
  return buffer;
}

void check_memory(std::uint64_t estimate, const std::string& what, const std::string& advice) {
  const MemoryLimit limit = available_memory();
  if (estimate <= limit.bytes) return;
  throw Error(what + " needs about " + format_bytes(estimate) + " of memory, more than the " + format_bytes(limit.bytes) +
              " available (" + limit.source + "); " + advice);
}

}  // namespace bertscope
