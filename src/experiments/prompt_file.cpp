#include "experiments/prompt_file.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_preview.h"
#include "interventions/intervention.h"
#include "common/read_file.h"

namespace bertscope {

namespace {

// A dataset of a million prompts is tens of megabytes; the cap keeps /dev/zero or a wrong
// path from being read without end, and what a legal file costs once tokenized (about 20
// times its bytes) within a machine's memory. Each prompt is capped too (kMaxPromptBytes).
constexpr std::uintmax_t kMaxPromptFileBytes = std::uintmax_t{256} << 20;
constexpr const char* kStdinName = "<stdin>";
constexpr const char* kByteOrderMark = "\xEF\xBB\xBF";

// A row as read, before ids are given: where it started, for the messages.
struct Row {
  PromptSpec prompt;
  int line = 0;
};

[[noreturn]] void fail(const std::string& origin, int line, const std::string& why) {
  throw Error(origin + ":" + std::to_string(line) + ": " + why);
}

// The field of PromptSpec a key or column names, or nullptr.
std::string* field(PromptSpec& prompt, const std::string& name) {
  if (name == "text") return &prompt.text;
  if (name == "target") return &prompt.target;
  if (name == "foil") return &prompt.foil;
  if (name == "other_prompt") return &prompt.other_prompt;
  if (name == "id") return &prompt.id;
  if (name == "positions") return &prompt.positions;
  return nullptr;
}

// "number 7", "array [1,2]", "null": what a value is, shortened, for the messages.
std::string described(const nlohmann::json& value) {
  return value.is_null() ? "null" : std::string(value.type_name()) + " " + json_preview(value);
}

void check_text(const Row& row, const std::string& origin) {
  if (row.prompt.text.empty()) fail(origin, row.line, "the text is empty or missing (every prompt needs a text)");
  if (!row.prompt.positions.empty()) {
    try {
      Positions::parse(row.prompt.positions);
    } catch (const OptionError& e) {
      fail(origin, row.line, "positions" + e.problem());
    }
  }
}

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// The lines of `text` with their 1-based numbers, without the line ends ("\n" or "\r\n").
template <typename Visit>
void for_each_line(std::string_view text, Visit visit) {
  int number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    visit(line, ++number);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

std::vector<Row> parse_json_lines(std::string_view text, const std::string& origin) {
  std::vector<Row> rows;
  for_each_line(text, [&](std::string_view line, int number) {
    if (blank(line)) return;
    nlohmann::json value;
    try {
      // A prompt is one object of strings: anything nested deeper is refused while parsing,
      // before a hostile line ([[[[... a million levels) is built and then torn down recursively.
      value = nlohmann::json::parse(line, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > 1) fail(origin, number, "values must be strings, not arrays or objects");
        return true;
      });
    } catch (const nlohmann::json::parse_error& e) {
      // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ...":
      // the column and the reason, without the library's prefix.
      const std::string what = e.what();
      const size_t at = what.find("column");
      fail(origin, number, "not valid JSON (" + (at == std::string::npos ? what : what.substr(at)) + ")");
    }
    if (!value.is_object()) {
      fail(origin, number, "each line must be a JSON object like {\"text\": \"...\"}, not " + described(value));
    }
    Row row{{}, number};
    for (const auto& [key, item] : value.items()) {
      std::string* into = field(row.prompt, key);
      if (!into) fail(origin, number, "unknown key \"" + text_preview(key, 40) + "\" (the keys are " + kPromptFileFields + ")");
      if (!item.is_string()) fail(origin, number, "\"" + key + "\" must be a string, not " + described(item));
      *into = item.get<std::string>();
    }
    check_text(row, origin);
    rows.push_back(std::move(row));
  });
  return rows;
}

// RFC 4180 records: the fields and the line each record starts on. A line break inside
// quotes belongs to the field; blank lines between records are skipped.
struct CsvRecord {
  std::vector<std::string> fields;
  int line = 0;
};

std::vector<CsvRecord> csv_records(std::string_view text, const std::string& origin) {
  std::vector<CsvRecord> records;
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    // Skip blank lines (only spaces or tabs, or nothing).
    const size_t end = std::min(text.find('\n', i), text.size());
    if (blank(text.substr(i, end - i))) {
      i = end + 1;
      ++line;
      continue;
    }
    CsvRecord record{{}, line};
    for (;;) {  // one field per pass
      std::string cell;
      if (i < text.size() && text[i] == '"') {
        const int opened = line;
        for (++i;; ++i) {
          if (i >= text.size()) fail(origin, opened, "a quoted field is not closed (a \" is missing)");
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              cell += '"';
              ++i;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          cell += text[i];
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
          fail(origin, line, "text after a closing quote; inside a quoted field write a quote as \"\"");
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
          if (text[i] == '"') fail(origin, line, "a quote inside an unquoted field; quote the whole field and write the quote as \"\"");
          cell += text[i++];
        }
      }
      record.fields.push_back(std::move(cell));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    // At a line end or the end of the text.
    if (i < text.size()) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
    }
    records.push_back(std::move(record));
  }
  return records;
}

std::vector<Row> parse_csv(std::string_view text, const std::string& origin) {
  const std::vector<CsvRecord> records = csv_records(text, origin);
  if (records.empty()) return {};
  const CsvRecord& header = records.front();
  std::map<std::string, size_t> seen;
  PromptSpec probe;
  for (size_t c = 0; c < header.fields.size(); ++c) {
    const std::string& name = header.fields[c];
    if (!field(probe, name)) {
      fail(origin, header.line, "unknown column \"" + text_preview(name, 40) + "\" in the header (the columns are " + kPromptFileFields + ")");
    }
    if (!seen.emplace(name, c).second) fail(origin, header.line, "column \"" + name + "\" appears twice in the header");
  }
  if (!seen.count("text")) {
    fail(origin, header.line, std::string("the header has no text column (the first row names the columns: ") + kPromptFileFields + ")");
  }
  std::vector<Row> rows;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    if (record.fields.size() != header.fields.size()) {
      fail(origin, record.line, std::to_string(record.fields.size()) + " field(s), but the header has " +
                                    std::to_string(header.fields.size()));
    }
    Row row{{}, record.line};
    for (const auto& [name, c] : seen) *field(row.prompt, name) = record.fields[c];
    check_text(row, origin);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<Row> parse_text_lines(std::string_view text) {
  std::vector<Row> rows;
  for_each_line(text, [&](std::string_view line, int number) {
    if (!blank(line)) rows.push_back({{std::string(line), "", "", ""}, number});
  });
  return rows;
}

std::string lowercase_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

PromptFormat format_of(const std::string& path) {
  const std::string ext = lowercase_extension(path);
  if (ext == ".jsonl" || ext == ".ndjson") return PromptFormat::JsonLines;
  if (ext == ".csv") return PromptFormat::Csv;
  if (ext == ".txt") return PromptFormat::Text;
  throw Error(path + ": cannot tell the prompt file's format from its name: name it .jsonl or .ndjson (JSON Lines), "
                     ".csv (CSV with a header) or .txt (one text per line)");
}

// Standard input has no name to go by: JSON Lines start with "{" (after a byte order mark,
// which parse_prompt_file skips as well).
PromptFormat sniff(std::string_view text) {
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(std::string_view(kByteOrderMark).size());
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{' ? PromptFormat::JsonLines : PromptFormat::Csv;
}

std::string read_stdin() {
  std::string data;
  char buffer[65536];
  while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
    data.append(buffer, static_cast<size_t>(std::cin.gcount()));
    if (data.size() > kMaxPromptFileBytes) {
      throw Error(std::string(kStdinName) + ": more than " + std::to_string(kMaxPromptFileBytes) +
                  " bytes, the limit for a prompt file");
    }
  }
  return data;
}

}  // namespace

void assign_prompt_ids(std::vector<PromptSpec>& prompts, const std::function<std::string(size_t)>& where) {
  std::vector<bool> given(prompts.size());
  // Every list of prompts comes through here (prompt files, specs, run_experiment): the one
  // place that checks what the result files will hold, each prompt named by where(i).
  for (size_t i = 0; i < prompts.size(); ++i) check_prompt_fields(prompts[i], where(i));
  for (size_t i = 0; i < prompts.size(); ++i) {
    given[i] = !prompts[i].id.empty();
    if (!given[i]) prompts[i].id = std::to_string(i + 1);
  }
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto [at, inserted] = first.emplace(prompts[i].id, i);
    if (inserted) continue;
    const size_t j = at->second;
    throw Error(where(i) + ": duplicate id \"" + text_preview(prompts[i].id, 60) + "\" (first at " + where(j) + ")" +
                (given[i] && given[j] ? "" : "; a prompt without an id is numbered from 1 by its place"));
  }
}

std::vector<PromptSpec> parse_prompt_file(const std::string& text, PromptFormat format, const std::string& origin) {
  std::string_view body = text;
  if (body.starts_with(kByteOrderMark)) body.remove_prefix(std::string_view(kByteOrderMark).size());  // as spreadsheets write
  std::vector<Row> rows = format == PromptFormat::JsonLines ? parse_json_lines(body, origin)
                          : format == PromptFormat::Csv     ? parse_csv(body, origin)
                                                            : parse_text_lines(body);
  if (rows.empty()) throw Error(origin + ": no prompt in the file");
  std::vector<PromptSpec> prompts;
  for (Row& row : rows) prompts.push_back(std::move(row.prompt));
  assign_prompt_ids(prompts, [&](size_t i) { return origin + ":" + std::to_string(rows[i].line); });
  return prompts;
}

std::vector<PromptSpec> read_prompt_file(const std::string& path) {
  if (path == "-") {
    const std::string text = read_stdin();
    return parse_prompt_file(text, sniff(text), kStdinName);
  }
  const PromptFormat format = format_of(path);
  return parse_prompt_file(read_small_file(path, kMaxPromptFileBytes), format, path);
}

}  // namespace bertscope
