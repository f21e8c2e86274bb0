// make-random-model: writes a HuggingFace BertForMaskedLM folder (config.json, vocab.txt,
// model.safetensors) with seeded random weights of any shape, e.g. bert-large's, so load
// time, memory and speed can be measured without downloading a checkpoint.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "common/atomic_file.h"
#include "common/error.h"
#include "weights/safetensors_writer.h"

namespace {

using bertscope::DType;
using bertscope::OutputTensor;

struct Shape {
  int layers = 24, hidden = 1024, heads = 16, ffn = 4096, vocab = 30522, positions = 512;
};

struct Generator {
  DType dtype;
  bool legacy_names;
  std::mt19937_64 rng;
  std::vector<OutputTensor> tensors;

  void add(const std::string& name, std::vector<int64_t> shape, float mean, float std) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::normal_distribution<float> normal(mean, std);
    OutputTensor t{name, dtype, std::move(shape), {}};
    t.data.resize(static_cast<size_t>(n) * bertscope::dtype_size(dtype));
    for (int64_t i = 0; i < n; ++i) {
      const float v = std == 0.0f ? mean : normal(rng);
      const size_t at = static_cast<size_t>(i) * bertscope::dtype_size(dtype);
      if (dtype == DType::F32) {
        std::memcpy(&t.data[at], &v, 4);
      } else {
        const uint16_t bits = dtype == DType::F16 ? bertscope::f32_to_f16(v) : bertscope::f32_to_bf16(v);
        std::memcpy(&t.data[at], &bits, 2);
      }
    }
    tensors.push_back(std::move(t));
  }
  void linear(const std::string& prefix, int in, int out) {
    add(prefix + ".weight", {out, in}, 0.0f, 0.02f);
    add(prefix + ".bias", {out}, 0.0f, 0.02f);
  }
  void layer_norm(const std::string& prefix, int width) {
    add(prefix + (legacy_names ? ".gamma" : ".weight"), {width}, 1.0f, 0.05f);
    add(prefix + (legacy_names ? ".beta" : ".bias"), {width}, 0.0f, 0.02f);
  }
};

std::vector<std::string> make_vocab(const std::string& vocab_file, int size) {
  std::vector<std::string> tokens;
  if (!vocab_file.empty()) {
    std::ifstream in(vocab_file);
    if (!in) throw bertscope::Error(vocab_file + ": cannot open vocabulary");
    for (std::string line; std::getline(in, line);) tokens.push_back(line);
    if (static_cast<int>(tokens.size()) != size) {
      throw bertscope::Error(vocab_file + ": has " + std::to_string(tokens.size()) + " tokens, --vocab-size is " +
                             std::to_string(size));
    }
    return tokens;
  }
  if (size < 1000) throw bertscope::Error("--vocab-size must be at least 1000 without --vocab-file");
  tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (char c = '!'; c <= '~'; ++c) tokens.emplace_back(1, c);
  for (int i = static_cast<int>(tokens.size()); i < size; ++i) tokens.push_back("word" + std::to_string(i));
  return tokens;
}

void generate(const std::string& out_dir, const Shape& s, const std::string& dtype_name, bool legacy, bool tie,
              const std::string& vocab_file, uint64_t seed) {
  const auto dtype = bertscope::parse_dtype(dtype_name);
  if (!dtype || (*dtype != DType::F32 && *dtype != DType::F16 && *dtype != DType::BF16)) {
    throw bertscope::Error("--dtype must be F32, F16 or BF16, not '" + dtype_name + "'");
  }
  if (s.hidden % s.heads != 0) throw bertscope::Error("--hidden must be divisible by --heads");
  std::filesystem::create_directories(out_dir);
  Generator g{*dtype, legacy, std::mt19937_64(seed), {}};
  const std::string emb = "bert.embeddings.";
  g.add(emb + "word_embeddings.weight", {s.vocab, s.hidden}, 0.0f, 0.02f);
  g.add(emb + "position_embeddings.weight", {s.positions, s.hidden}, 0.0f, 0.02f);
  g.add(emb + "token_type_embeddings.weight", {2, s.hidden}, 0.0f, 0.02f);
  g.layer_norm(emb + "LayerNorm", s.hidden);
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    g.linear(p + "attention.self.query", s.hidden, s.hidden);
    g.linear(p + "attention.self.key", s.hidden, s.hidden);
    g.linear(p + "attention.self.value", s.hidden, s.hidden);
    g.linear(p + "attention.output.dense", s.hidden, s.hidden);
    g.layer_norm(p + "attention.output.LayerNorm", s.hidden);
    g.linear(p + "intermediate.dense", s.hidden, s.ffn);
    g.linear(p + "output.dense", s.ffn, s.hidden);
    g.layer_norm(p + "output.LayerNorm", s.hidden);
  }
  g.linear("cls.predictions.transform.dense", s.hidden, s.hidden);
  g.layer_norm("cls.predictions.transform.LayerNorm", s.hidden);
  g.add("cls.predictions.bias", {s.vocab}, 0.0f, 0.02f);
  if (!tie) g.add("cls.predictions.decoder.weight", {s.vocab, s.hidden}, 0.0f, 0.02f);

  const nlohmann::json config = {
      {"architectures", {"BertForMaskedLM"}}, {"model_type", "bert"}, {"vocab_size", s.vocab},
      {"hidden_size", s.hidden}, {"num_hidden_layers", s.layers}, {"num_attention_heads", s.heads},
      {"intermediate_size", s.ffn}, {"hidden_act", "gelu"}, {"max_position_embeddings", s.positions},
      {"type_vocab_size", 2}, {"layer_norm_eps", 1e-12}, {"pad_token_id", 0},
      {"torch_dtype", *dtype == DType::F32 ? "float32" : (*dtype == DType::F16 ? "float16" : "bfloat16")},
      {"tie_word_embeddings", tie}};
  std::string vocab_text;
  for (const std::string& t : make_vocab(vocab_file, s.vocab)) vocab_text += t + "\n";

  bertscope::write_safetensors(out_dir + "/model.safetensors", g.tensors, {{"format", "pt"}});
  bertscope::write_file_atomic(out_dir + "/config.json", config.dump(2) + "\n");
  bertscope::write_file_atomic(out_dir + "/vocab.txt", vocab_text);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Write a HuggingFace BertForMaskedLM folder with seeded random weights (default: bert-large's shape)"};
  Shape s;
  std::string out, dtype = "F32", vocab_file;
  bool legacy = false, untied = false;
  uint64_t seed = 0;
  app.add_option("--out", out, "Output folder")->required();
  app.add_option("--layers", s.layers, "Blocks")->check(CLI::Range(1, 1000));
  app.add_option("--hidden", s.hidden, "Hidden size")->check(CLI::Range(1, 65536));
  app.add_option("--heads", s.heads, "Attention heads")->check(CLI::Range(1, 1024));
  app.add_option("--ffn", s.ffn, "Intermediate (FFN) size")->check(CLI::Range(1, 1000000));
  app.add_option("--vocab-size", s.vocab, "Vocabulary size")->check(CLI::Range(1, 10000000));
  app.add_option("--positions", s.positions, "max_position_embeddings")->check(CLI::Range(1, 1000000));
  app.add_option("--vocab-file", vocab_file, "vocab.txt to copy (its line count must equal --vocab-size)");
  app.add_option("--dtype", dtype, "F32, F16 or BF16");
  app.add_flag("--legacy-names", legacy, "Name LayerNorm parameters gamma/beta, as the published bert-*-uncased files");
  app.add_flag("--untied", untied, "Store cls.predictions.decoder.weight instead of tying it to the word embeddings");
  app.add_option("--seed", seed, "Random seed");
  app.footer("Example (bert-large-uncased shape and vocabulary):\n"
             "  make-random-model --out /tmp/bert-large-random --vocab-file models/bert-mini-uncased-demo/vocab.txt");
  CLI11_PARSE(app, argc, argv);
  try {
    generate(out, s, dtype, legacy, !untied, vocab_file, seed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make-random-model: error: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
