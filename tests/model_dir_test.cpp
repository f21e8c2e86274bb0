// Model folder resolution: plain folders, HuggingFace hub cache layouts (refs/main,
// snapshots/<hash>/ with symlinks into blobs/), missing files, tokenizer_config.json.
#include "weights/model_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "test_util.h"

using namespace bertscope;
using namespace bertscope::test;
namespace fs = std::filesystem;

namespace {

// models--org--name/ as huggingface_hub lays it out: blobs named by content hash, and
// per-commit snapshot folders of relative symlinks to them.
struct FakeHubCache {
  explicit FakeHubCache(const fs::path& parent) : root(parent / "models--org--name") {
    fs::create_directories(root / "blobs");
    fs::create_directories(root / "refs");
    fs::create_directories(root / "snapshots");
  }
  // A snapshot whose config.json says `marker`, so the test can tell snapshots apart.
  fs::path add_snapshot(const std::string& hash, const std::string& marker, bool with_vocab = true) {
    const fs::path snap = root / "snapshots" / hash;
    fs::create_directories(snap);
    link_blob(snap, "config.json", "cfg-" + hash, "{\"marker\": \"" + marker + "\"}");
    if (with_vocab) link_blob(snap, "vocab.txt", "vocab-" + hash, "[PAD]\n[UNK]\n");
    return snap;
  }
  void link_blob(const fs::path& snap, const std::string& name, const std::string& blob, const std::string& text) {
    write_bytes((root / "blobs" / blob).string(), text);
    fs::create_symlink(fs::path("..") / ".." / "blobs" / blob, snap / name);
  }
  fs::path root;
};

void set_mtime(const fs::path& p, int seconds_ago) {
  fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::seconds(seconds_ago));
}

}  // namespace

TEST(ModelDir, PlainReferenceFolder) {
  const std::string dir = reference_dir() + "/models/tiny-fp32";
  const auto files = resolve_model_dir(dir);
  EXPECT_EQ(files.dir, dir);
  EXPECT_EQ(files.config, dir + "/config.json");
  EXPECT_EQ(files.vocab, dir + "/vocab.txt");
  EXPECT_EQ(files.tokenizer_config, "");
  EXPECT_TRUE(read_do_lower_case(files));  // no tokenizer_config.json: uncased default
}

TEST(ModelDir, HubCacheFollowsRefsMain) {
  TempDir tmp;
  FakeHubCache hub(tmp.path());
  const auto wanted = hub.add_snapshot("aaaa1111", "main");
  const auto newer = hub.add_snapshot("bbbb2222", "newer");
  set_mtime(wanted, 100);  // refs/main wins even over a newer snapshot
  write_bytes((hub.root / "refs" / "main").string(), "aaaa1111\n");
  const auto files = resolve_model_dir(hub.root.string());
  EXPECT_EQ(files.dir, wanted.string());
  EXPECT_EQ(files.config, (wanted / "config.json").string());
  // The symlink is followed to its blob.
  EXPECT_EQ(read_bytes(files.config), "{\"marker\": \"main\"}");
  EXPECT_EQ(read_bytes(files.vocab), "[PAD]\n[UNK]\n");
  (void)newer;
}

TEST(ModelDir, HubCacheWithoutRefsTakesNewestSnapshot) {
  TempDir tmp;
  FakeHubCache hub(tmp.path());
  const auto old_snap = hub.add_snapshot("aaaa1111", "old");
  const auto new_snap = hub.add_snapshot("bbbb2222", "new");
  hub.add_snapshot("cccc3333", "no config");
  fs::remove(hub.root / "snapshots" / "cccc3333" / "config.json");  // not a candidate
  set_mtime(old_snap, 10);
  set_mtime(new_snap, 1000);
  set_mtime(hub.root / "snapshots" / "cccc3333", 0);
  EXPECT_EQ(resolve_model_dir(hub.root.string()).dir, old_snap.string());
  // refs/main naming a snapshot that is not there is ignored.
  write_bytes((hub.root / "refs" / "main").string(), "deadbeef");
  EXPECT_EQ(resolve_model_dir(hub.root.string()).dir, old_snap.string());
}

TEST(ModelDir, HubCacheSnapshotDirectly) {
  TempDir tmp;
  FakeHubCache hub(tmp.path());
  const auto snap = hub.add_snapshot("aaaa1111", "x");
  EXPECT_EQ(resolve_model_dir(snap.string()).dir, snap.string());
}

TEST(ModelDir, HubCacheErrors) {
  TempDir tmp;
  FakeHubCache hub(tmp.path());
  expect_error([&] { resolve_model_dir(hub.root.string()); },
               {hub.root.string() + ": hub cache folder has no snapshot with a config.json"});
  const auto snap = hub.add_snapshot("aaaa1111", "x", /*with_vocab=*/false);
  write_bytes((hub.root / "refs" / "main").string(), "aaaa1111");
  expect_error([&] { resolve_model_dir(hub.root.string()); }, {snap.string() + ": no vocab.txt"});
  // A snapshot link whose blob was deleted (an interrupted download).
  hub.link_blob(snap, "vocab.txt", "vocab-blob", "x");
  fs::remove(hub.root / "blobs" / "vocab-blob");
  expect_error([&] { resolve_model_dir(hub.root.string()); },
               {(snap / "vocab.txt").string() + ": broken symbolic link"});
}

TEST(ModelDir, MissingThings) {
  TempDir tmp;
  const std::string missing = tmp.file("nope");
  expect_error([&] { resolve_model_dir(missing); }, {missing + ": no such file or directory"});
  write_bytes(tmp.file("file"), "x");
  expect_error([&] { resolve_model_dir(tmp.file("file")); }, {tmp.file("file") + ": not a directory"});

  fs::create_directory(tmp.path() / "m");
  const std::string m = tmp.file("m");
  expect_error([&] { resolve_model_dir(m); }, {m + ": no config.json"});
  write_bytes(m + "/config.json", "{}");
  expect_error([&] { resolve_model_dir(m); }, {m + ": no vocab.txt"});
  write_bytes(m + "/vocab.txt", "[PAD]\n");
  EXPECT_EQ(resolve_model_dir(m).vocab, m + "/vocab.txt");
  // A folder named config.json is not a config.
  fs::remove(m + "/config.json");
  fs::create_directory(m + "/config.json");
  expect_error([&] { resolve_model_dir(m); }, {m + ": no config.json"});
}

TEST(ModelDir, DoLowerCaseFromTokenizerConfig) {
  TempDir tmp;
  const std::string m = tmp.path().string();
  write_bytes(m + "/config.json", "{}");
  write_bytes(m + "/vocab.txt", "[PAD]\n");
  write_bytes(m + "/tokenizer_config.json", R"({"do_lower_case": false, "model_max_length": 512})");
  auto files = resolve_model_dir(m);
  EXPECT_EQ(files.tokenizer_config, m + "/tokenizer_config.json");
  EXPECT_FALSE(read_do_lower_case(files));
  write_bytes(m + "/tokenizer_config.json", R"({"do_lower_case": true})");
  EXPECT_TRUE(read_do_lower_case(files));
  write_bytes(m + "/tokenizer_config.json", R"({"model_max_length": 512})");
  EXPECT_TRUE(read_do_lower_case(files));
  write_bytes(m + "/tokenizer_config.json", R"({"do_lower_case": "no"})");
  expect_error([&] { read_do_lower_case(files); },
               {files.tokenizer_config + ": field 'do_lower_case' must be true or false, got \"no\""});
  write_bytes(m + "/tokenizer_config.json", R"({"do_lower_case": )");
  expect_error([&] { read_do_lower_case(files); }, {files.tokenizer_config + ": not valid JSON"});
}

TEST(ModelDir, StripAccentsAndChineseCharsFromTokenizerConfig) {
  TempDir tmp;
  const std::string m = tmp.path().string();
  write_bytes(m + "/config.json", "{}");
  write_bytes(m + "/vocab.txt", "[PAD]\n");
  auto files = resolve_model_dir(m);
  TokenizerConfig c = read_tokenizer_config(files);  // no file: HuggingFace's defaults
  EXPECT_TRUE(c.do_lower_case);
  EXPECT_FALSE(c.strip_accents.has_value());
  EXPECT_TRUE(c.tokenize_chinese_chars);
  write_bytes(m + "/tokenizer_config.json",
              R"({"do_lower_case": true, "strip_accents": false, "tokenize_chinese_chars": false})");
  files = resolve_model_dir(m);
  c = read_tokenizer_config(files);
  EXPECT_EQ(c.strip_accents, std::optional<bool>(false));
  EXPECT_FALSE(c.tokenize_chinese_chars);
  write_bytes(m + "/tokenizer_config.json", R"({"strip_accents": null, "tokenize_chinese_chars": null})");
  c = read_tokenizer_config(files);
  EXPECT_FALSE(c.strip_accents.has_value());
  EXPECT_TRUE(c.tokenize_chinese_chars);
  write_bytes(m + "/tokenizer_config.json", R"({"strip_accents": "yes"})");
  expect_error([&] { read_tokenizer_config(files); },
               {files.tokenizer_config + ": field 'strip_accents' must be true or false, got \"yes\""});
}
