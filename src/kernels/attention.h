#pragma once
// Multi-head scaled dot-product attention on Q, K, V already projected:
// context = softmax(Q K^T / sqrt(d) + mask) V per head, heads concatenated. The mask is the
// padding of each sequence (BERT), optionally with a causal one (GPT-2) and/or a sliding
// window (ModernBERT's local layers).

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
  // Key j is visible from the query at position i only if j <= i (GPT-2's causal mask).
  bool causal = false;
  // >= 0: key j is visible from the query at position i only if |i - j| <= window_half
  // (ModernBERT's local layers: config.local_attention / 2); -1: no window.
  int window_half = -1;
  int hidden() const { return heads * head_dim; }
};

// The keys [begin, end) that the query at `position` of a sequence of `length` real tokens
// attends to: the causal and window masks intersected with the real keys [0, length). The
// kernels compute scores, weights and P V for these keys only: what the masks exclude is
// skipped, not computed and zeroed. Empty (begin == end) only for a padded query row
// (position >= length) whose window reaches no real key; that row's context is 0.
struct KeyRange {
  int begin = 0, end = 0;
};
KeyRange visible_keys(const AttentionShape& shape, int position, int length);

// q, k, v: [batch * seq] rows of `stride` floats, each row's first `hidden` used;
// context: [batch * queries, hidden], for the query positions chosen. `lengths[b]` is the
// number of real tokens of sequence b (>= 1); keys at positions >= lengths[b] are padding
// and get weight 0 (HF BERT adds -10000 to their scores, whose exp is 0 in float32 too):
// they are left out of the softmax and of P V, so a row's numbers do not depend on the
// padding of its batch. Keys the causal or window mask excludes are left out likewise.
void self_attention(const float* q, const float* k, const float* v, const int* lengths,
                    const AttentionShape& shape, float* context);

// The same attention in three steps with its intermediates in memory, for hooks that read
// or edit them (model/attention_sites.h). Each step does the arithmetic of self_attention in
// the same order, so an unedited pass gives the same numbers.
// scores: [batch, heads, queries, seq]: q k^T / sqrt(head_dim) for the keys the causal and
// window masks let through, plus HF BERT's -10000 for the padded ones among them; keys those
// masks exclude are not computed and hold the lowest float (-3.40282e38, torch.finfo(float32)
// .min, what HF's GPT-2 and ModernBERT put or add there).
void attention_scores(const float* q, const float* k, const int* lengths, const AttentionShape& shape, float* scores);
// Softmax over each row's visible keys (visible_keys) of `scores` ([batch, heads, queries,
// seq]), in place: scores -> pattern; the other keys' weights are set to 0.
void attention_softmax(float* scores, const int* lengths, const AttentionShape& shape);
// context: [batch * queries, hidden], each head's pattern rows times its values, over each
// row's visible keys only (weights a hook wrote elsewhere are ignored).
void attention_mix(const float* pattern, const float* v, const int* lengths, const AttentionShape& shape, float* context);

}  // namespace bertscope
