#include "common/disk_space.h"

#include <sys/statvfs.h>

#include "common/error.h"
#include "common/memory_limit.h"

namespace bertscope {

std::uint64_t free_disk_bytes(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return UINT64_MAX;
  return static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize);
}

void check_disk_space(const std::string& path, const std::string& shown, std::uint64_t bytes, const std::string& what) {
  const std::uint64_t free = free_disk_bytes(path);
  if (bytes <= free) return;
  throw Error(what + " will write about " + format_bytes(bytes) + " to disk, and the file system of " + shown +
              " has only " + format_bytes(free) + " free; free some space, write elsewhere (--out) or make the run smaller");
}

}  // namespace bertscope
