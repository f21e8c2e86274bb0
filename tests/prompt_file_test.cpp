// Prompt files: JSON Lines, CSV (RFC 4180) and text, their ids, and every bad row as an
// error naming FILE:LINE.
#include <gtest/gtest.h>

#include "experiments/prompt_file.h"
#include "test_support.h"

namespace bertscope {
namespace {

std::vector<PromptSpec> parse(const std::string& text, PromptFormat format) {
  return parse_prompt_file(text, format, "data");
}

std::string error_of(const std::string& text, PromptFormat format) {
  try {
    parse(text, format);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

void expect_prompt(const PromptSpec& p, const std::string& text, const std::string& target, const std::string& other,
                   const std::string& id) {
  EXPECT_EQ(p.text, text);
  EXPECT_EQ(p.target, target);
  EXPECT_EQ(p.other_prompt, other);
  EXPECT_EQ(p.id, id);
}

TEST(PromptFile, JsonLinesInAnyKeyOrderWithBlankLinesAndDefaultIds) {
  const auto prompts = parse(
      "{\"text\": \"The capital of France is [MASK].\", \"target\": \"paris\", \"id\": \"fr\"}\n"
      "\n   \n"
      "{\"target\": \"behind\", \"other_prompt\": \"a [MASK] b\", \"text\": \"Caf\\u00e9 [MASK] \\\"q\\\", x\"}\r\n"
      "{\"text\": \"third [MASK]\"}",
      PromptFormat::JsonLines);
  ASSERT_EQ(prompts.size(), 3u);
  expect_prompt(prompts[0], "The capital of France is [MASK].", "paris", "", "fr");
  expect_prompt(prompts[1], "Caf\xc3\xa9 [MASK] \"q\", x", "behind", "a [MASK] b", "2");  // its place, not its line (4)
  expect_prompt(prompts[2], "third [MASK]", "", "", "3");
}

TEST(PromptFile, CsvWithQuotedCommasQuotesAndLineBreaksInAnyColumnOrder) {
  const std::string csv =
      "\xEF\xBB\xBFid,target,text\r\n"  // a byte order mark, as spreadsheets write it
      "a,paris,\"The capital of France, they say, is [MASK].\"\r\n"
      ",behind,\"He said \"\"stop\"\" [MASK] the\nline break\"\n"
      "\n"
      "c,,plain [MASK]\n";
  const auto prompts = parse(csv, PromptFormat::Csv);
  ASSERT_EQ(prompts.size(), 3u);
  expect_prompt(prompts[0], "The capital of France, they say, is [MASK].", "paris", "", "a");
  expect_prompt(prompts[1], "He said \"stop\" [MASK] the\nline break", "behind", "", "2");  // empty cell: no id
  expect_prompt(prompts[2], "plain [MASK]", "", "", "c");
  // Lines are counted through the line break inside the quotes: the row after it is on line 6.
  EXPECT_EQ(error_of(csv + "d,x\n", PromptFormat::Csv), "data:7: 2 field(s), but the header has 3");
  EXPECT_EQ(error_of("text,other_prompt\n\"a [MASK]\",\"b [MASK]\"", PromptFormat::Csv), "no error");
  expect_prompt(parse("other_prompt,text\n\"b [MASK]\",\"a [MASK]\"", PromptFormat::Csv)[0], "a [MASK]", "", "b [MASK]", "1");
  // A foil column, as JSON Lines' "foil" key.
  EXPECT_EQ(parse("text,target,foil\n\"[MASK] went home\",he,she\n", PromptFormat::Csv)[0].foil, "she");
  EXPECT_EQ(parse("{\"text\": \"[MASK] went\", \"target\": \"he\", \"foil\": \"she\"}", PromptFormat::JsonLines)[0].foil, "she");
}

TEST(PromptFile, TextIsOnePromptPerNonBlankLine) {
  const auto prompts = parse("first [MASK]\r\n\n  \nsecond, with \"quotes\" [MASK]\n", PromptFormat::Text);
  ASSERT_EQ(prompts.size(), 2u);
  expect_prompt(prompts[0], "first [MASK]", "", "", "1");
  expect_prompt(prompts[1], "second, with \"quotes\" [MASK]", "", "", "2");
}

TEST(PromptFile, EveryBadRowNamesTheFileAndLine) {
  const PromptFormat J = PromptFormat::JsonLines, C = PromptFormat::Csv;
  const std::string ok = "{\"text\": \"a [MASK]\"}\n";
  const std::vector<std::tuple<std::string, PromptFormat, std::string>> cases = {
      {ok + "{\"text\": \"b\"\n", J, "data:2: not valid JSON (column 13: syntax error while parsing object"},
      {ok + "\n[1,2]\n", J, "data:3: each line must be a JSON object like {\"text\": \"...\"}, not array [1,2]"},
      {ok + "{\"text\": \"b\", \"txt\": \"c\"}\n", J, "data:2: unknown key \"txt\" (the keys are text, target, foil, other_prompt, id, positions)"},
      {ok + "{\"text\": \"b\", \"id\": 7}\n", J, "data:2: \"id\" must be a string, not number 7"},
      {ok + "{\"text\": \"b\", \"target\": null}\n", J, "data:2: \"target\" must be a string, not null"},
      {ok + "{\"text\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}\n", J,
       "data:2: values must be strings, not arrays or objects"},
      {ok + "{\"target\": \"b\"}\n", J, "data:2: the text is empty or missing (every prompt needs a text)"},
      {ok + "{\"text\": \"\"}\n", J, "data:2: the text is empty or missing"},
      {"text,prompt\na,b\n", C, "data:1: unknown column \"prompt\" in the header (the columns are text, target, foil, other_prompt, id, positions)"},
      {"target,id\na,b\n", C, "data:1: the header has no text column"},
      {"text,target,target\na,b,c\n", C, "data:1: column \"target\" appears twice in the header"},
      {"text,target\na [MASK],b\nc [MASK]\n", C, "data:3: 1 field(s), but the header has 2"},
      {"text,target\na [MASK],b,c\n", C, "data:2: 3 field(s), but the header has 2"},
      {"text\nsay \"hi\" [MASK]\n", C, "data:2: a quote inside an unquoted field"},
      {"text\n\"say\" hi [MASK]\n", C, "data:2: text after a closing quote"},
      {"text,id\nx,y\n\"never\nclosed\n", C, "data:3: a quoted field is not closed (a \" is missing)"},
      {"text,id\n,y\n", C, "data:2: the text is empty or missing"},
      {"", J, "data: no prompt in the file"},
      {"\n \n", C, "data: no prompt in the file"},
      {"text,target\n", C, "data: no prompt in the file"},
  };
  for (const auto& [text, format, expected] : cases) {
    SCOPED_TRACE(text);
    const std::string message = error_of(text, format);
    EXPECT_EQ(message.substr(0, expected.size()), expected) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(PromptFile, IdsAreUniqueAndTheErrorNamesBothLines) {
  EXPECT_EQ(error_of("{\"text\": \"a\", \"id\": \"x\"}\n\n{\"text\": \"b\", \"id\": \"x\"}\n", PromptFormat::JsonLines),
            "data:3: duplicate id \"x\" (first at data:1)");
  // A given id that is another row's default number: the message says where the default came from.
  EXPECT_EQ(error_of("text,id\na,\nb,1\n", PromptFormat::Csv),
            "data:3: duplicate id \"1\" (first at data:2); a prompt without an id is numbered from 1 by its place");
  std::vector<PromptSpec> given = {{"a", "", "", ""}, {"b", "", "", "z"}, {"c", "", "", ""}};
  assign_prompt_ids(given, [](size_t i) { return std::to_string(i); });
  EXPECT_EQ(given[0].id, "1");
  EXPECT_EQ(given[1].id, "z");
  EXPECT_EQ(given[2].id, "3");
}

TEST(PromptFile, TheFormatFollowsTheExtension) {
  test::TempDir dir;
  const std::string row = "{\"text\": \"a [MASK]\", \"id\": \"j\"}\n";
  EXPECT_EQ(read_prompt_file(dir.write("p.jsonl", row)).at(0).id, "j");
  EXPECT_EQ(read_prompt_file(dir.write("p.NDJSON", row)).at(0).id, "j");
  EXPECT_EQ(read_prompt_file(dir.write("p.CSV", "text,id\na [MASK],c\n")).at(0).id, "c");
  EXPECT_EQ(read_prompt_file(dir.write("p.txt", row)).at(0).text, row.substr(0, row.size() - 1));  // a text, verbatim
  test::expect_error([&] { read_prompt_file(dir.write("p.tsv", "text\n")); },
                     {dir.file("p.tsv") + ": cannot tell the prompt file's format from its name", ".jsonl", ".csv", ".txt"});
  test::expect_error([&] { read_prompt_file(dir.write("empty.jsonl", "")); }, {dir.file("empty.jsonl") + ": no prompt in the file"});
  test::expect_error([&] { read_prompt_file(dir.file("absent.csv")); }, {dir.file("absent.csv") + ": cannot read"});
}

}  // namespace
}  // namespace bertscope
