#pragma once
// Multi-head scaled dot-product attention of BERT's self-attention, on Q, K, V already
// projected: context = softmax(Q K^T / sqrt(d) + mask) V per head, heads concatenated.

namespace bertscope {

struct AttentionShape {
  int batch = 0;
  int seq = 0;      // key/value positions per sequence
  int queries = 0;  // query rows per sequence: seq, or fewer when only some outputs are read
  int heads = 0;
  int head_dim = 0;
  int stride = 0;   // floats from one row of q, k, v to the next (hidden, or 3 x hidden when fused)
  const int* query_positions = nullptr;  // [queries] positions of the query rows; null: 0..seq-1
  int hidden() const { return heads * head_dim; }
};

// q, k, v: [batch * seq] rows of `stride` floats, each row's first `hidden` used;
// context: [batch * queries, hidden], for the query positions chosen. `lengths[b]` is the
// number of real tokens of sequence b; keys at positions >= lengths[b] are padding and
// get the additive mask -10000 that HF BERT uses (so padded rows equal HF's too).
void self_attention(const float* q, const float* k, const float* v, const int* lengths,
                    const AttentionShape& shape, float* context);

// The same attention in three steps with its intermediates in memory, for hooks that read
// or edit them (model/attention_sites.h). Each step does the arithmetic of self_attention in
// the same order, so an unedited pass gives the same numbers.
// scores: [batch, heads, queries, seq], q k^T / sqrt(head_dim) plus the padding mask.
void attention_scores(const float* q, const float* k, const int* lengths, const AttentionShape& shape, float* scores);
// Softmax of each row of `seq` floats, in place: scores -> pattern.
void softmax_rows(float* rows_data, long long rows, int seq);
// context: [batch * queries, hidden], each head's pattern rows times its values.
void attention_mix(const float* pattern, const float* v, const AttentionShape& shape, float* context);

}  // namespace bertscope
