// The README's commands and code are what CI runs and what the consumer test builds: a
// change to one without the other fails here.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace bertscope {
namespace {

std::string source_file(const std::string& relative) {
  return test::read_bytes(std::string(BERTSCOPE_TEST_DATA) + "/../../" + relative);
}

// The body of the first fenced block of `language` in `markdown` that contains `marker`.
std::string fenced_block(const std::string& markdown, const std::string& language, const std::string& marker = "") {
  const std::string open = "```" + language + "\n";
  for (size_t at = markdown.find(open); at != std::string::npos; at = markdown.find(open, at + 1)) {
    const size_t begin = at + open.size(), end = markdown.find("```", begin);
    if (end == std::string::npos) break;
    const std::string body = markdown.substr(begin, end - begin);
    if (body.find(marker) != std::string::npos) return body;
  }
  return "";
}

// Shell commands of a block, one per line, comments and surrounding blanks dropped.
std::vector<std::string> commands_of(const std::string& block) {
  std::vector<std::string> commands;
  std::istringstream lines(block);
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find('#'));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!line.empty()) commands.push_back(line);
  }
  return commands;
}

TEST(Readme, TheFreshMachineCommandsAreTheOnesCiRunsInTheFreshChroot) {
  const std::vector<std::string> readme = commands_of(fenced_block(source_file("README.md"), "sh"));
  ASSERT_EQ(readme.size(), 2u) << "the README's first screen gives a fresh machine exactly two commands";
  // .ci/run's first step: step "..." ../shared/tools/fresh-debian-check . -- bash -c 'A && B'
  const std::string ci = source_file(".ci/run");
  const size_t step = ci.find("\nstep \"");
  ASSERT_NE(step, std::string::npos) << ".ci/run has no step";
  const std::string first = ci.substr(step + 1, ci.find('\n', step + 1) - step - 1);
  const std::string fresh = "../shared/tools/fresh-debian-check . -- bash -c '";
  const size_t open = first.find(fresh);
  ASSERT_NE(open, std::string::npos) << "the first step of .ci/run is not the fresh-chroot check: " << first;
  EXPECT_EQ(first.substr(open + fresh.size()), readme[0] + " && " + readme[1] + "'");
}

TEST(Readme, TheCppExampleIsTheOneTheConsumerTestBuilds) {
  const std::string example = source_file("tests/consumer/example.cpp");
  const std::string shown = fenced_block(source_file("README.md"), "cpp", "#include <bertscope/bertscope.h>");
  ASSERT_FALSE(shown.empty()) << "the README has no C++ example including <bertscope/bertscope.h>";
  EXPECT_EQ(shown, example) << "README.md's C++ example differs from tests/consumer/example.cpp";
}

}  // namespace
}  // namespace bertscope
