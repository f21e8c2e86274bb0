// make-random-model: writes a HuggingFace model folder of any supported family
// (config.json, vocab.txt or GPT-2's vocab.json + merges.txt, model.safetensors) with seeded random weights of any shape, e.g.
// bert-large's, so load time, memory and speed can be measured without downloading a
// checkpoint. The tensors are named by the family's recipe (model/family.h), so a new family
// gets random models with no change here beyond its config.json fields.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/family.h"
#include "weights/safetensors_writer.h"

namespace {

using bertscope::DType;
using bertscope::OutputTensor;

struct Shape {
  int layers = 24, hidden = 1024, heads = 16, ffn = 4096, vocab = 30522, positions = 512;
  int embedding = 0;  // ALBERT, ELECTRA: the embeddings' width (0: 128 for ALBERT, hidden for the others)
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
  // `transposed`: stored [in, out], as GPT-2's Conv1D.
  void linear(const std::string& prefix, int in, int out, bool bias = true, bool transposed = false) {
    add(prefix + ".weight", transposed ? std::vector<int64_t>{in, out} : std::vector<int64_t>{out, in}, 0.0f, 0.02f);
    if (bias) add(prefix + ".bias", {out}, 0.0f, 0.02f);
  }
  void layer_norm(const std::string& prefix, int width, bool bias = true) {
    add(prefix + (legacy_names ? ".gamma" : ".weight"), {width}, 1.0f, 0.05f);
    if (bias) add(prefix + (legacy_names ? ".beta" : ".bias"), {width}, 0.0f, 0.02f);
  }
};

std::vector<std::string> make_vocab(const std::string& vocab_file, int size) {
  std::vector<std::string> tokens;
  if (!vocab_file.empty()) {
    std::ifstream in(vocab_file);
    if (!in) throw bertscope::Error(vocab_file + ": cannot open vocabulary");
    for (std::string line; std::getline(in, line);) tokens.push_back(line);
    if (static_cast<int>(tokens.size()) > size) {
      throw bertscope::Error(vocab_file + ": has " + std::to_string(tokens.size()) + " tokens, more than --vocab-size " +
                             std::to_string(size));
    }
    // A larger model (XLM-R's 250002 rows) gets words of its own after the file's.
    for (int i = static_cast<int>(tokens.size()); i < size; ++i) tokens.push_back("word" + std::to_string(i));
    return tokens;
  }
  if (size < 1000) throw bertscope::Error("--vocab-size must be at least 1000 without --vocab-file");
  tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (char c = '!'; c <= '~'; ++c) tokens.emplace_back(1, c);
  for (int i = static_cast<int>(tokens.size()); i < size; ++i) tokens.push_back("word" + std::to_string(i));
  return tokens;
}

// config.json in the family's own field names (DistilBERT's dim, n_layers, ...).
nlohmann::json config_json(const bertscope::Family& family, const Shape& s, DType dtype, bool tie) {
  const std::string type = family.model_type;
  nlohmann::json j = {{"architectures", {family.architecture}}, {"model_type", type}, {"vocab_size", s.vocab},
                      {"max_position_embeddings", s.positions}, {"pad_token_id", 0},
                      {"torch_dtype", dtype == DType::F32 ? "float32" : (dtype == DType::F16 ? "float16" : "bfloat16")},
                      {"tie_word_embeddings", tie}};
  if (type == "gpt2") {
    // GPT-2's own field names; <|endoftext|> is the last token (vocab.json below).
    j.erase("max_position_embeddings");
    j.erase("pad_token_id");
    j.update({{"n_embd", s.hidden}, {"n_layer", s.layers}, {"n_head", s.heads}, {"n_inner", s.ffn},
              {"n_positions", s.positions}, {"activation_function", "gelu_new"}, {"layer_norm_epsilon", 1e-5},
              {"bos_token_id", s.vocab - 1}, {"eos_token_id", s.vocab - 1}});
    return j;
  }
  if (type == "modernbert") {
    // ModernBERT-base's choices: thetas, window, every third layer global, no biases.
    j.update({{"hidden_size", s.hidden}, {"num_hidden_layers", s.layers}, {"num_attention_heads", s.heads},
              {"intermediate_size", s.ffn}, {"hidden_activation", "gelu"}, {"norm_eps", 1e-5}, {"norm_bias", false},
              {"attention_bias", false}, {"mlp_bias", false}, {"classifier_bias", false}, {"decoder_bias", true},
              {"global_rope_theta", 160000.0}, {"local_rope_theta", 10000.0}, {"local_attention", 128},
              {"global_attn_every_n_layers", 3}});
    return j;
  }
  if (type == "distilbert") {
    j.update({{"dim", s.hidden}, {"n_layers", s.layers}, {"n_heads", s.heads}, {"hidden_dim", s.ffn}, {"activation", "gelu"}});
    return j;
  }
  j.update({{"hidden_size", s.hidden}, {"num_hidden_layers", s.layers}, {"num_attention_heads", s.heads},
            {"intermediate_size", s.ffn}, {"hidden_act", type == "albert" ? "gelu_new" : "gelu"},
            {"type_vocab_size", 2}, {"layer_norm_eps", 1e-12}});
  if (type == "roberta" || type == "xlm-roberta") {
    // Positions start after the padding index (1): two more rows for the same prompt length.
    j.update({{"pad_token_id", 1}, {"type_vocab_size", 1}, {"max_position_embeddings", s.positions + 2}});
  }
  if (type == "albert" || type == "electra") {
    j["embedding_size"] = s.embedding > 0 ? s.embedding : (type == "albert" ? 128 : s.hidden);
  }
  return j;
}

// GPT-2 and ModernBERT: the tensors that ModelConfig's pre-LayerNorm fields call for.
void pre_norm_tensors(Generator& g, const bertscope::ModelConfig& c, const bertscope::TensorNames& n, bool tie) {
  const int H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  g.add(n.word_embeddings, {V, H}, 0.0f, 0.02f);
  if (c.learned_positions) g.add(n.position_embeddings, {c.max_position_embeddings, H}, 0.0f, 0.02f);
  if (c.embeddings_norm) g.layer_norm(n.embeddings_norm, H, c.norm_bias);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = n.block_prefix(l, l);
    if (!(l == 0 && n.first_attention_norm_identity)) g.layer_norm(p + n.attention_norm, H, c.norm_bias);
    g.linear(p + n.query, H, 3 * H, c.attention_bias, n.transposed);
    g.linear(p + n.attention_output, H, H, c.attention_bias, n.transposed);
    g.layer_norm(p + n.output_norm, H, c.norm_bias);
    g.linear(p + n.ffn_in, H, c.glu_ffn ? 2 * I : I, c.mlp_bias, n.transposed);
    g.linear(p + n.ffn_out, I, H, c.mlp_bias, n.transposed);
  }
  if (c.final_norm) g.layer_norm(n.final_norm, H, c.norm_bias);
  if (c.head_transform) {
    g.linear(n.head_dense, H, H, c.head_bias);
    g.layer_norm(n.head_norm, H, c.norm_bias);
  }
  if (c.decoder_bias) g.add(n.decoder_bias, {V}, 0.0f, 0.02f);
  if (!tie) g.add(n.decoder, {V, H}, 0.0f, 0.02f);
}

// GPT-2's tokenizer files: vocab.json with the 256 byte symbols (GPT-2's bytes_to_unicode,
// so any text encodes), then, from `vocab_file` (a WordPiece vocab.txt), its whole lowercase
// words as space-prefixed tokens ("Ġbehind") with the merges that build each one left to
// right (every prefix a token), as many as fit, so that English text takes about as many
// tokens as in gpt2; words of its own up to the size, <|endoftext|> last.
void write_byte_level_bpe(const std::string& out_dir, int size, const std::string& vocab_file) {
  if (size < 300) throw bertscope::Error("--vocab-size must be at least 300 for GPT-2");
  nlohmann::json vocab = nlohmann::json::object();
  int shifted = 0;
  std::string space;  // the symbol of the byte ' ' ("Ġ")
  for (int byte = 0; byte < 256; ++byte) {
    const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    const int code = printable ? byte : 256 + shifted++;
    std::string symbol;  // the code point as UTF-8 (all below 0x800)
    if (code < 0x80) symbol += static_cast<char>(code);
    else symbol += {static_cast<char>(0xC0 | (code >> 6)), static_cast<char>(0x80 | (code & 0x3F))};
    vocab[symbol] = byte;
    if (byte == ' ') space = symbol;
  }
  int next = 256;
  std::string merges = "#version: 0.2\n";
  if (!vocab_file.empty()) {
    std::ifstream in(vocab_file);
    if (!in) throw bertscope::Error(vocab_file + ": cannot open vocabulary");
    for (std::string word; std::getline(in, word);) {
      const bool plain = word.size() >= 2 && std::all_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; });
      if (!plain) continue;
      std::vector<std::string> added;
      for (size_t k = 1; k <= word.size(); ++k) {
        if (!vocab.contains(space + word.substr(0, k))) added.push_back(word.substr(0, k));
      }
      if (next + static_cast<int>(added.size()) > size - 1) break;
      for (const std::string& prefix : added) {
        vocab[space + prefix] = next++;
        merges += space + prefix.substr(0, prefix.size() - 1) + " " + prefix.substr(prefix.size() - 1) + "\n";
      }
    }
  }
  for (int i = next; i < size - 1; ++i) vocab["word" + std::to_string(i)] = i;
  vocab["<|endoftext|>"] = size - 1;
  bertscope::write_file_atomic(out_dir + "/vocab.json", vocab.dump() + "\n");
  bertscope::write_file_atomic(out_dir + "/merges.txt", merges);
}

// As the hub's original gpt2 model.safetensors: tensor names without "transformer.", and
// each block's causal mask h.L.attn.bias ([1, 1, positions, positions], ones on and below
// the diagonal), which the engine does not read.
void original_gpt2_names(Generator& g, const bertscope::ModelConfig& c) {
  const std::string prefix = "transformer.";
  for (OutputTensor& t : g.tensors) {
    if (t.name.starts_with(prefix)) t.name = t.name.substr(prefix.size());
  }
  const int64_t P = c.max_position_embeddings;
  std::vector<float> mask(static_cast<size_t>(P * P), 0.0f);
  for (int64_t q = 0; q < P; ++q) {
    for (int64_t k = 0; k <= q; ++k) mask[static_cast<size_t>(q * P + k)] = 1.0f;
  }
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    g.tensors.push_back(OutputTensor::f32("h." + std::to_string(l) + ".attn.bias", {1, 1, P, P}, mask.data()));
  }
}

void write_pre_norm_files(const std::string& out_dir, const bertscope::ModelConfig& c, const Generator& g,
                          const nlohmann::json& config, const std::string& vocab_file, int vocab_size) {
  bertscope::write_safetensors(out_dir + "/model.safetensors", g.tensors, {{"format", "pt"}});
  bertscope::write_file_atomic(out_dir + "/config.json", config.dump(2) + "\n");
  if (c.causal) {
    write_byte_level_bpe(out_dir, vocab_size, vocab_file);
    return;
  }
  std::string vocab_text;
  for (const std::string& t : make_vocab(vocab_file, vocab_size)) vocab_text += t + "\n";
  bertscope::write_file_atomic(out_dir + "/vocab.txt", vocab_text);
}

void generate(const std::string& out_dir, const std::string& family_name, const Shape& s, const std::string& dtype_name,
              bool legacy, bool tie, const std::string& vocab_file, uint64_t seed) {
  const auto dtype = bertscope::parse_dtype(dtype_name);
  if (!dtype || (*dtype != DType::F32 && *dtype != DType::F16 && *dtype != DType::BF16)) {
    throw bertscope::Error("--dtype must be F32, F16 or BF16, not '" + dtype_name + "'");
  }
  if (s.hidden % s.heads != 0) throw bertscope::Error("--hidden must be divisible by --heads");
  std::filesystem::create_directories(out_dir);
  const bertscope::Family& family = bertscope::family_of(family_name, "--family");
  const nlohmann::json config = config_json(family, s, *dtype, tie);
  const bertscope::ModelConfig c = bertscope::ModelConfig::parse(config.dump(), "the generated config.json");
  const bertscope::TensorNames n = family.tensor_names(c);
  // The published files named otherwise: bert-*-uncased's LayerNorm gamma/beta, and the
  // hub's original gpt2 file (no "transformer." prefix, the causal-mask buffers stored).
  if (legacy && family_name != "bert" && family_name != "gpt2") {
    throw bertscope::Error("--legacy-names: only BERT (LayerNorm gamma/beta, as bert-*-uncased) and GPT-2 (no "
                           "transformer. prefix, with the h.L.attn.bias buffers, as the hub's gpt2 file) have a legacy "
                           "naming, not " + family_name);
  }
  Generator g{*dtype, legacy && family_name == "bert", std::mt19937_64(seed), {}};
  if (c.block_layout == bertscope::BlockLayout::PreNorm) {
    pre_norm_tensors(g, c, n, tie);
    if (legacy) original_gpt2_names(g, c);
    write_pre_norm_files(out_dir, c, g, config, vocab_file, s.vocab);
    return;
  }
  const int E = c.embedding_size, D = c.head_size, H = c.hidden_size;
  g.add(n.word_embeddings, {c.vocab_size, E}, 0.0f, 0.02f);
  g.add(n.position_embeddings, {c.max_position_embeddings, E}, 0.0f, 0.02f);
  if (c.type_vocab_size > 0) g.add(n.token_type_embeddings, {c.type_vocab_size, E}, 0.0f, 0.02f);
  g.layer_norm(n.embeddings_norm, E);
  if (!n.embeddings_project.empty()) g.linear(n.embeddings_project, E, H);
  const bool shared = n.block.find("{G}") != std::string::npos;
  for (int l = 0; l < (shared ? c.num_hidden_groups : c.num_hidden_layers); ++l) {
    const std::string p = n.block_prefix(l, l);
    g.linear(p + n.query, H, H);
    g.linear(p + n.key, H, H);
    g.linear(p + n.value, H, H);
    g.linear(p + n.attention_output, H, H);
    g.layer_norm(p + n.attention_norm, H);
    g.linear(p + n.ffn_in, H, c.intermediate_size);
    g.linear(p + n.ffn_out, c.intermediate_size, H);
    g.layer_norm(p + n.output_norm, H);
  }
  g.linear(n.head_dense, H, D);
  g.layer_norm(n.head_norm, D);
  g.add(n.decoder_bias, {c.vocab_size}, 0.0f, 0.02f);
  if (!tie) g.add(n.decoder, {c.vocab_size, D}, 0.0f, 0.02f);

  std::string vocab_text;
  for (const std::string& t : make_vocab(vocab_file, s.vocab)) vocab_text += t + "\n";

  bertscope::write_safetensors(out_dir + "/model.safetensors", g.tensors, {{"format", "pt"}});
  bertscope::write_file_atomic(out_dir + "/config.json", config.dump(2) + "\n");
  bertscope::write_file_atomic(out_dir + "/vocab.txt", vocab_text);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Write a HuggingFace masked-LM folder with seeded random weights (default: bert-large's shape)"};
  Shape s;
  std::string out, dtype = "F32", vocab_file, family = "bert";
  bool legacy = false, untied = false;
  uint64_t seed = 0;
  app.add_option("--out", out, "Output folder")->required();
  std::vector<std::string> family_names;
  for (const bertscope::Family* f : bertscope::families()) family_names.emplace_back(f->model_type);
  app.add_option("--family", family, "The family (config.json's model_type): its tensor names and config fields")
      ->check(CLI::IsMember(family_names));
  app.add_option("--layers", s.layers, "Blocks")->check(CLI::Range(1, 1000));
  app.add_option("--hidden", s.hidden, "Hidden size")->check(CLI::Range(1, 65536));
  app.add_option("--heads", s.heads, "Attention heads")->check(CLI::Range(1, 1024));
  app.add_option("--ffn", s.ffn, "Intermediate (FFN) size")->check(CLI::Range(1, 1000000));
  app.add_option("--vocab-size", s.vocab, "Vocabulary size")->check(CLI::Range(1, 10000000));
  app.add_option("--positions", s.positions, "Positions a prompt may use (max_position_embeddings; RoBERTa's is 2 more)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--embedding", s.embedding, "ALBERT, ELECTRA: embedding_size (default 128 for ALBERT, --hidden for ELECTRA)")
      ->check(CLI::Range(1, 65536));
  app.add_option("--vocab-file", vocab_file,
                 "vocab.txt to copy (up to --vocab-size lines; words of its own fill the rest); GPT-2: its whole words as "
                 "byte-level BPE tokens with their merges");
  app.add_option("--dtype", dtype, "F32, F16 or BF16");
  app.add_flag("--legacy-names", legacy,
               "BERT: LayerNorm parameters named gamma/beta, as the published bert-*-uncased files; GPT-2: names without "
               "transformer. and the attn.bias buffers, as the hub's original gpt2 file");
  app.add_flag("--untied", untied, "Store cls.predictions.decoder.weight instead of tying it to the word embeddings");
  app.add_option("--seed", seed, "Random seed");
  app.footer("Example (bert-large-uncased shape and vocabulary):\n"
             "  make-random-model --out /tmp/bert-large-random --vocab-file models/bert-mini-uncased-demo/vocab.txt");
  CLI11_PARSE(app, argc, argv);
  try {
    generate(out, family, s, dtype, legacy, !untied, vocab_file, seed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make-random-model: error: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
