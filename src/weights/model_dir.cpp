#include "weights/model_dir.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.h"
#include "common/json_preview.h"
#include "common/read_file.h"

namespace bertscope {

namespace fs = std::filesystem;

namespace {

// Existence through symlinks (hub snapshots link to ../../blobs/<sha>), without throwing.
bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// refs/main and tokenizer_config.json: bytes to kilobytes in any real model.
std::string read_text(const fs::path& p) { return read_small_file(p.string(), 16u << 20); }

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The snapshot a hub cache folder (models--org--name/) points at: the commit named by
// refs/main when that snapshot exists, else the only, or newest, snapshot with a config.json.
fs::path pick_snapshot(const fs::path& root) {
  const fs::path snapshots = root / "snapshots";
  if (is_file(root / "refs" / "main")) {
    const std::string hash = trim(read_text(root / "refs" / "main"));
    if (!hash.empty() && hash.find('/') == std::string::npos && hash != "." && hash != ".." &&
        is_dir(snapshots / hash))
      return snapshots / hash;
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(snapshots, ec))
    if (is_dir(entry.path()) && is_file(entry.path() / "config.json")) candidates.push_back(entry.path());
  if (ec) throw Error(snapshots.string() + ": cannot list: " + ec.message());
  if (candidates.empty())
    throw Error(root.string() + ": hub cache folder has no snapshot with a config.json under " + snapshots.string());
  // Newest by modification time; ties broken by name so the choice is deterministic.
  auto newest = candidates.front();
  auto newest_time = fs::last_write_time(newest, ec);
  for (const auto& c : candidates) {
    const auto t = fs::last_write_time(c, ec);
    if (t > newest_time || (t == newest_time && c.filename() > newest.filename())) {
      newest = c;
      newest_time = t;
    }
  }
  return newest;
}

// "DIR: no vocab.txt", or a clearer word when a hub symlink lost its blob.
[[noreturn]] void missing(const fs::path& dir, const char* file) {
  std::error_code ec;
  if (fs::is_symlink(dir / file, ec))
    throw Error((dir / file).string() + ": broken symbolic link (its blob is missing)");
  throw Error(dir.string() + ": no " + file);
}

}  // namespace

ModelFiles resolve_model_dir(const std::string& path) {
  const fs::path root(path);
  std::error_code ec;
  if (!fs::exists(root, ec)) throw Error(path + ": no such file or directory");
  if (!is_dir(root)) throw Error(path + ": not a directory");

  fs::path dir = root;
  if (!fs::exists(root / "config.json", ec) && !fs::is_symlink(root / "config.json", ec)) {
    if (!is_dir(root / "snapshots"))
      throw Error(path + ": no config.json (and no snapshots/ folder of a hub cache)");
    dir = pick_snapshot(root);
  }
  if (!is_file(dir / "config.json")) missing(dir, "config.json");
  const auto present = [&](const char* name) { return is_file(dir / name) ? (dir / name).string() : std::string(); };
  ModelFiles files;
  files.dir = dir.string();
  files.config = (dir / "config.json").string();
  files.tokenizer_json = present("tokenizer.json");
  files.vocab = present("vocab.txt");
  if (!present("vocab.json").empty() && !present("merges.txt").empty()) {
    files.vocab_json = present("vocab.json");
    files.merges = present("merges.txt");
  }
  if (files.tokenizer_json.empty() && files.vocab.empty() && files.vocab_json.empty()) {
    if (fs::is_symlink(dir / "vocab.txt", ec) || fs::is_symlink(dir / "tokenizer.json", ec)) {
      missing(dir, fs::is_symlink(dir / "tokenizer.json", ec) ? "tokenizer.json" : "vocab.txt");
    }
    throw Error(dir.string() + ": no vocab.txt, tokenizer.json, or vocab.json with merges.txt (the tokenizer's files)");
  }
  if (is_file(dir / "tokenizer_config.json")) files.tokenizer_config = (dir / "tokenizer_config.json").string();
  return files;
}

std::vector<std::string> ModelFiles::tokenizer_files() const {
  std::vector<std::string> out;
  for (const std::string* f : {&tokenizer_json, &vocab, &vocab_json, &merges, &tokenizer_config}) {
    if (!f->empty()) out.push_back(*f);
  }
  return out;
}

TokenizerConfig read_tokenizer_config(const ModelFiles& files) {
  TokenizerConfig config;
  if (files.tokenizer_config.empty()) return config;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(files.tokenizer_config));
  } catch (const nlohmann::json::exception& e) {
    throw Error(files.tokenizer_config + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw Error(files.tokenizer_config + ": expected a JSON object");
  // A field that is absent or null keeps its default; anything but true or false is an error.
  const auto flag = [&](const char* name) -> std::optional<bool> {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) {
      throw Error(files.tokenizer_config + ": field '" + name + "' must be true or false, got " + json_preview(*it));
    }
    return it->get<bool>();
  };
  config.do_lower_case = flag("do_lower_case").value_or(true);
  config.strip_accents = flag("strip_accents");
  config.tokenize_chinese_chars = flag("tokenize_chinese_chars").value_or(true);
  return config;
}

bool read_do_lower_case(const ModelFiles& files) { return read_tokenizer_config(files).do_lower_case; }

}  // namespace bertscope
