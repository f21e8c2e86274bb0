#pragma once
// Whole-file reading for the small text files bertscope takes from the internet or the user
// (config.json, tokenizer_config.json, model.safetensors.index.json, experiment specs).
// Real ones are kilobytes; a cap keeps a wrong or hostile path (a 10 GB file, /dev/zero,
// a FIFO) from making us read without end or allocate without bound.
#include <cstdint>
#include <sys/stat.h>

#include <string>

namespace bertscope {

// Opens `path` for reading and returns the descriptor, with its stat in `st`. It opens
// non-blocking and checks the type with fstat before any read: opening a FIFO for reading
// blocks until a writer comes (forever, for a FIFO named model.safetensors), and a device
// reads without end. Throws Error "<path>: cannot read: ..." when it cannot be opened or
// is not a regular file. Claims `path` as an input of the running command (common/io_claims.h).
int open_regular_file(const std::string& path, struct stat& st);

// The contents of `path`. Throws Error naming the path when it cannot be opened, is a
// folder or other non-regular file, or holds more than `max_bytes` bytes.
std::string read_small_file(const std::string& path, std::uintmax_t max_bytes);

}  // namespace bertscope
