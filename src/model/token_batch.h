#pragma once
// Token ids of one or more sequences, right-padded to one length, as the forward pass takes them.
#include <vector>

namespace bertscope {

struct TokenBatch {
  int batch = 0;
  int seq = 0;
  std::vector<int> ids;      // [batch * seq], padding positions hold pad_id
  std::vector<int> lengths;  // real tokens of each sequence (the attention mask)

  static TokenBatch single(const std::vector<int>& ids);
  static TokenBatch padded(const std::vector<std::vector<int>>& sequences, int pad_id);
};

}  // namespace bertscope
