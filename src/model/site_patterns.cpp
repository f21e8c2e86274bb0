#include "model/site_patterns.h"

#include <fnmatch.h>

#include <algorithm>
#include <sstream>

#include "common/error.h"

namespace bertscope {

namespace {

// "embed.out, blocks.{L}.attn.q, ...": every row of the engine's table.
std::string site_list() {
  std::string list;
  for (const HookSiteDoc& doc : hook_site_docs()) list += (list.empty() ? "" : ", ") + std::string(doc.pattern);
  return list;
}

std::vector<std::string> parts_of(const std::string& name) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (size_t dot = name.find('.'); dot != std::string::npos; begin = dot + 1, dot = name.find('.', begin)) {
    parts.push_back(name.substr(begin, dot - begin));
  }
  parts.push_back(name.substr(begin));
  return parts;
}

// Whether site name parts [n, end) match pattern parts [p, end): fnmatch within a part, and
// "**" for any number of parts (none included).
bool matches(const std::vector<std::string>& pattern, size_t p, const std::vector<std::string>& name, size_t n) {
  if (p == pattern.size()) return n == name.size();
  if (pattern[p] == "**") {
    for (size_t skip = n; skip <= name.size(); ++skip) {
      if (matches(pattern, p + 1, name, skip)) return true;
    }
    return false;
  }
  return n < name.size() && fnmatch(pattern[p].c_str(), name[n].c_str(), 0) == 0 && matches(pattern, p + 1, name, n + 1);
}

std::string blocks_of(const Encoder& model) {
  return std::to_string(model.layers()) + " blocks (blocks.0 to blocks." + std::to_string(model.layers() - 1) + ")";
}

}  // namespace

std::vector<HookSite> resolve_sites(const Encoder& model, const std::vector<std::string>& patterns) {
  const std::vector<HookSite> all = HookSite::all(model.layers());
  std::vector<bool> chosen(all.size(), false);
  for (const std::string& pattern : patterns) {
    if (pattern.find_first_of("*?[") != std::string::npos) {
      const std::vector<std::string> pattern_parts = parts_of(pattern);
      bool matched = false;
      for (size_t i = 0; i < all.size(); ++i) {
        if (matches(pattern_parts, 0, parts_of(all[i].name()), 0)) chosen[i] = matched = true;
      }
      if (!matched) throw Error("hook site pattern '" + pattern + "' matches no site of this model, which has " + blocks_of(model) +
                         "; the sites are " + site_list());
      continue;
    }
    const auto site = HookSite::parse(pattern);
    if (!site) throw Error("'" + pattern + "' is not a hook site; the sites are " + site_list() + " (bertscope hooks explains them)");
    // The engine's message for a hook beyond the last block (Encoder::validate).
    if (site->layer >= model.layers()) throw Error("hook site " + site->name() + " does not exist: the model has " + blocks_of(model));
    chosen[static_cast<size_t>(std::find(all.begin(), all.end(), *site) - all.begin())] = true;
  }
  std::vector<HookSite> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (chosen[i]) out.push_back(all[i]);
  }
  return out;
}

std::vector<HookSite> residual_sites(const Encoder& model) {
  std::vector<HookSite> sites{HookSite::embed_out()};
  for (int layer = 0; layer < model.layers(); ++layer) sites.push_back(HookSite::block_out(layer));
  return sites;
}

std::vector<HookSite> resolve_site_list(const Encoder& model, const std::string& list) {
  std::vector<std::string> patterns;
  std::stringstream in(list);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) patterns.push_back(part);
  }
  return resolve_sites(model, patterns);
}

}  // namespace bertscope
