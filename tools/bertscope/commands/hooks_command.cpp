// bertscope hooks: the hook sites, with their HuggingFace module and TransformerLens names.
#include <cstdio>

#include "commands/commands.h"
#include "model/hook_site.h"

namespace bertscope::cli {

void add_hooks_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("hooks", "List the hook sites with their HuggingFace module and TransformerLens names");
  command->footer("Example:\n  bertscope hooks");
  command->callback([] {
    std::printf("%-24s %-46s %-42s %s\n", "site", "HuggingFace module (output)", "TransformerLens", "meaning");
    for (const HookSiteDoc& doc : hook_site_docs()) {
      std::printf("%-24s %-46s %-42s %s\n", doc.pattern, doc.hf_module, doc.transformer_lens, doc.meaning);
    }
  });
}

}  // namespace bertscope::cli
