// bertscope hooks: the hook sites, with their HuggingFace module and TransformerLens names;
// with --model, the module paths of that model's family (read from config.json alone).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "model/family.h"
#include "model/hook_site.h"
#include "weights/model_dir.h"

namespace bertscope::cli {

void add_hooks_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("hooks", "List the hook sites with their shape, HuggingFace module and TransformerLens names");
  auto json = std::make_shared<bool>(false);
  auto model = std::make_shared<std::string>();
  command->add_option("--model", *model,
                      "A model folder or hub cache folder: list the sites of its family (config.json's model_type), with "
                      "that family's module paths. Default: BERT's");
  command->add_flag("--json", *json,
                    "Print the table as JSON: [{\"site\", \"shape\", \"hf_module\", \"transformer_lens\", \"meaning\"}, ...]");
  command->footer("Example:\n  bertscope hooks\n  bertscope hooks --model path/to/roberta-base --json");
  command->callback([json, model] {
    const ModelConfig config = model->empty() ? ModelConfig{} : ModelConfig::load(resolve_model_dir(*model).config);
    const Family& family = family_of(config.family, model->empty() ? "" : *model);
    const std::vector<HookSiteDoc> docs = family_site_docs(family, config.block_layout);
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const HookSiteDoc& doc : docs) {
        out.push_back({{"site", doc.pattern}, {"shape", doc.shape}, {"hf_module", doc.hf_module},
                       {"transformer_lens", doc.transformer_lens}, {"meaning", doc.meaning}});
      }
      std::printf("%s\n", out.dump(1).c_str());
      return;
    }
    std::printf("Hook sites of %s (%s)\n\n", family.display_name, family.architecture);
    std::printf("%-25s %-23s %-64s %-42s %s\n", "site", "shape (one prompt)", "HuggingFace module (output)",
                "TransformerLens", "meaning");
    for (const HookSiteDoc& doc : docs) {
      std::printf("%-25s %-23s %-64s %-42s %s\n", doc.pattern, doc.shape, doc.hf_module, doc.transformer_lens, doc.meaning);
    }
    std::printf("\nThe attn.q ... attn.head_out sites split attention by head; a block computes them only when one is\n"
                "hooked, dumped or edited, so runs without them take the fast fused path. --heads selects heads there.\n");
  });
}

}  // namespace bertscope::cli
