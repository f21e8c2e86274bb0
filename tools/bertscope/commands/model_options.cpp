#include <cstdlib>
#include <filesystem>

#include "commands/commands.h"
#include "common/io_claims.h"
#include "common/threads.h"
#include "default_model.h"
#include "strict_numbers.h"

namespace bertscope::cli {

void add_model_options(CLI::App& command, ModelOptions& options) {
  command.add_option("--model", options.model,
                     "HuggingFace BERT model folder (config.json, vocab.txt, model.safetensors) or hub cache folder "
                     "(e.g. ~/.cache/huggingface/hub/models--bert-large-uncased). Default: $BERTSCOPE_MODEL, else "
                     "the small demo model shipped in models/bert-mini-uncased-demo");
  command.add_option("--threads", options.threads, "Threads for all computation")
      ->check(whole_number(1, 1024))
      ->default_str("all cores");
  command.add_option("--dtype", options.dtype,
                     "Matmul precision: f32 (default, exact to HF within 1e-4) or bf16 (bfloat16 weights and matmul "
                     "inputs, float32 accumulation, layer norms and softmax; faster, logits within ~1e-2)")
      ->check(CLI::IsMember({"f32", "bf16"}));
}

std::string model_path(const ModelOptions& options, const std::string& fallback) {
  if (!options.model.empty()) return options.model;
  if (!fallback.empty()) return fallback;
  if (const char* env = std::getenv("BERTSCOPE_MODEL"); env && *env) return env;
  return shipped_demo_model();
}

BertModel load_model(const ModelOptions& options, const std::string& fallback) {
  set_thread_count(options.threads);
  // The whole model folder is an input: no output may lie in it (vocab.txt, a sidecar file).
  claim_input(model_path(options, fallback));
  return BertModel::load(model_path(options, fallback),
                         options.dtype == "bf16" ? MatmulPrecision::BF16 : MatmulPrecision::F32);
}

bool is_demo_model(const std::string& path) {
  std::error_code ec;
  const auto a = std::filesystem::weakly_canonical(path, ec);
  return a.filename() == "bert-mini-uncased-demo";
}

namespace {
std::string& stored_command_line() {
  static std::string line;
  return line;
}
}  // namespace

const std::string& command_line() { return stored_command_line(); }

void set_command_line(int argc, char** argv) {
  std::string& line = stored_command_line();
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = arg.find_first_of(" \t\"'$\\") == std::string::npos && !arg.empty();
    line += (i ? " " : "") + (plain ? arg : "'" + arg + "'");
  }
}

}  // namespace bertscope::cli
