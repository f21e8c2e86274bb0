// Error text made safe to print on one line: controls and invalid UTF-8 escaped, the rest kept.
#include <gtest/gtest.h>

#include "common/printable.h"

namespace bertscope {
namespace {


TEST(Printable, EscapesControlsAndInvalidUtf8Only) {
  EXPECT_EQ(printable("plain caf\xc3\xa9 \xe4\xbd\xa0 \xf0\x9f\x98\x80"), "plain caf\xc3\xa9 \xe4\xbd\xa0 \xf0\x9f\x98\x80");
  EXPECT_EQ(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(printable("\x1b[2J\x7f"), "\\x1B[2J\\x7F");
  EXPECT_EQ(printable(std::string("nul\0!", 5)), "nul\\x00!");
  EXPECT_EQ(printable("csi \xc2\x9b" "31m"), "csi \\u009B31m");
  EXPECT_EQ(printable("bad \xff\xc3 \xed\xa0\x80 \xe2\x82"), "bad \\xFF\\xC3 \\xED\\xA0\\x80 \\xE2\\x82");
  EXPECT_EQ(printable("\xc2\xa0nbsp"), "\xc2\xa0nbsp");  // U+00A0 is not a control
}

}  // namespace
}  // namespace bertscope
