#pragma once
// A checksum of large blocks of bytes, at memory speed: the packed-weights cache checks
// each tensor with it the first time a process uses it. Sixteen lanes of Fletcher sums
// (a += word; b += a) catch any changed byte and most reorderings; it detects damage (a
// truncated copy, a flipped bit, a file edited by hand), not forgeries.
#include <cstddef>
#include <cstdint>

namespace bertscope {

uint64_t block_checksum(const std::byte* data, size_t size);

}  // namespace bertscope
