#pragma once
// Whole-file reading for the small text files bertscope takes from the internet or the user
// (config.json, tokenizer_config.json, model.safetensors.index.json, experiment specs).
// Real ones are kilobytes; a cap keeps a wrong or hostile path (a 10 GB file, /dev/zero,
// a FIFO) from making us read without end or allocate without bound.
#include <cstdint>
#include <string>

namespace bertscope {

// The contents of `path`. Throws Error naming the path when it cannot be opened, is a
// folder or other non-regular file, or holds more than `max_bytes` bytes.
std::string read_small_file(const std::string& path, std::uintmax_t max_bytes);

}  // namespace bertscope
