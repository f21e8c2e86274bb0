#include "common/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/io_claims.h"

namespace bertscope {

int open_regular_file(const std::string& path, struct stat& st) {
  claim_input(path);  // an output of this command may not replace it (common/io_claims.h)
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot read: " + std::strerror(errno));
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool fifo = S_ISFIFO(st.st_mode), device = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
    ::close(fd);
    throw Error(path + ": cannot read: not a regular file" +
                std::string(fifo ? " (a FIFO)" : device ? " (a device)" : S_ISDIR(st.st_mode) ? " (a folder)" : ""));
  }
  // Back to blocking reads: for a regular file the flag changes nothing, but be plain.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

std::string read_small_file(const std::string& path, std::uintmax_t max_bytes) {
  struct stat st {};
  const int fd = open_regular_file(path, st);
  const std::string limit = std::to_string(max_bytes);
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw Error(path + ": file is " + std::to_string(st.st_size) + " bytes, over the limit of " + limit +
                " bytes for this kind of file");
  }
  // Read until end of file rather than trusting st_size: files in /proc report 0, and a file
  // may grow while we read it. One byte past the limit is enough to know it is too large.
  std::string data;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw Error(path + ": cannot read: " + std::strerror(err));
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (data.size() > max_bytes) {
      ::close(fd);
      throw Error(path + ": file holds more than " + limit + " bytes, the limit for this kind of file");
    }
  }
  ::close(fd);
  return data;
}

}  // namespace bertscope
