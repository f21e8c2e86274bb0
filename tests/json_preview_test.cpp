// Bounded JSON previews for error messages: what they print, and that deep or long values
// are cut without recursing.
#include <gtest/gtest.h>

#include "common/json_preview.h"

namespace bertscope {
namespace {

using nlohmann::json;

TEST(JsonPreview, ShortValuesPrintAsCompactJson) {
  EXPECT_EQ(json_preview(json::parse(R"([-1, 2])")), "[-1,2]");
  EXPECT_EQ(json_preview(json::parse(R"({"a": [1, {"b": null}], "c": "x"})")), R"({"a":[1,{"b":null}],"c":"x"})");
  EXPECT_EQ(json_preview(json("32")), "\"32\"");
  EXPECT_EQ(json_preview(json(2.5)), "2.5");
  EXPECT_EQ(json_preview(json::array()), "[]");
}

TEST(JsonPreview, DeepOrLongValuesAreCutWithoutRecursing) {
  // 300000 levels: nlohmann's dump() recurses once per level and overflows the stack.
  const std::string deep = std::string(300000, '[') + std::string(300000, ']');
  const std::string preview = json_preview(json::parse(deep), 20);
  EXPECT_EQ(preview, std::string(17, '[') + "...");
  const std::string long_string(1000000, 'x');
  EXPECT_EQ(json_preview(json(long_string), 10), "\"xxxxxx...");
  EXPECT_EQ(json_preview(json(std::vector<int>(100, 1)), 8), "[1,1,...");
}

TEST(TextPreview, CutsOnlyBetweenUtf8Sequences) {
  EXPECT_EQ(text_preview("short", 10), "short");
  EXPECT_EQ(text_preview("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 6), "\xc3\xa9...");  // 5 bytes kept would split
  EXPECT_EQ(text_preview(std::string(300, 'n')).size(), 200u);
}

}  // namespace
}  // namespace bertscope
