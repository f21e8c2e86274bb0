#pragma once
// A checksum of large blocks of bytes, at memory speed: the packed-weights cache checks
// each tensor with it the first time a process uses it. Sixteen lanes of Fletcher sums
// (a += word; b += a) catch any changed byte and most reorderings; it detects damage (a
// truncated copy, a flipped bit, a file edited by hand), not forgeries.
#include <cstddef>
#include <cstdint>

namespace bertscope {

uint64_t block_checksum(const std::byte* data, size_t size);

// The checksum of a tensor: block_checksum of each 1 MiB piece, combined in order. The
// pieces are checked on all OpenMP threads at once, so that checking a gigabyte of weights
// runs at the machine's memory bandwidth, not one core's.
uint64_t tensor_checksum(const std::byte* data, size_t size);
// tensor_checksum in two steps, for checking many tensors in one parallel pass: the block
// checksums of its kChecksumPiece-byte pieces, then their combination.
constexpr size_t kChecksumPiece = size_t{1} << 20;
uint64_t combine_piece_checksums(size_t size, const uint64_t* piece_sums, size_t pieces);

}  // namespace bertscope
