#include "tokenizer/vocab.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <system_error>

#include "common/error.h"
#include "tokenizer/unicode_text.h"

namespace bertscope {

namespace {

// bert-base vocabularies are ~230 KB and multilingual ones a few MB: anything near
// these limits is not a vocabulary, and refusing early avoids allocating for it.
constexpr std::uintmax_t kMaxFileBytes = 100ull * 1024 * 1024;
// WordPiece never matches a token over 100 code points (plus "##"), i.e. at most
// ~400 bytes, so a longer line can only be a wrong file.
constexpr size_t kMaxLineBytes = 1024;

constexpr const char* kSpecialTokens[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

// Python's text-mode readlines() with universal newlines, as HF load_vocab uses:
// "\n", "\r\n" and a lone "\r" each end a line; a final line needs no terminator.
std::vector<std::string> split_lines(const std::string& data, const std::string& path) {
  std::vector<std::string> lines;
  size_t start = 0;
  size_t i = 0;
  auto add = [&](size_t end) {
    const size_t number = lines.size() + 1;
    if (end - start > kMaxLineBytes) {
      throw Error(path + ": line " + std::to_string(number) + " is " + std::to_string(end - start) +
                  " bytes long (limit " + std::to_string(kMaxLineBytes) +
                  "); this is not a WordPiece vocabulary");
    }
    std::string line = data.substr(start, end - start);
    if (!unicode::is_valid_utf8(line)) {
      throw Error(path + ": line " + std::to_string(number) + " is not valid UTF-8");
    }
    lines.push_back(std::move(line));
  };
  while (i < data.size()) {
    if (data[i] == '\n' || data[i] == '\r') {
      add(i);
      i += (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ? 2 : 1;
      start = i;
    } else {
      ++i;
    }
  }
  if (start < data.size()) add(data.size());
  return lines;
}

}  // namespace

Vocab Vocab::load(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    throw Error(path + ": vocabulary file not found");
  }
  if (!fs::is_regular_file(status)) {
    throw Error(path + ": vocabulary path is not a regular file");
  }
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error(path + ": cannot read vocabulary file size: " + ec.message());
  if (size > kMaxFileBytes) {
    throw Error(path + ": vocabulary file is " + std::to_string(size) +
                " bytes, over the limit of " + std::to_string(kMaxFileBytes) + " bytes");
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open vocabulary file: " + std::strerror(errno));
  std::string data(static_cast<size_t>(size), '\0');
  in.read(data.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) {
    throw Error(path + ": cannot read vocabulary file (read " + std::to_string(in.gcount()) + " of " +
                std::to_string(size) + " bytes)");
  }
  return from_tokens(split_lines(data, path), path);
}

Vocab Vocab::from_tokens(std::vector<std::string> tokens, const std::string& origin) {
  if (tokens.empty()) throw Error(origin + ": vocabulary is empty");
  if (tokens.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw Error(origin + ": vocabulary has " + std::to_string(tokens.size()) + " tokens, too many for int ids");
  }
  Vocab vocab;
  vocab.ids_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    // HF would silently let the later line win, shifting ids the model was trained on.
    const auto [it, inserted] = vocab.ids_.try_emplace(tokens[i], static_cast<int>(i));
    if (!inserted) {
      throw Error(origin + ": duplicate token \"" + tokens[i] + "\" on line " + std::to_string(i + 1) +
                  " (first on line " + std::to_string(it->second + 1) + ")");
    }
  }
  vocab.tokens_ = std::move(tokens);

  std::string missing;
  for (const char* special : kSpecialTokens) {
    if (!vocab.find(special)) missing += std::string(missing.empty() ? "" : " ") + special;
  }
  if (!missing.empty()) throw Error(origin + ": vocabulary lacks special token(s) " + missing);
  vocab.pad_ = *vocab.find("[PAD]");
  vocab.unk_ = *vocab.find("[UNK]");
  vocab.cls_ = *vocab.find("[CLS]");
  vocab.sep_ = *vocab.find("[SEP]");
  vocab.mask_ = *vocab.find("[MASK]");
  return vocab;
}

Vocab Vocab::from_id_tokens(std::vector<std::string> tokens, const SpecialTokenNames& specials,
                            const std::string& origin) {
  if (tokens.empty()) throw Error(origin + ": vocabulary is empty");
  if (tokens.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw Error(origin + ": vocabulary has " + std::to_string(tokens.size()) + " tokens, too many for int ids");
  }
  Vocab vocab;
  vocab.ids_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].empty()) {
      vocab.ids_.try_emplace(tokens[i], static_cast<int>(i));
    } else {
      // An id no token uses is named like an extra embedding row, and never found.
      tokens[i] = "[id " + std::to_string(i) + "]";
    }
  }
  vocab.tokens_ = std::move(tokens);
  auto id_of = [&](const std::string& name) { return name.empty() ? -1 : vocab.find(name).value_or(-1); };
  vocab.unk_ = id_of(specials.unk);
  vocab.cls_ = id_of(specials.cls);
  vocab.sep_ = id_of(specials.sep);
  vocab.pad_ = id_of(specials.pad);
  vocab.mask_ = id_of(specials.mask);
  vocab.bos_ = id_of(specials.bos);
  vocab.eos_ = id_of(specials.eos);
  return vocab;
}

void Vocab::name_extra_rows(int rows) {
  // Names only, not indexed: "[id 123]" fits the small-string buffer, about 32 bytes a row.
  for (int id = size(); id < rows; ++id) tokens_.push_back("[id " + std::to_string(id) + "]");
}

std::optional<int> Vocab::find(std::string_view token) const {
  const auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace bertscope
