#pragma once
// The embedding layer's gather: each token's row of the word table, plus its rows of the
// position and token-type tables.
#include <span>

namespace bertscope {

// One table, [table_rows, width] row-major, and for each output row the index of the row it
// takes from it (ids[r] in [0, table_rows); the caller checks them).
struct EmbeddingLookup {
  const float* table = nullptr;
  const int* ids = nullptr;
};

// out[r] = sum of lookups[t].table[lookups[t].ids[r]] over t, added in float32 in the order
// given (float addition does not associate: HF BERT's order is word + token_type, then
// + position; GPT-2's word + position). One lookup copies. Parallel over rows.
void gather_rows(std::span<const EmbeddingLookup> lookups, int rows, int width, float* out);

}  // namespace bertscope
