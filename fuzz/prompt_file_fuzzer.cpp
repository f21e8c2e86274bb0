// Fuzz target: a prompt file (experiments/prompt_file.h) in each format, and the checks of
// what its prompts may hold: well-formed UTF-8, at most kMaxPromptBytes per field, ids
// without control characters. The first byte picks the format; when its high bit is set,
// the rest of the input is repeated into one line just over the per-prompt limit, so the
// size check is reached from every format.
#include <cstdint>
#include <string>

#include "common/printable.h"
#include "experiments/prompt_file.h"
#include "fuzz_support.h"

using namespace bertscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const PromptFormat formats[] = {PromptFormat::JsonLines, PromptFormat::Csv, PromptFormat::Text};
  const PromptFormat format = formats[data[0] % 3];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 0x80) != 0 && !text.empty()) {
    std::string line;
    while (line.size() <= kMaxPromptBytes) line += text;
    for (char& c : line) c = c == '\n' ? ' ' : c;
    text += "\n" + line + "\n";
  }
  const std::string origin = "fuzz/prompts";
  try {
    for (const PromptSpec& p : parse_prompt_file(text, format, origin)) {
      for (const std::string* field : {&p.text, &p.target, &p.other_prompt, &p.id}) {
        fuzz::expect(field->size() <= kMaxPromptBytes, "a field over kMaxPromptBytes was accepted");
        fuzz::expect(invalid_utf8_at(*field) == std::string::npos, "a field that is not UTF-8 was accepted");
      }
      fuzz::expect(!p.text.empty(), "a prompt without text was accepted");
      fuzz::expect(!p.id.empty() && control_character_at(p.id) == std::string::npos, "an id with a control character");
    }
  } catch (const Error& e) {
    fuzz::check_refusal(e, origin);
  }
  return 0;
}
