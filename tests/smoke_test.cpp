#include <gtest/gtest.h>

#include "common/error.h"

TEST(Error, CarriesMessage) {
  bertscope::Error e("config.json: missing field hidden_size");
  EXPECT_STREQ(e.what(), "config.json: missing field hidden_size");
}
