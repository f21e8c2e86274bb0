#include <fstream>

#include "commands/commands.h"
#include "common/error.h"

namespace bertscope::cli {

std::vector<std::string> read_prompt_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read the prompt file");
  std::vector<std::string> texts;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) texts.push_back(line);
  }
  if (texts.empty()) throw Error(path + ": no prompt in the file (one text per line)");
  return texts;
}

}  // namespace bertscope::cli
