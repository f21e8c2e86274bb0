// safetensors reading (SafetensorsFile, TensorStore) and writing (write_safetensors):
// the reference checkpoints and golden files, a write/read round trip, and crafted bad
// files, each of which must be refused with a message naming the file and the problem.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "test_util.h"
#include "weights/safetensors_file.h"
#include "weights/safetensors_writer.h"
#include "weights/tensor_store.h"

using namespace bertscope;
using namespace bertscope::test;
namespace fs = std::filesystem;

namespace {

std::string model_file(const std::string& name) { return reference_dir() + "/models/" + name + "/model.safetensors"; }
std::string golden_file(const std::string& name) { return reference_dir() + "/golden/" + name + ".safetensors"; }

// A safetensors file from raw parts: 8-byte little-endian length, header text, data.
std::string craft(const std::string& header, size_t data_bytes, std::optional<uint64_t> length = std::nullopt) {
  const uint64_t n = length.value_or(header.size());
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  out += header;
  for (size_t i = 0; i < data_bytes; ++i) out += static_cast<char>(i * 7 + 1);
  return out;
}

uint64_t header_length(const std::string& file_bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(file_bytes[static_cast<size_t>(i)]);
  return n;
}

// IEEE binary16 from its definition (independent of dtype.cpp).
float half_by_formula(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
  EXPECT_NE(exponent, 0x1F) << "reference weights hold no inf/NaN";
  const double m = exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
  return static_cast<float>((bits >> 15) ? -m : m);
}

// Elements of `name` read with plain file I/O, each 16-bit pattern turned into a float by `convert`.
template <typename Convert>
std::vector<float> manual_16bit(const std::string& path, const TensorInfo& info, Convert convert) {
  const std::string bytes = read_bytes(path);
  const size_t base = 8 + header_length(bytes) + info.begin;
  std::vector<float> out;
  for (size_t i = base; i < 8 + header_length(bytes) + info.end; i += 2)
    out.push_back(convert(static_cast<uint16_t>(static_cast<unsigned char>(bytes[i]) |
                                                (static_cast<unsigned char>(bytes[i + 1]) << 8))));
  return out;
}

}  // namespace

// ---------------------------------------------------------------- reference files

TEST(Safetensors, ReferenceModelsOpen) {
  struct Case {
    const char* name;
    size_t tensors;
    DType dtype;
    std::vector<int64_t> word_embeddings;
  };
  const Case cases[] = {{"tiny-fp32", 45, DType::F32, {30522, 32}},
                        {"tiny-legacy-f16", 60, DType::F16, {30522, 48}},
                        {"small-bf16", 76, DType::BF16, {4000, 64}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto file = SafetensorsFile::open(model_file(c.name));
    EXPECT_EQ(file->tensors().size(), c.tensors);
    for (const auto& t : file->tensors()) EXPECT_EQ(t.dtype, c.dtype) << t.name;
    const TensorInfo* we = file->find("bert.embeddings.word_embeddings.weight");
    ASSERT_NE(we, nullptr);
    EXPECT_EQ(we->shape, c.word_embeddings);
    EXPECT_EQ(we->element_count(), c.word_embeddings[0] * c.word_embeddings[1]);
    EXPECT_EQ(file->bytes(*we).size(), static_cast<size_t>(we->element_count()) * dtype_size(c.dtype));
    EXPECT_EQ(file->find("cls.seq_relationship.weight"), nullptr);  // README: none of these
    ASSERT_EQ(file->metadata().size(), 1u);
    EXPECT_EQ(file->metadata()[0], (std::pair<std::string, std::string>{"format", "pt"}));
    EXPECT_EQ(file->data_offset(), 8 + header_length(read_bytes(model_file(c.name))));
  }
}

TEST(Safetensors, TensorsAreSortedAndFindable) {
  const auto file = SafetensorsFile::open(model_file("tiny-fp32"));
  for (size_t i = 1; i < file->tensors().size(); ++i)
    EXPECT_LT(file->tensors()[i - 1].name, file->tensors()[i].name);
  for (const auto& t : file->tensors()) EXPECT_EQ(file->find(t.name), &t);
  EXPECT_EQ(file->find("bert.embeddings"), nullptr);
}

TEST(Safetensors, GoldenFilesOpen) {
  const std::pair<const char*, size_t> cases[] = {{"tiny-fp32", 57}, {"tiny-legacy-f16", 81}, {"small-bf16", 105}};
  for (const auto& [name, count] : cases) {
    SCOPED_TRACE(name);
    const auto file = SafetensorsFile::open(golden_file(name));
    EXPECT_EQ(file->tensors().size(), count);
    EXPECT_TRUE(file->metadata().empty());
    for (const auto& t : file->tensors()) EXPECT_TRUE(t.dtype == DType::F32 || t.dtype == DType::I64) << t.name;
  }
  // p0.input_ids holds the ids listed in the readable part of the golden data.
  const auto file = SafetensorsFile::open(golden_file("tiny-fp32"));
  const TensorInfo* ids = file->find("p0.input_ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->dtype, DType::I64);
  EXPECT_EQ(ids->shape, (std::vector<int64_t>{12}));
  const auto readable = nlohmann::json::parse(read_bytes(reference_dir() + "/golden/tiny-fp32.json"));
  const auto expected = readable["prompts"][0]["ids"].get<std::vector<int64_t>>();
  std::vector<int64_t> actual(12);
  std::memcpy(actual.data(), file->bytes(*ids).data(), 12 * sizeof(int64_t));
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(file->find("p0.hidden.0")->shape, (std::vector<int64_t>{12, 32}));
}

TEST(TensorStore, ReadsF16AsManualConversion) {
  const std::string path = model_file("tiny-legacy-f16");
  const auto store = TensorStore::open_dir(reference_dir() + "/models/tiny-legacy-f16");
  const auto file = SafetensorsFile::open(path);
  for (const char* name : {"bert.embeddings.word_embeddings.weight", "bert.embeddings.LayerNorm.gamma",
                           "bert.encoder.layer.2.output.dense.weight"}) {
    SCOPED_TRACE(name);
    const TensorInfo* info = file->find(name);
    ASSERT_NE(info, nullptr);
    const auto values = store.read_f32(name, info->shape);
    const auto expected = manual_16bit(path, *info, half_by_formula);
    ASSERT_EQ(values.size(), expected.size());
    EXPECT_EQ(values, expected);
    EXPECT_EQ(store.borrow_f32(name, info->shape), nullptr);  // not F32: nothing to borrow
    EXPECT_EQ(store.file_of(name), path);
  }
  EXPECT_EQ(store.names().size(), 60u);
}

TEST(TensorStore, ReadsBf16AsManualConversion) {
  const std::string path = model_file("small-bf16");
  const auto store = TensorStore::open_file(path);
  const auto file = SafetensorsFile::open(path);
  const auto bf16 = [](uint16_t bits) {
    const uint32_t wide = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &wide, 4);
    return f;
  };
  for (const char* name : {"bert.embeddings.word_embeddings.weight", "bert.encoder.layer.3.intermediate.dense.bias"}) {
    SCOPED_TRACE(name);
    const TensorInfo* info = file->find(name);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(store.read_f32(name, info->shape), manual_16bit(path, *info, bf16));
  }
}

TEST(TensorStore, BorrowsAlignedF32) {
  const std::string path = model_file("tiny-fp32");
  const auto store = TensorStore::open_dir(reference_dir() + "/models/tiny-fp32");
  const std::vector<int64_t> shape{30522, 32};
  const float* borrowed = store.borrow_f32("bert.embeddings.word_embeddings.weight", shape);
  ASSERT_NE(borrowed, nullptr);  // 8 + header length is a multiple of 8 in this file
  const auto copied = store.read_f32("bert.embeddings.word_embeddings.weight", shape);
  const std::string bytes = read_bytes(path);
  std::vector<float> from_disk(copied.size());
  std::memcpy(from_disk.data(), bytes.data() + 8 + header_length(bytes), from_disk.size() * 4);  // offsets [0, ...]
  EXPECT_EQ(copied, from_disk);
  EXPECT_EQ(std::memcmp(borrowed, from_disk.data(), from_disk.size() * 4), 0);
  EXPECT_TRUE(store.contains("cls.predictions.decoder.weight"));
  EXPECT_FALSE(store.contains("cls.predictions"));
}

TEST(TensorStore, UnalignedF32IsCopiedNotBorrowed) {
  TempDir dir;
  // Header of 9 bytes puts the data at offset 17, so no float in it is 4-byte aligned.
  const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string padded = header + std::string((4 - (8 + header.size()) % 4) % 4 + 1, ' ');
  std::string bytes = craft(padded, 0);
  const float values[2] = {1.25f, -7.5f};
  bytes.append(reinterpret_cast<const char*>(values), 8);
  write_bytes(dir.file("odd.safetensors"), bytes);
  const auto store = TensorStore::open_file(dir.file("odd.safetensors"));
  EXPECT_EQ(store.borrow_f32("w", {2}), nullptr);
  EXPECT_EQ(store.read_f32("w", {2}), (std::vector<float>{1.25f, -7.5f}));
}

TEST(TensorStore, ShapeDtypeAndMissingErrors) {
  const std::string dir = reference_dir() + "/models/tiny-fp32";
  const auto store = TensorStore::open_dir(dir);
  const std::string path = dir + "/model.safetensors";
  expect_error([&] { store.read_f32("bert.embeddings.word_embeddings.weight", {30522, 64}); },
               {path + ": tensor 'bert.embeddings.word_embeddings.weight' has shape [30522, 32], "
                       "config.json implies [30522, 64]"});
  expect_error([&] { store.borrow_f32("bert.embeddings.LayerNorm.weight", {}); },
               {path + ": tensor 'bert.embeddings.LayerNorm.weight' has shape [32], config.json implies []"});
  expect_error([&] { store.read_f32("bert.embeddings.LayerNorm.gamma", {32}); },
               {path + ": missing tensor 'bert.embeddings.LayerNorm.gamma'"});
  EXPECT_EQ(store.file_of("bert.embeddings.LayerNorm.gamma"), "");

  // The legacy model has no decoder weight (tied): asking for it names the file.
  const auto legacy = TensorStore::open_dir(reference_dir() + "/models/tiny-legacy-f16");
  expect_error([&] { legacy.read_f32("cls.predictions.decoder.weight", {30522, 48}); },
               {"tiny-legacy-f16/model.safetensors: missing tensor 'cls.predictions.decoder.weight'"});

  const auto golden = TensorStore::open_file(golden_file("tiny-fp32"));
  expect_error([&] { golden.read_f32("p0.input_ids", {12}); },
               {"tiny-fp32.safetensors: tensor 'p0.input_ids' has dtype I64", "floating"});
}

// ---------------------------------------------------------------- writer

TEST(SafetensorsWriter, RoundTrip) {
  TempDir dir;
  const float weights[6] = {1.0f, -2.5f, 3.25f, 0.0f, -0.0f, 1e-20f};
  const int64_t ids[4] = {101, -1, 0, INT64_MAX};
  const float scalar = 42.0f;
  const std::vector<OutputTensor> tensors = {
      OutputTensor::f32("b.weight", {2, 3}, weights), OutputTensor::i64("a.ids", {4}, ids),
      OutputTensor::f32("c", {}, &scalar), OutputTensor::f32("d.empty", {0, 5}, nullptr)};
  const std::vector<std::pair<std::string, std::string>> metadata = {{"format", "pt"}, {"source", "bertscope test"}};
  const std::string path = dir.file("out.safetensors");
  write_safetensors(path, tensors, metadata);

  // Exactly the file, no temporaries left next to it.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);

  const std::string bytes = read_bytes(path);
  const uint64_t n = header_length(bytes);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + n + 6 * 4 + 4 * 8 + 4);
  // The header is plain JSON that any reader (Python's json) accepts, padding included.
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["__metadata__"]["source"], "bertscope test");
  // Data laid out contiguously in name order.
  EXPECT_EQ(header["a.ids"]["data_offsets"], nlohmann::json({0, 32}));
  EXPECT_EQ(header["b.weight"]["data_offsets"], nlohmann::json({32, 56}));
  EXPECT_EQ(header["c"]["data_offsets"], nlohmann::json({56, 60}));
  EXPECT_EQ(header["d.empty"]["data_offsets"], nlohmann::json({60, 60}));
  EXPECT_EQ(header["c"]["shape"], nlohmann::json::array());

  const auto file = SafetensorsFile::open(path);
  ASSERT_EQ(file->tensors().size(), 4u);
  EXPECT_EQ(file->metadata(), metadata);
  for (const auto& t : tensors) {
    SCOPED_TRACE(t.name);
    const TensorInfo* info = file->find(t.name);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->dtype, t.dtype);
    EXPECT_EQ(info->shape, t.shape);
    const auto got = file->bytes(*info);
    ASSERT_EQ(got.size(), t.data.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), t.data.begin()));
  }
  const auto store = TensorStore::open_file(path);
  EXPECT_EQ(store.read_f32("b.weight", {2, 3}), std::vector<float>(weights, weights + 6));
  EXPECT_NE(store.borrow_f32("b.weight", {2, 3}), nullptr);

  // Same tensors in another order: the same bytes.
  const std::vector<OutputTensor> reversed(tensors.rbegin(), tensors.rend());
  write_safetensors(dir.file("again.safetensors"), reversed, {{"source", "bertscope test"}, {"format", "pt"}});
  EXPECT_EQ(read_bytes(dir.file("again.safetensors")), bytes);
}

TEST(SafetensorsWriter, NoMetadataAndOverwrite) {
  TempDir dir;
  const std::string path = dir.file("x.safetensors");
  write_bytes(path, "old contents");
  const float v = 3.0f;
  write_safetensors(path, {OutputTensor::f32("v", {1}, &v)});
  const auto file = SafetensorsFile::open(path);
  EXPECT_TRUE(file->metadata().empty());
  EXPECT_EQ(file->tensors().size(), 1u);
  EXPECT_EQ(header_length(read_bytes(path)) % 8, 0u);
}

TEST(SafetensorsWriter, RefusesInconsistentTensors) {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  const float v[2] = {1, 2};
  OutputTensor wrong = OutputTensor::f32("w", {2}, v);
  wrong.shape = {3};
  expect_error([&] { write_safetensors(path, {wrong}); }, {path, "tensor 'w' has 8 bytes", "needs 12"});
  expect_error([&] { write_safetensors(path, {OutputTensor::f32("w", {2}, v), OutputTensor::f32("w", {1}, v)}); },
               {path, "tensor 'w' given twice"});
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

// ---------------------------------------------------------------- crafted bad files

class BadSafetensors : public ::testing::Test {
 protected:
  // Writes `bytes` as bad.safetensors and expects open() to fail naming the file and `pieces`.
  void expect_refused(const std::string& bytes, std::initializer_list<std::string> pieces) {
    const std::string path = dir_.file("bad.safetensors");
    write_bytes(path, bytes);
    expect_error([&] { SafetensorsFile::open(path); }, {path + ": "});
    expect_error([&] { SafetensorsFile::open(path); }, pieces);
  }
  TempDir dir_;
};

TEST_F(BadSafetensors, ShorterThanEightBytes) {
  expect_refused("abc", {"file is 3 bytes", "too short"});
  expect_refused("", {"file is 0 bytes"});
}

TEST_F(BadSafetensors, HeaderLengthBeyondFile) {
  expect_refused(craft("{}", 0, 1000), {"header length 1000 exceeds file size 10"});
}

TEST_F(BadSafetensors, HugeHeaderLengthFailsWithoutAllocating) {
  // 2^62 bytes could never be allocated: reaching an allocation would throw bad_alloc, not Error.
  expect_refused(craft("{}", 0, uint64_t{1} << 62), {"header length 4611686018427387904 exceeds file size 10"});
  expect_refused(craft("{}", 0, UINT64_MAX), {"header length 18446744073709551615 exceeds file size"});
}

TEST_F(BadSafetensors, HeaderLengthOverLimit) {
  // A sparse 130 MB file whose header claims 120 MB: within the file, over the cap.
  const std::string path = dir_.file("bad.safetensors");
  write_bytes(path, craft("{}", 0, 120'000'000));
  fs::resize_file(path, 130'000'000);
  expect_error([&] { SafetensorsFile::open(path); },
               {path + ": header length 120000000 exceeds the limit of 100000000 bytes"});
}

TEST_F(BadSafetensors, HeaderNotJson) {
  expect_refused(craft("{not json}", 4), {"header is not valid JSON"});
  expect_refused(craft("[1, 2]", 0), {"header is not a JSON object"});
}

TEST_F(BadSafetensors, UnknownDtype) {
  expect_refused(craft(R"({"w":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}})", 2),
                 {"tensor 'w' has unknown dtype 'F8'"});
  expect_refused(craft(R"({"w":{"shape":[2],"data_offsets":[0,2]}})", 2), {"tensor 'w' has no string field 'dtype'"});
}

TEST_F(BadSafetensors, BadShape) {
  expect_refused(craft(R"({"w":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,8]}})", 8),
                 {"tensor 'w' has negative dimension -1 in shape [-1,2]"});
  expect_refused(craft(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8),
                 {"tensor 'w' has shape [2.5], which is not a list of non-negative integers"});
  expect_refused(craft(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8),
                 {"tensor 'w' has no array field 'shape'"});
  expect_refused(craft(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
                 {"tensor 'w'", "element count overflows"});
  expect_refused(craft(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})", 8),
                 {"tensor 'w'", "byte count overflows"});
}

TEST_F(BadSafetensors, ByteCountDisagreesWithShape) {
  expect_refused(craft(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 24),
                 {"tensor 'w' has 20 bytes at data offsets [0, 20], but F32 x [2, 3] needs 24"});
}

TEST_F(BadSafetensors, OffsetsBeyondData) {
  expect_refused(craft(R"({"w":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}})", 16),
                 {"tensor 'w' data offsets [0, 24] exceed the data section of 16 bytes"});
  expect_refused(craft(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 16),
                 {"tensor 'w' has no field 'data_offsets' of the form [begin, end]"});
  expect_refused(craft(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 16),
                 {"tensor 'w' has data_offsets [-4,0], which are not non-negative integers"});
}

TEST_F(BadSafetensors, ReversedOffsets) {
  expect_refused(craft(R"({"x":{"dtype":"U8","shape":[1],"data_offsets":[10,9]}})", 16),
                 {"tensor 'x' data offsets [10, 9] are reversed"});
}

TEST_F(BadSafetensors, OverlappingTensors) {
  expect_refused(craft(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                       R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                       24),
                 {"tensors 'a' [0, 16] and 'b' [8, 24] overlap"});
  // One tensor inside another, listed in the other order.
  expect_refused(craft(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},)"
                       R"("z":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}})",
                       16),
                 {"tensors 'z' [0, 16] and 'a' [4, 6] overlap"});
}

TEST_F(BadSafetensors, DeeplyNestedValuesAreDescribedWithoutRecursion) {
  // Regression: messages quoted the shape or offsets with a recursive dump(), so a header
  // with a few hundred thousand nested arrays crashed the process instead of failing.
  const std::string deep = std::string(300000, '[') + std::string(300000, ']');
  expect_refused(craft(R"({"w":{"dtype":"F32","shape":)" + deep + R"(,"data_offsets":[0,8]}})", 8),
                 {"tensor 'w' has shape [[[[[[", "[..., which is not a list of non-negative integers"});
  expect_refused(craft(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[)" + deep + R"(,8]}})", 8),
                 {"tensor 'w' has data_offsets [[[[[", "..., which are not non-negative integers"});
}

TEST_F(BadSafetensors, LongNamesAreShortenedInMessages) {
  const std::string name(100000, 'n');
  const std::string path = dir_.file("bad.safetensors");
  write_bytes(path, craft(R"({")" + name + R"(":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}})", 2));
  try {
    SafetensorsFile::open(path);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_LT(std::string(e.what()).size(), path.size() + 300);
    EXPECT_NE(std::string(e.what()).find("nnn...' has unknown dtype 'F8'"), std::string::npos) << e.what();
  }
}

TEST_F(BadSafetensors, MetadataMustBeStrings) {
  expect_refused(craft(R"({"__metadata__":{"format":1}})", 0), {"__metadata__ value for 'format' is not a string"});
}

TEST_F(BadSafetensors, MissingFileAndDirectory) {
  const std::string missing = dir_.file("nope.safetensors");
  expect_error([&] { SafetensorsFile::open(missing); }, {missing + ": cannot read: No such file or directory"});
  expect_error([&] { SafetensorsFile::open(dir_.path().string()); }, {dir_.path().string() + ": cannot read: not a regular file (a folder)"});
}

TEST(Safetensors, AcceptsEdgeCasesOfValidFiles) {
  TempDir dir;
  // Empty header object, zero-size tensors anywhere, adjacent tensors, trailing spaces,
  // a gap in the data section and extra unread bytes at the end.
  const std::string path = dir.file("ok.safetensors");
  write_bytes(path, craft(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                          R"("e":{"dtype":"F32","shape":[0,3],"data_offsets":[2,2]},)"
                          R"("b":{"dtype":"U8","shape":[2,2],"data_offsets":[4,8]},)"
                          R"("c":{"dtype":"BOOL","shape":[],"data_offsets":[12,13]}}    )",
                          20));
  const auto file = SafetensorsFile::open(path);
  ASSERT_EQ(file->tensors().size(), 4u);
  EXPECT_EQ(file->find("c")->element_count(), 1);
  EXPECT_EQ(file->find("e")->element_count(), 0);
  EXPECT_EQ(file->bytes(*file->find("b")).size(), 4u);
  write_bytes(path, craft("{}", 0));
  EXPECT_TRUE(SafetensorsFile::open(path)->tensors().empty());
}

// ---------------------------------------------------------------- sharded model folders

class ShardedDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const float a[2] = {1, 2}, b[3] = {3, 4, 5}, c[1] = {6};
    write_safetensors(dir_.file("model-00001-of-00002.safetensors"),
                      {OutputTensor::f32("a", {2}, a), OutputTensor::f32("b", {3}, b)});
    write_safetensors(dir_.file("model-00002-of-00002.safetensors"), {OutputTensor::f32("c", {1}, c)});
  }
  void write_index(const nlohmann::json& weight_map) {
    write_bytes(index(), nlohmann::json({{"metadata", {{"total_size", 24}}}, {"weight_map", weight_map}}).dump());
  }
  std::string index() const { return dir_.file("model.safetensors.index.json"); }
  TempDir dir_;
};

TEST_F(ShardedDir, OpensEveryShard) {
  write_index({{"a", "model-00001-of-00002.safetensors"},
               {"b", "model-00001-of-00002.safetensors"},
               {"c", "model-00002-of-00002.safetensors"}});
  const auto store = TensorStore::open_dir(dir_.path().string());
  EXPECT_EQ(store.names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(store.read_f32("b", {3}), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(store.read_f32("c", {1}), (std::vector<float>{6}));
  EXPECT_EQ(store.file_of("c"), dir_.file("model-00002-of-00002.safetensors"));
  EXPECT_EQ(store.origin(), index());
  expect_error([&] { store.read_f32("d", {1}); }, {index() + ": missing tensor 'd'"});
}

TEST_F(ShardedDir, MissingShard) {
  write_index({{"a", "model-00001-of-00002.safetensors"}, {"c", "model-00003-of-00003.safetensors"}});
  expect_error([&] { TensorStore::open_dir(dir_.path().string()); },
               {index() + ": shard 'model-00003-of-00003.safetensors' does not exist"});
}

TEST_F(ShardedDir, ShardOutsideTheFolder) {
  // The file exists, so only the name check stops it.
  fs::create_directory(dir_.path() / "sub");
  fs::copy_file(dir_.file("model-00002-of-00002.safetensors"), dir_.path() / "sub" / "x.safetensors");
  for (const char* name : {"../outside.safetensors", "sub/x.safetensors", "/etc/passwd", ".."}) {
    write_index({{"c", name}});
    expect_error([&] { TensorStore::open_dir(dir_.path().string()); },
                 {index() + ": shard '" + name + "' (for tensor 'c') is not a plain file name"});
  }
}

TEST_F(ShardedDir, TensorNotInItsShard) {
  write_index({{"a", "model-00001-of-00002.safetensors"}, {"c", "model-00001-of-00002.safetensors"}});
  expect_error([&] { TensorStore::open_dir(dir_.path().string()); },
               {dir_.file("model-00001-of-00002.safetensors") + ": missing tensor 'c' (listed in " + index()});
}

TEST_F(ShardedDir, DuplicateTensorAcrossShards) {
  // Shard 2 also holds "a"; the index itself is consistent (each name is in its shard).
  const float a[2] = {9, 9}, x[1] = {1};
  write_safetensors(dir_.file("model-00002-of-00002.safetensors"),
                    {OutputTensor::f32("a", {2}, a), OutputTensor::f32("x", {1}, x)});
  write_index({{"a", "model-00001-of-00002.safetensors"},
               {"b", "model-00001-of-00002.safetensors"},
               {"x", "model-00002-of-00002.safetensors"}});
  expect_error([&] { TensorStore::open_dir(dir_.path().string()); },
               {dir_.file("model-00002-of-00002.safetensors") + ": tensor 'a' is also in " +
                dir_.file("model-00001-of-00002.safetensors")});
}

TEST_F(ShardedDir, MalformedIndex) {
  write_bytes(index(), "{\"weight_map\": ");
  expect_error([&] { TensorStore::open_dir(dir_.path().string()); }, {index() + ": not valid JSON"});
  write_bytes(index(), R"({"metadata": {}})");
  expect_error([&] { TensorStore::open_dir(dir_.path().string()); }, {index() + ": no 'weight_map' object"});
  write_bytes(index(), R"({"weight_map": {"a": 3}})");
  expect_error([&] { TensorStore::open_dir(dir_.path().string()); },
               {index() + ": weight_map entry for 'a' is not a file name string"});
}

TEST(TensorStore, FolderWithoutWeights) {
  TempDir dir;
  expect_error([&] { TensorStore::open_dir(dir.path().string()); },
               {dir.path().string() + ": no model.safetensors or model.safetensors.index.json"});
}
