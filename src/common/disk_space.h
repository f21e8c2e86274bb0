#pragma once
// Since results stream to disk, memory no longer bounds a run: the disk does. Every command
// that writes estimates its bytes first and asks here, so that a run that cannot fit is
// refused before work, with both numbers, and not when the file system fills an hour in.
#include <cstdint>
#include <string>

namespace bertscope {

// The bytes an unprivileged writer may still use on the file system holding `path` (an
// existing file or folder); UINT64_MAX when it cannot be told.
std::uint64_t free_disk_bytes(const std::string& path);

// Throws Error "<what> will write about X, and the file system of <shown> has only Y free;
// free some space or write elsewhere" when `bytes` exceed free_disk_bytes(path).
void check_disk_space(const std::string& path, const std::string& shown, std::uint64_t bytes, const std::string& what);

}  // namespace bertscope
