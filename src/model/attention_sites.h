#pragma once
// Self-attention with its per-head sites materialized (hook_site.h: q, k, v, scores,
// pattern, z, head_out). A block takes this path only when one of them is hooked, so the
// fast path (kernels/attention.h's fused self_attention) is unchanged for everything else.
#include "kernels/attention.h"
#include "kernels/linear.h"
#include "model/hooks.h"

namespace bertscope {

// q, k, v sites of block `layer` (views of the fused qkv rows, copied out and back so a
// hook's edit takes effect), then scores, pattern and z; writes `context` [batch * queries,
// hidden] as self_attention would, from whatever the hooks left.
void attention_with_sites(const Hooks& hooks, int layer, float* qkv, const int* lengths, const AttentionShape& shape,
                          float* context);

// attn.out when blocks.{layer}.attn.head_out is hooked: each head's term of the output
// projection ([rows, heads, hidden]: the projection of that head's slice of the context,
// without the bias), the hook, then the sum over heads plus the bias into `attn` [rows, hidden]
// when the hook edited them (else the usual projection of the context, so reading changes nothing).
void attention_output_by_head(const Hooks& hooks, int layer, const Linear& output, const float* context, int batch,
                              int queries, int heads, int head_dim, float* attn);

}  // namespace bertscope
