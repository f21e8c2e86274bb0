// The nesting bound checked before toml++ parses a spec (toml++ recursed once per dotted
// key part and overflowed the stack on a 100 KB spec).
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "experiments/experiment.h"
#include "experiments/toml_nesting.h"
#include "test_util.h"

namespace bertscope {
namespace {

std::string dotted(int parts) {
  std::string key = "a";
  for (int i = 1; i < parts; ++i) key += ".a";
  return key;
}

TEST(TomlNesting, CountsDottedKeysTablesArraysAndInlineTables) {
  EXPECT_NO_THROW(check_toml_nesting(dotted(33) + " = 1\n", "s.toml"));  // 32 dots: at the limit
  test::expect_error([] { check_toml_nesting("x = 1\n" + dotted(34) + " = 1\n", "s.toml"); },
                     {"s.toml:2: nesting deeper than 32 levels"});
  test::expect_error([] { check_toml_nesting("[" + dotted(40) + "]\n", "s.toml"); }, {"s.toml:1: nesting deeper"});
  test::expect_error([] { check_toml_nesting("x = " + std::string(40, '[') + std::string(40, ']') + "\n", "s.toml"); },
                     {"s.toml:1: nesting deeper"});
  test::expect_error([] { check_toml_nesting("x = {y = 1, " + dotted(40) + " = 2}\n", "s.toml"); },
                     {"s.toml:1: nesting deeper"});
}

TEST(TomlNesting, IgnoresStringsCommentsAndNumbers) {
  const std::string many_dots(200, '.');
  EXPECT_NO_THROW(check_toml_nesting("text = \"" + many_dots + "\"\n# " + many_dots + "\nx = '" + many_dots + "'\n",
                                     "s.toml"));
  EXPECT_NO_THROW(check_toml_nesting("t = \"\"\"\n" + many_dots + "\n[[[[" + "\n\"\"\"\n", "s.toml"));
  std::string floats = "v = [";
  for (int i = 0; i < 100; ++i) floats += "1.5, ";
  EXPECT_NO_THROW(check_toml_nesting(floats + "2.5]\n", "s.toml"));
  EXPECT_NO_THROW(check_toml_nesting("x = \"a\\\"" + many_dots + "\"\n", "s.toml"));  // escaped quote
}

// Through the spec reader, as `bertscope run` and the spec fuzzer reach it.
TEST(TomlNesting, SpecReaderRefusesBeforeParsing) {
  std::string key = "a";
  for (int i = 0; i < 50000; ++i) key += ".a";
  test::expect_error([&] { ExperimentSpec::parse_toml(key + " = 1\n", "deep.toml"); },
                     {"deep.toml:1: nesting deeper than 32 levels"});
}

}  // namespace
}  // namespace bertscope
