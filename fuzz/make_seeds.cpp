// make_seeds SOURCE_DIR OUT_DIR: writes the generated seed corpus of each fuzz target to
// OUT_DIR/<target>/, from the project's own reference data (tests/data/reference, the demo
// model, examples/*.toml), so that no large file is committed twice. Hand-written seeds and
// the reproducers of fixed findings live in fuzz/corpus/<target>/ and are used beside these.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "tiny_config.h"
#include "weights/safetensors_writer.h"

namespace fs = std::filesystem;
using namespace bertscope;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

// A safetensors file cut after its header and `keep` data bytes: the real header JSON of a
// checkpoint, small enough for the fuzzer to mutate quickly.
std::string header_and_some_data(const std::string& file, size_t keep) {
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  return file.substr(0, static_cast<size_t>(std::min<uint64_t>(8 + n + keep, file.size())));
}

OutputTensor tensor(const std::string& name, DType dtype, std::vector<int64_t> shape, std::mt19937& rng) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  OutputTensor t{name, dtype, std::move(shape), std::vector<std::byte>(static_cast<size_t>(n) * dtype_size(dtype))};
  std::normal_distribution<float> normal(0.0f, 0.5f);
  for (int64_t i = 0; i < n; ++i) {
    const float v = normal(rng);
    std::byte* at = t.data.data() + static_cast<size_t>(i) * dtype_size(dtype);
    if (dtype == DType::F32) {
      std::memcpy(at, &v, 4);
    } else if (dtype == DType::F16 || dtype == DType::BF16) {
      const uint16_t bits = dtype == DType::F16 ? f32_to_f16(v) : f32_to_bf16(v);
      std::memcpy(at, &bits, 2);
    } else if (dtype == DType::F64) {
      const double d = v;
      std::memcpy(at, &d, 8);
    } else {
      for (size_t b = 0; b < dtype_size(dtype); ++b) at[b] = static_cast<std::byte>(rng());
    }
  }
  return t;
}

// A complete BertForMaskedLM checkpoint in the shape of fuzz::tiny_config().
std::vector<OutputTensor> tiny_model(DType dtype, bool legacy_names, bool tied, std::mt19937& rng) {
  const ModelConfig c = fuzz::tiny_config();
  const int64_t H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  std::vector<OutputTensor> t;
  auto linear = [&](const std::string& p, int64_t in, int64_t out) {
    t.push_back(tensor(p + ".weight", dtype, {out, in}, rng));
    t.push_back(tensor(p + ".bias", dtype, {out}, rng));
  };
  auto norm = [&](const std::string& p) {
    t.push_back(tensor(p + (legacy_names ? ".gamma" : ".weight"), dtype, {H}, rng));
    t.push_back(tensor(p + (legacy_names ? ".beta" : ".bias"), dtype, {H}, rng));
  };
  t.push_back(tensor("bert.embeddings.word_embeddings.weight", dtype, {V, H}, rng));
  t.push_back(tensor("bert.embeddings.position_embeddings.weight", dtype, {c.max_position_embeddings, H}, rng));
  t.push_back(tensor("bert.embeddings.token_type_embeddings.weight", dtype, {c.type_vocab_size, H}, rng));
  norm("bert.embeddings.LayerNorm");
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    for (const char* n : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"})
      linear(p + n, H, H);
    norm(p + "attention.output.LayerNorm");
    linear(p + "intermediate.dense", H, I);
    linear(p + "output.dense", I, H);
    norm(p + "output.LayerNorm");
  }
  linear("cls.predictions.transform.dense", H, H);
  norm("cls.predictions.transform.LayerNorm");
  t.push_back(tensor("cls.predictions.bias", dtype, {V}, rng));
  if (!tied) t.push_back(tensor("cls.predictions.decoder.weight", dtype, {V, H}, rng));
  return t;
}

void seeds_safetensors(const fs::path& src, const fs::path& out) {
  const fs::path dir = out / "safetensors_fuzzer";
  fs::create_directories(dir);
  int n = 0;
  for (const fs::path& root : {src / "tests/data/reference", src / "models"}) {
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.path().extension() != ".safetensors") continue;
      write_file(dir / ("reference-" + std::to_string(n++)), header_and_some_data(read_file(e.path()), 64));
    }
  }
  std::mt19937 rng(1);
  write_safetensors((dir / "every-dtype").string(),
                    {tensor("f32", DType::F32, {2, 3}, rng), tensor("f16", DType::F16, {4}, rng),
                     tensor("bf16", DType::BF16, {2, 2}, rng), tensor("f64", DType::F64, {3}, rng),
                     tensor("i64", DType::I64, {2}, rng), tensor("i32", DType::I32, {1, 1}, rng),
                     tensor("i16", DType::I16, {2}, rng), tensor("i8", DType::I8, {3}, rng),
                     tensor("u8", DType::U8, {3}, rng), tensor("bool", DType::BOOL, {1}, rng),
                     tensor("scalar", DType::F32, {}, rng), tensor("empty", DType::F32, {0, 5}, rng)},
                    {{"format", "pt"}});
  const float special[4] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), 1.0f};
  write_safetensors((dir / "non-finite").string(), {OutputTensor::f32("w", {4}, special)});
  // Unpadded header: the data starts at an odd offset, so F32 cannot be used in place.
  const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} )";
  std::string file(8, '\0');
  file[0] = static_cast<char>(header.size());
  write_file(dir / "unaligned", file + header + std::string("\0\0\x80\x3f\0\0\0\xc0", 8));
}

void seeds_weights(const fs::path& out) {
  const fs::path dir = out / "weights_fuzzer";
  fs::create_directories(dir);
  std::mt19937 rng(2);
  write_safetensors((dir / "f32-untied").string(), tiny_model(DType::F32, false, false, rng), {{"format", "pt"}});
  write_safetensors((dir / "f16-legacy-tied").string(), tiny_model(DType::F16, true, true, rng));
  write_safetensors((dir / "bf16-tied").string(), tiny_model(DType::BF16, false, true, rng));
}

void seeds_text(const fs::path& src, const fs::path& out) {
  // config.json of every model; the first lines of each vocabulary (with its special tokens).
  int n = 0;
  for (const fs::path& root : {src / "tests/data/reference/models", src / "models"}) {
    for (const auto& e : fs::directory_iterator(root)) {
      const std::string tag = e.path().filename().string();
      write_file(out / "config_fuzzer" / tag, read_file(e.path() / "config.json"));
      std::istringstream vocab(read_file(e.path() / "vocab.txt"));
      std::string lines, line;
      for (int i = 0; i < 1100 && std::getline(vocab, line); ++i) lines += line + "\n";
      write_file(out / "vocab_fuzzer" / tag, lines);
      ++n;
    }
  }
  // Tokenizer: the texts of the reference tokenizer cases and golden prompts.
  n = 0;
  for (const auto& e : fs::directory_iterator(src / "tests/data/reference/tokenizer")) {
    std::istringstream cases(read_file(e.path()));
    for (std::string line; std::getline(cases, line);) {
      write_file(out / "tokenizer_fuzzer" / ("case-" + std::to_string(n++)), nlohmann::json::parse(line)["text"]);
    }
  }
  for (const auto& e : fs::directory_iterator(src / "tests/data/reference/golden")) {
    if (e.path().extension() != ".json") continue;
    const nlohmann::json golden = nlohmann::json::parse(read_file(e.path()));  // must outlive the loop
    for (const auto& p : golden["prompts"]) {
      write_file(out / "tokenizer_fuzzer" / ("prompt-" + std::to_string(n++)), p["text"].get<std::string>());
    }
  }
  // tokenizer.json pipelines: the texts of the family tokenizer cases.
  n = 0;
  for (const char* family : {"roberta-tiny", "xlm-roberta-tiny"}) {
    std::istringstream cases(read_file(src / "tests/data/families/tokenizer" / (std::string(family) + ".jsonl")));
    for (std::string line; std::getline(cases, line);) {
      write_file(out / "tokenizer_json_fuzzer" / ("case-" + std::to_string(n++)), nlohmann::json::parse(line)["text"]);
    }
  }
  for (const auto& e : fs::directory_iterator(src / "examples")) {
    if (e.path().extension() == ".toml") write_file(out / "spec_fuzzer" / e.path().filename(), read_file(e.path()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_seeds SOURCE_DIR OUT_DIR\n";
    return 2;
  }
  try {
    const fs::path src = argv[1], out = argv[2];
    seeds_safetensors(src, out);
    seeds_weights(out);
    seeds_text(src, out);
  } catch (const std::exception& e) {
    std::cerr << "make_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
