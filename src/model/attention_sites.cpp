#include "model/attention_sites.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace bertscope {

namespace {

ActivationView four_d(float* data, int d0, int d1, int d2, int d3, int rows_per_batch) {
  ActivationView view{data, d0, rows_per_batch, static_cast<int>(static_cast<long long>(d1) * d2 * d3 / rows_per_batch)};
  view.dims = {d0, d1, d2, d3};
  view.rank = 4;
  return view;
}

// Runs the hooks at q, k or v: the `part`-th third of each fused qkv row, copied into a
// contiguous [batch, seq, heads, head_dim] buffer and back.
void hook_projection(const Hooks& hooks, const HookSite& site, float* qkv, int part, const AttentionShape& shape) {
  if (!hooks.has(site)) return;
  const size_t rows = static_cast<size_t>(shape.batch) * static_cast<size_t>(shape.seq);
  const auto hidden = static_cast<size_t>(shape.hidden());
  std::vector<float> buffer(rows * hidden);
  for (size_t r = 0; r < rows; ++r) {
    const float* from = qkv + r * static_cast<size_t>(shape.stride) + static_cast<size_t>(part) * hidden;
    std::copy_n(from, hidden, buffer.data() + r * hidden);
  }
  hooks.run(site, four_d(buffer.data(), shape.batch, shape.seq, shape.heads, shape.head_dim, shape.seq));
  for (size_t r = 0; r < rows; ++r) {
    float* to = qkv + r * static_cast<size_t>(shape.stride) + static_cast<size_t>(part) * hidden;
    std::copy_n(buffer.data() + r * hidden, hidden, to);
  }
}

}  // namespace

void attention_with_sites(const Hooks& hooks, int layer, float* qkv, const int* lengths, const AttentionShape& shape,
                          float* context) {
  const int hidden = shape.hidden();
  hook_projection(hooks, HookSite::block(SiteKind::AttnQ, layer), qkv, 0, shape);
  hook_projection(hooks, HookSite::block(SiteKind::AttnK, layer), qkv, 1, shape);
  hook_projection(hooks, HookSite::block(SiteKind::AttnV, layer), qkv, 2, shape);

  const long long rows = static_cast<long long>(shape.batch) * shape.heads * shape.queries;
  std::vector<float> scores(static_cast<size_t>(rows) * static_cast<size_t>(shape.seq));
  attention_scores(qkv, qkv + hidden, lengths, shape, scores.data());
  const ActivationView grid = four_d(scores.data(), shape.batch, shape.heads, shape.queries, shape.seq,
                                     shape.heads * shape.queries);
  hooks.run(HookSite::block(SiteKind::AttnScores, layer), grid);
  attention_softmax(scores.data(), lengths, shape);
  hooks.run(HookSite::block(SiteKind::AttnPattern, layer), grid);
  attention_mix(scores.data(), qkv + 2 * hidden, lengths, shape, context);
  hooks.run(HookSite::block(SiteKind::AttnZ, layer),
            four_d(context, shape.batch, shape.queries, shape.heads, shape.head_dim, shape.queries));
}

void attention_output_by_head(const Hooks& hooks, int layer, const Linear& output, const float* context, int batch,
                              int queries, int heads, int head_dim, float* attn) {
  const auto hidden = static_cast<size_t>(heads) * static_cast<size_t>(head_dim);
  const size_t rows = static_cast<size_t>(batch) * static_cast<size_t>(queries);
  const size_t terms = rows * static_cast<size_t>(heads);
  // Row (r, h) holds head h's slice of context row r and zeros elsewhere; one more zero row
  // gives the bias alone. One matmul projects them all.
  std::vector<float> sliced((terms + 1) * hidden, 0.0f);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t h = 0; h < static_cast<size_t>(heads); ++h) {
      const size_t col0 = h * static_cast<size_t>(head_dim);
      std::copy_n(context + r * hidden + col0, head_dim, sliced.data() + (r * static_cast<size_t>(heads) + h) * hidden + col0);
    }
  }
  std::vector<float> projected((terms + 1) * hidden);
  output.forward(sliced.data(), static_cast<int>(terms + 1), projected.data());
  const float* bias = projected.data() + terms * hidden;
  for (size_t t = 0; t < terms; ++t) {
    for (size_t i = 0; i < hidden; ++i) projected[t * hidden + i] -= bias[i];
  }
  const std::vector<float> before(projected.begin(), projected.begin() + static_cast<std::ptrdiff_t>(terms * hidden));
  hooks.run(HookSite::block(SiteKind::AttnHeadOut, layer),
            four_d(projected.data(), batch, queries, heads, static_cast<int>(hidden), queries));
  // A row whose terms a hook only read stays as it was without the hook: the output
  // projection as one matmul, bit for bit. Rows with edited terms are their terms summed.
  // Decided row by row, so that a row's numbers do not depend on whether another row of
  // its batch was edited (a trial gives the same bits in any batch).
  output.forward(context, static_cast<int>(rows), attn);
  const size_t row_terms = static_cast<size_t>(heads) * hidden;
  for (size_t r = 0; r < rows; ++r) {
    const auto first = static_cast<std::ptrdiff_t>(r * row_terms), last = first + static_cast<std::ptrdiff_t>(row_terms);
    if (std::equal(before.begin() + first, before.begin() + last, projected.begin() + first)) continue;
    float* out = attn + r * hidden;
    std::copy_n(bias, hidden, out);
    for (size_t h = 0; h < static_cast<size_t>(heads); ++h) {
      const float* term = projected.data() + (r * static_cast<size_t>(heads) + h) * hidden;
      for (size_t i = 0; i < hidden; ++i) out[i] += term[i];
    }
  }
}

}  // namespace bertscope
