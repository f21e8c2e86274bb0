#pragma once
// Hooks: functions called at named sites during the forward pass, with a mutable view of
// the activations there. A hook may read them (caching, statistics) or overwrite them
// (interventions); the forward pass continues from whatever the hook leaves.
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "model/hook_site.h"

namespace bertscope {

// A contiguous, row-major view of one site's activations: `batch` x `seq` rows of `width`
// floats. Most sites are [batch, seq, width] (tokens x features). The per-head sites split
// them further, and `dims` gives their full shape, batch first:
//   q, k, v, z     [batch, seq, heads, head_dim]  (seq rows of heads x head_dim)
//   scores, pattern [batch, heads, seq_q, seq_k]  (heads x seq_q rows of seq_k)
//   head_out       [batch, seq, heads, hidden]    (seq rows of heads x hidden)
struct ActivationView {
  float* data = nullptr;
  int batch = 0;
  int seq = 0;
  int width = 0;
  std::array<int, 4> dims{};  // the full shape when rank == 4
  int rank = 0;               // 0: the shape is [batch, seq, width]

  float* row(int b, int s) const {
    return data + (static_cast<size_t>(b) * static_cast<size_t>(seq) + static_cast<size_t>(s)) *
                      static_cast<size_t>(width);
  }
  size_t size() const { return static_cast<size_t>(batch) * static_cast<size_t>(seq) * static_cast<size_t>(width); }
  std::vector<int64_t> shape() const {
    if (rank == 0) return {batch, seq, width};
    return std::vector<int64_t>(dims.begin(), dims.begin() + rank);
  }
  // Strides in floats of each dimension of shape(): the view is contiguous.
  std::vector<int64_t> strides() const {
    std::vector<int64_t> out(shape().size(), 1);
    const std::vector<int64_t> s = shape();
    for (size_t i = s.size() - 1; i > 0; --i) out[i - 1] = out[i] * s[i];
    return out;
  }
};

using HookFn = std::function<void(const HookSite&, ActivationView)>;

class Hooks {
 public:
  void add(HookSite site, HookFn fn) { entries_.push_back({site, std::move(fn)}); }
  // Runs every hook registered at `site`, in the order added.
  void run(const HookSite& site, ActivationView view) const {
    for (const auto& entry : entries_) {
      if (entry.site == site) entry.fn(site, view);
    }
  }
  bool empty() const { return entries_.empty(); }
  // Whether a hook is registered at `site`.
  bool has(const HookSite& site) const {
    for (const auto& entry : entries_) {
      if (entry.site == site) return true;
    }
    return false;
  }
  // Whether a hook is registered at a site of block `layer` whose kind satisfies `pick`.
  bool any_in_block(int layer, bool (*pick)(SiteKind)) const {
    for (const auto& entry : entries_) {
      if (entry.site.layer == layer && pick(entry.site.kind)) return true;
    }
    return false;
  }
  // Every site with a hook, in the order added (repeated when it has several).
  std::vector<HookSite> sites() const {
    std::vector<HookSite> out;
    for (const auto& entry : entries_) out.push_back(entry.site);
    return out;
  }

 private:
  struct Entry {
    HookSite site;
    HookFn fn;
  };
  std::vector<Entry> entries_;
};

}  // namespace bertscope
