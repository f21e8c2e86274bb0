// Reading the small files bertscope takes from outside, with a size cap.
#include <gtest/gtest.h>

#include "common/read_file.h"
#include "test_util.h"

namespace bertscope {
namespace {


TEST(ReadSmallFile, ReadsAndRefusesWhatIsNotASmallRegularFile) {
  test::TempDir dir;
  const std::string ok = dir.write("ok.json", "{\"a\": 1}");
  EXPECT_EQ(read_small_file(ok, 100), "{\"a\": 1}");
  EXPECT_EQ(read_small_file(ok, 8), "{\"a\": 1}");  // exactly at the limit
  test::expect_error([&] { read_small_file(ok, 7); },
                     {ok + ": file is 8 bytes, over the limit of 7 bytes for this kind of file"});
  test::expect_error([&] { read_small_file(dir.file("absent"), 100); },
                     {dir.file("absent") + ": cannot read: No such file or directory"});
  test::expect_error([&] { read_small_file(dir.path().string(), 100); },
                     {dir.path().string() + ": cannot read: not a regular file"});
  test::expect_error([&] { read_small_file("/dev/zero", 100); }, {"/dev/zero: cannot read: not a regular file"});
  // /proc files claim 0 bytes: the limit must hold while reading, not only by stat().
  EXPECT_FALSE(read_small_file("/proc/self/status", 1 << 20).empty());
  test::expect_error([&] { read_small_file("/proc/self/status", 10); },
                     {"/proc/self/status: file holds more than 10 bytes, the limit for this kind of file"});
}

}  // namespace
}  // namespace bertscope
