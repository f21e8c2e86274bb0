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
  // [batch * queries]: sequence b's query rows are at positions query_positions[b * queries ...];
  // null: 0..seq-1 for every sequence.
  const int* query_positions = nullptr;
  int hidden() const { return heads * head_dim; }
};

// q, k, v: [batch * seq] rows of `stride` floats, each row's first `hidden` used;
// context: [batch * queries, hidden], for the query positions chosen. `lengths[b]` is the
// number of real tokens of sequence b; keys at positions >= lengths[b] are padding and get
// weight 0 (HF BERT adds -10000 to their scores, whose exp is 0 in float32 too): they are left
// out of the softmax and of P V, so a row's numbers do not depend on the padding of its batch.
void self_attention(const float* q, const float* k, const float* v, const int* lengths,
                    const AttentionShape& shape, float* context);

// The same attention in three steps with its intermediates in memory, for hooks that read
// or edit them (model/attention_sites.h). Each step does the arithmetic of self_attention in
// the same order, so an unedited pass gives the same numbers.
// scores: [batch, heads, queries, seq], q k^T / sqrt(head_dim) plus the padding mask.
void attention_scores(const float* q, const float* k, const int* lengths, const AttentionShape& shape, float* scores);
// Softmax over the real keys of each row of `scores` ([batch, heads, queries, seq]), in
// place: scores -> pattern; the padded keys' weights are set to 0.
void attention_softmax(float* scores, const int* lengths, const AttentionShape& shape);
// context: [batch * queries, hidden], each head's pattern rows times its values (real keys).
void attention_mix(const float* pattern, const float* v, const int* lengths, const AttentionShape& shape, float* context);

}  // namespace bertscope
