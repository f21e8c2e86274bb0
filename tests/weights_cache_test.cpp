// The packed-weights cache (model/weights_cache.h): numbers identical with it off, cold and
// warm on every model family, and every kind of bad cache file detected and rebuilt, never
// trusted: truncated, a flipped byte in the weights or in the table, another model's file,
// another build's, a model file rewritten after caching; and a cache folder that cannot be
// written, a full disk and no HOME fall back to loading without it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "kernels/linear.h"
#include "model/encoder.h"
#include "model/weights_cache.h"
#include "test_support.h"
#include "weights/model_dir.h"
#include "weights/packed_weights.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;

// Every load in this test binary (and in the CLI it runs) uses the build folder's cache,
// never the user's: set before any test runs.
const bool kTestCacheHome = [] {
  ::setenv("XDG_CACHE_HOME", BERTSCOPE_TEST_CACHE_HOME, 1);
  return true;
}();

std::string family_model(const std::string& name) { return test::data_path("families/models/" + name); }

// Every position's logits of one prompt: what "identical numbers" compares, bit for bit.
std::vector<float> all_logits(const Encoder& model) {
  const auto ids = model.tokenizer().encode("the quick brown fox jumps over the lazy dog , again and again .").ids;
  const HiddenState state = model.forward(TokenBatch::single(ids));
  std::vector<float> out;
  for (int s = 0; s < static_cast<int>(ids.size()); ++s) {
    const auto logits = model.mlm_logits(state, 0, s);
    out.insert(out.end(), logits.begin(), logits.end());
  }
  return out;
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Whether a load of `model` now takes every matmul from the cache (prepares none itself).
bool loads_warm(const std::string& model, MatmulPrecision precision, const WeightsCacheOptions& cache) {
  const ModelFiles files = resolve_model_dir(model);
  const ModelConfig config = ModelConfig::load(files.config);
  const auto weights = load_weights(files, config, family_of(config.family, files.config).tensor_names(config),
                                    precision, cache);
  PackedWeightsWriter prepared;
  weights->add_packed_to(prepared);
  return prepared.empty();
}

// A copy of a model folder, so that a test may rewrite its files.
std::string copy_model(const std::string& from, const test::TempDir& dir, const std::string& name) {
  const std::string to = dir.file(name);
  fs::copy(from, to, fs::copy_options::recursive);
  return to;
}

struct Case {
  std::string model;
  MatmulPrecision precision;
};

class CachedNumbers : public ::testing::TestWithParam<Case> {};

TEST_P(CachedNumbers, AreBitIdenticalOffColdAndWarm) {
  const auto& [model, precision] = GetParam();
  test::TempDir dir;
  const WeightsCacheOptions cache{dir.file("cache")};
  const auto off = all_logits(Encoder::load(model, precision, WeightsCacheOptions::off()));
  ::testing::internal::CaptureStderr();
  const auto cold = all_logits(Encoder::load(model, precision, cache));
  ASSERT_TRUE(fs::exists(weights_cache_file(cache, resolve_model_dir(model), precision)));
  ASSERT_TRUE(loads_warm(model, precision, cache));
  const auto warm = all_logits(Encoder::load(model, precision, cache));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");  // a cold cache is normal: nothing to say
  EXPECT_TRUE(bit_identical(off, cold));
  EXPECT_TRUE(bit_identical(off, warm));
}

std::vector<Case> cases() {
  std::vector<Case> all;
  for (const MatmulPrecision precision : {MatmulPrecision::F32, MatmulPrecision::BF16}) {
    if (precision == MatmulPrecision::BF16 && !bf16_matmuls_supported()) continue;  // refused there (precision_test)
    for (const std::string& name : test::reference_cases()) all.push_back({test::reference_model(name), precision});
    for (const char* name : {"roberta-tiny", "xlm-roberta-tiny", "distilbert-tiny-f16", "albert-tiny",
                             "electra-generator-untied", "gpt2-tiny", "modernbert-tiny-bf16"})
      all.push_back({family_model(name), precision});
  }
  return all;
}

std::string case_name(const ::testing::TestParamInfo<Case>& param) {
  std::string name = fs::path(param.param.model).filename().string() + "_" + precision_name(param.param.precision);
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Models, CachedNumbers, ::testing::ValuesIn(cases()), case_name);

// A cache built for a copy of tiny-fp32, the reference numbers, and what a damaged cache
// file must lead to: one warning naming the file, the same numbers, a valid file again.
class BadCacheFile : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = copy_model(test::reference_model("tiny-fp32"), dir_, "model");
    reference_ = all_logits(Encoder::load(model_, MatmulPrecision::F32, WeightsCacheOptions::off()));
    Encoder::load(model_, MatmulPrecision::F32, cache_);
    file_ = weights_cache_file(cache_, resolve_model_dir(model_), MatmulPrecision::F32);
    ASSERT_TRUE(loads_warm(model_, MatmulPrecision::F32, cache_));
  }

  void expect_detected_and_rebuilt(const std::string& why) {
    ::testing::internal::CaptureStderr();
    const auto numbers = all_logits(Encoder::load(model_, MatmulPrecision::F32, cache_));
    const std::string said = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(bit_identical(numbers, reference_));
    EXPECT_NE(said.find("warning: ignoring the weights cache " + file_), std::string::npos) << said;
    EXPECT_NE(said.find(why), std::string::npos) << said;
    EXPECT_NE(said.find("rebuilding it"), std::string::npos) << said;
    EXPECT_EQ(std::count(said.begin(), said.end(), '\n'), 1) << said;
    EXPECT_TRUE(loads_warm(model_, MatmulPrecision::F32, cache_));  // rebuilt, and valid again
  }

  void flip_byte(uint64_t offset) {
    std::string bytes = test::read_bytes(file_);
    ASSERT_LT(offset, bytes.size());
    bytes[offset] = static_cast<char>(bytes[offset] ^ 0x10);
    test::write_bytes(file_, bytes);
  }

  test::TempDir dir_;
  WeightsCacheOptions cache_{dir_.file("cache")};
  std::string model_, file_;
  std::vector<float> reference_;
};

TEST_F(BadCacheFile, TruncatedIsRebuilt) {
  fs::resize_file(file_, fs::file_size(file_) / 2);
  expect_detected_and_rebuilt("cut short");
}

TEST_F(BadCacheFile, EmptyIsRebuilt) {
  fs::resize_file(file_, 0);
  expect_detected_and_rebuilt("too short");
}

TEST_F(BadCacheFile, FlippedByteInTheWeightsIsRebuilt) {
  flip_byte(0);  // the first tensor's first byte
  expect_detected_and_rebuilt("does not match its checksum");
}

TEST_F(BadCacheFile, FlippedByteInTheTableIsRebuilt) {
  flip_byte(fs::file_size(file_) - 48 - 20);  // the trailer is the last 48 bytes; the table is before it
  expect_detected_and_rebuilt("table does not match its checksum");
}

TEST_F(BadCacheFile, AnotherModelsFileIsRebuilt) {
  // A file that is valid in itself, but made for another model: copied over this one's.
  const std::string other = copy_model(test::reference_model("tiny-legacy-f16"), dir_, "other");
  Encoder::load(other, MatmulPrecision::F32, cache_);
  fs::copy_file(weights_cache_file(cache_, resolve_model_dir(other), MatmulPrecision::F32), file_,
                fs::copy_options::overwrite_existing);
  expect_detected_and_rebuilt("made from another model file or by another build");
}

TEST_F(BadCacheFile, AnotherVersionsFileIsRebuilt) {
  // The same tensors, recorded as made by another bertscope version.
  const std::string identity = weights_cache_identity(resolve_model_dir(model_), MatmulPrecision::F32);
  const std::string version = "bertscope " BERTSCOPE_VERSION ";";
  const size_t at = identity.find(version);
  ASSERT_NE(at, std::string::npos);
  std::string other_version = identity;
  other_version.replace(at, version.size(), "bertscope 0.0.1;");
  const PackedWeights current = PackedWeights::open(file_, identity);
  const std::vector<float> tensor(1024, 0.5f);
  PackedWeightsWriter writer;
  writer.add("encoder.layer.0.attention.output.dense.weight",
             std::as_bytes(std::span<const float>(tensor.data(), tensor.size())));
  writer.write(file_, other_version);
  expect_detected_and_rebuilt("made from another model file or by another build");
}

TEST_F(BadCacheFile, ModelRewrittenAfterCachingIsRebuilt) {
  // Same name and size, new contents: the cache must follow the model, not its name.
  const std::string weights = model_ + "/model.safetensors";
  const std::string bytes = test::read_bytes(weights);
  fs::remove(weights);
  test::write_bytes(weights, bytes);
  expect_detected_and_rebuilt("made from another model file");
}

TEST(WeightsCache, UnwritableFolderFallsBackWithOneWarning) {
  test::TempDir dir;
  test::write_bytes(dir.file("a-file"), "not a folder");
  // Under a regular file: no folder can be made there, even as root (where chmod would not stop us).
  const WeightsCacheOptions cache{dir.file("a-file") + "/cache"};
  const std::string model = test::reference_model("tiny-fp32");
  const auto reference = all_logits(Encoder::load(model, MatmulPrecision::F32, WeightsCacheOptions::off()));
  ::testing::internal::CaptureStderr();
  const auto first = all_logits(Encoder::load(model, MatmulPrecision::F32, cache));
  const auto second = all_logits(Encoder::load(model, MatmulPrecision::F32, cache));
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(bit_identical(first, reference));
  EXPECT_TRUE(bit_identical(second, reference));
  EXPECT_NE(said.find(cache.folder), std::string::npos) << said;
  EXPECT_NE(said.find("running without the weights cache"), std::string::npos) << said;
  EXPECT_EQ(std::count(said.begin(), said.end(), '\n'), 1) << said;  // once, not per load
}

TEST(WeightsCache, FullDiskFallsBackAndLeavesNoFile) {
  // A file size limit makes write() fail as a full disk does (EFBIG instead of ENOSPC);
  // SIGXFSZ ignored, as the shell passes it on, so the process sees the error.
  test::TempDir dir;
  const std::string predict = "'" + std::string(BERTSCOPE_CLI) + "' predict --model '" +
                              test::reference_model("small-bf16") + "' --dtype f32 'the capital of france is [MASK] .'";
  const auto run = [&](const std::string& setup, const std::string& flags, const std::string& name) {
    const std::string command = setup + " XDG_CACHE_HOME='" + dir.file("xdg") + "' " + predict + flags + " > '" +
                                dir.file(name + ".out") + "' 2> '" + dir.file(name + ".err") + "'";
    EXPECT_EQ(std::system(("bash -c \"" + command + "\"").c_str()), 0) << test::read_bytes(dir.file(name + ".err"));
  };
  run("", " --no-weights-cache", "uncached");  // the reference, and it must write no cache
  EXPECT_FALSE(fs::exists(dir.file("xdg")));
  run("trap '' XFSZ; ulimit -f 64;", "", "full");
  const std::string said = test::read_bytes(dir.file("full.err"));
  EXPECT_NE(said.find("File too large"), std::string::npos) << said;
  EXPECT_NE(said.find("running without the weights cache"), std::string::npos) << said;
  EXPECT_EQ(test::read_bytes(dir.file("full.out")), test::read_bytes(dir.file("uncached.out")));
  for (const auto& entry : fs::directory_iterator(dir.file("xdg") + "/bertscope/weights"))
    EXPECT_TRUE(entry.path().extension() == ".lock") << entry.path();  // no partial cache file left
}

TEST(WeightsCache, ConcurrentColdLoadsBuildItOnce) {
  test::TempDir dir;
  const WeightsCacheOptions cache{dir.file("cache")};
  const std::string model = test::reference_model("small-bf16");
  std::vector<float> a, b;
  std::thread first([&] { a = all_logits(Encoder::load(model, MatmulPrecision::F32, cache)); });
  std::thread second([&] { b = all_logits(Encoder::load(model, MatmulPrecision::F32, cache)); });
  first.join();
  second.join();
  EXPECT_TRUE(bit_identical(a, b));
  EXPECT_TRUE(loads_warm(model, MatmulPrecision::F32, cache));
}

// Sets an environment variable (or unsets it: nullopt) for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value->c_str(), 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(WeightsCacheOptions, FollowXdgThenHomeAndTurnOff) {
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/x/cache"), home("HOME", "/home/u"), off("BERTSCOPE_WEIGHTS_CACHE", std::nullopt);
    EXPECT_EQ(WeightsCacheOptions::from_env().folder, "/x/cache/bertscope/weights");
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt), home("HOME", "/home/u"), off("BERTSCOPE_WEIGHTS_CACHE", std::nullopt);
    EXPECT_EQ(WeightsCacheOptions::from_env().folder, "/home/u/.cache/bertscope/weights");
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/x/cache"), off("BERTSCOPE_WEIGHTS_CACHE", "off");
    EXPECT_FALSE(WeightsCacheOptions::from_env().enabled());
  }
}

TEST(WeightsCacheOptions, NoHomeAndNoXdgRunsWithoutCacheAndRightNumbers) {
  ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt), home("HOME", std::nullopt);
  EXPECT_FALSE(WeightsCacheOptions::from_env().enabled());
  const std::string model = test::reference_model("tiny-fp32");
  const auto reference = all_logits(Encoder::load(model, MatmulPrecision::F32, WeightsCacheOptions::off()));
  ::testing::internal::CaptureStderr();
  const auto numbers = all_logits(Encoder::load(model, MatmulPrecision::F32));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE(bit_identical(numbers, reference));
}

}  // namespace
}  // namespace bertscope
