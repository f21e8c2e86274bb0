#pragma once
// Hooks: functions called at named sites during the forward pass, with a mutable view of
// the activations there. A hook may read them (caching, statistics) or overwrite them
// (interventions); the forward pass continues from whatever the hook leaves.
#include <functional>
#include <vector>

#include "model/hook_site.h"

namespace bertscope {

// [batch, seq, width] row-major view of one site's activations.
struct ActivationView {
  float* data = nullptr;
  int batch = 0;
  int seq = 0;
  int width = 0;
  float* row(int b, int s) const {
    return data + (static_cast<size_t>(b) * static_cast<size_t>(seq) + static_cast<size_t>(s)) *
                      static_cast<size_t>(width);
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
