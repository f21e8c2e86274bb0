#pragma once
// Which hook sites a list of names means (Python's run_with_cache, `bertscope dump --sites`): names ("blocks.3.mlp.post") or glob patterns matched
// part by part, the parts being what the dots separate: "*", "?" and "[...]" match within
// one part, "**" any number of parts. "blocks.*.out" is every block output (not
// blocks.3.attn.out), "blocks.1?.attn.*" both attention sites of blocks 10-19,
// "blocks.2.**" every site of block 2, "**" every site.
#include <string>
#include <vector>

#include "model/encoder.h"
#include "model/hook_site.h"

namespace bertscope {

// The sites `patterns` name, in forward order, each once. Throws Error for an unknown name,
// a block beyond the model's last, or a pattern that matches nothing.
std::vector<HookSite> resolve_sites(const Encoder& model, const std::vector<std::string>& patterns);
// The same for the command line's comma-separated list: "blocks.*.mlp.post,embed.out".
std::vector<HookSite> resolve_site_list(const Encoder& model, const std::string& list);
// embed.out and every block output: hidden_states[0..layers] of HuggingFace.
std::vector<HookSite> residual_sites(const Encoder& model);

}  // namespace bertscope
