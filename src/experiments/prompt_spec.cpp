#include "experiments/prompt_spec.h"

#include <cstdio>

#include "common/error.h"
#include "common/printable.h"

namespace bertscope {

namespace {

std::string byte_hex(std::string_view text, size_t at) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", static_cast<unsigned char>(text[at]));
  return buffer;
}

}  // namespace

void check_prompt_bytes(std::string_view value, const std::string& where, const std::string& field) {
  if (value.size() > kMaxPromptBytes) {
    throw Error(where + ": the " + field + " is " + std::to_string(value.size()) + " bytes, over the limit of " +
                std::to_string(kMaxPromptBytes) + " bytes for a prompt (a BERT model reads at most a few hundred tokens)");
  }
}

void check_prompt_text(std::string_view value, const std::string& where, const std::string& field) {
  check_prompt_bytes(value, where, field);  // first: the cheap check, and it bounds the others
  if (const size_t at = invalid_utf8_at(value); at != std::string_view::npos) {
    throw Error(where + ": the " + field + " is not valid UTF-8 (byte " + byte_hex(value, at) + " at byte " +
                std::to_string(at) + "); give text as UTF-8");
  }
}

void check_prompt_fields(const PromptSpec& prompt, const std::string& where) {
  check_prompt_text(prompt.text, where, "text");
  check_prompt_text(prompt.target, where, "target");
  check_prompt_text(prompt.other_prompt, where, "other_prompt");
  check_prompt_text(prompt.foil, where, "foil");
  check_prompt_text(prompt.id, where, "id");
  if (const size_t at = control_character_at(prompt.id); at != std::string_view::npos) {
    throw Error(where + ": the id \"" + printable(prompt.id.substr(0, 60)) + "\" holds a control character at byte " +
                std::to_string(at) + "; ids name rows in the result files and must be printable text");
  }
}

}  // namespace bertscope
