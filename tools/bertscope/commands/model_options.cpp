#include <cstdlib>
#include <filesystem>

#include "commands/commands.h"
#include "common/io_claims.h"
#include "common/threads.h"
#include "default_model.h"
#include "kernels/linear.h"
#include "model/family.h"
#include "strict_numbers.h"

namespace bertscope::cli {

void add_model_options(CLI::App& command, ModelOptions& options) {
  std::string names;
  for (const Family* family : families()) names += std::string(names.empty() ? "" : ", ") + family->display_name;
  command.add_option("--model", options.model,
                     "HuggingFace masked-LM folder of a supported family (" + names +
                     ": config.json, model.safetensors, tokenizer.json or vocab.txt) or hub cache folder "
                     "(e.g. ~/.cache/huggingface/hub/models--bert-large-uncased). Default: $BERTSCOPE_MODEL, else "
                     "the small demo model shipped in models/bert-mini-uncased-demo");
  command.add_option("--threads", options.threads, "Threads for all computation")
      ->check(whole_number(1, 1024))
      ->default_str("all cores");
  command.add_option("--dtype", options.dtype,
                     "Matmul precision: auto (default: bf16 on CPUs with AMX, where it is faster, else f32), f32 "
                     "(exact to HF within 1e-4) or bf16 (bfloat16 weights and matmul inputs, float32 accumulation, "
                     "layer norms and softmax; logits within ~1e-2). results.json records the one that ran")
      ->check(CLI::IsMember({"auto", "f32", "bf16"}));
  command.add_flag("--no-weights-cache", options.no_weights_cache,
                   "Neither read nor write the packed-weights cache (default: on, in $XDG_CACHE_HOME/bertscope/weights "
                   "or ~/.cache/bertscope/weights; BERTSCOPE_WEIGHTS_CACHE=off also turns it off). Results are the same "
                   "either way; the cache makes loads after the first much faster");
}

MatmulPrecision precision(const ModelOptions& options) {
  if (options.dtype == "auto") return auto_precision();
  return options.dtype == "bf16" ? MatmulPrecision::BF16 : MatmulPrecision::F32;
}

std::string resolved_dtype(const ModelOptions& options) { return precision_name(precision(options)); }

RunContext run_context(const ModelOptions& options, bool demo) {
  return {command_line(), demo, resolved_dtype(options), options.dtype};
}

std::string model_path(const ModelOptions& options, const std::string& fallback) {
  if (!options.model.empty()) return options.model;
  if (!fallback.empty()) return fallback;
  if (const char* env = std::getenv("BERTSCOPE_MODEL"); env && *env) return env;
  return shipped_demo_model();
}

Encoder load_model(const ModelOptions& options, const std::string& fallback) {
  set_thread_count(options.threads);
  // The whole model folder is an input: no output may lie in it (vocab.txt, a sidecar file).
  claim_input(model_path(options, fallback));
  return Encoder::load(model_path(options, fallback), precision(options),
                       options.no_weights_cache ? WeightsCacheOptions::off() : WeightsCacheOptions::from_env());
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
