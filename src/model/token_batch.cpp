#include "model/token_batch.h"

#include <algorithm>
#include <cstddef>

namespace bertscope {

TokenBatch TokenBatch::single(const std::vector<int>& ids) { return padded({ids}, 0); }

TokenBatch TokenBatch::padded(const std::vector<std::vector<int>>& sequences, int pad_id) {
  TokenBatch batch;
  batch.batch = static_cast<int>(sequences.size());
  for (const auto& s : sequences) batch.seq = std::max(batch.seq, static_cast<int>(s.size()));
  batch.ids.assign(static_cast<size_t>(batch.batch) * static_cast<size_t>(batch.seq), pad_id);
  for (size_t b = 0; b < sequences.size(); ++b) {
    std::copy(sequences[b].begin(), sequences[b].end(), batch.ids.begin() + static_cast<std::ptrdiff_t>(b * static_cast<size_t>(batch.seq)));
    batch.lengths.push_back(static_cast<int>(sequences[b].size()));
  }
  return batch;
}

}  // namespace bertscope
