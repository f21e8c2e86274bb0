// bertscope hooks: the hook sites, with their HuggingFace module and TransformerLens names.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "model/hook_site.h"

namespace bertscope::cli {

void add_hooks_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("hooks", "List the hook sites with their shape, HuggingFace module and TransformerLens names");
  auto json = std::make_shared<bool>(false);
  command->add_flag("--json", *json,
                    "Print the table as JSON: [{\"site\", \"shape\", \"hf_module\", \"transformer_lens\", \"meaning\"}, ...]");
  command->footer("Example:\n  bertscope hooks\n  bertscope hooks --json");
  command->callback([json] {
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const HookSiteDoc& doc : hook_site_docs()) {
        out.push_back({{"site", doc.pattern}, {"shape", doc.shape}, {"hf_module", doc.hf_module},
                       {"transformer_lens", doc.transformer_lens}, {"meaning", doc.meaning}});
      }
      std::printf("%s\n", out.dump(1).c_str());
      return;
    }
    std::printf("%-25s %-23s %-64s %-42s %s\n", "site", "shape (one prompt)", "HuggingFace module (output)",
                "TransformerLens", "meaning");
    for (const HookSiteDoc& doc : hook_site_docs()) {
      std::printf("%-25s %-23s %-64s %-42s %s\n", doc.pattern, doc.shape, doc.hf_module, doc.transformer_lens, doc.meaning);
    }
    std::printf("\nThe attn.q ... attn.head_out sites split attention by head; a block computes them only when one is\n"
                "hooked, dumped or edited, so runs without them take the fast fused path. --heads selects heads there.\n");
  });
}

}  // namespace bertscope::cli
