// The --out folder: made and checked before a run, removed again when the run fails.
#include <gtest/gtest.h>

#include <filesystem>

#include "reports/output_folder.h"
#include "test_util.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;

TEST(OutputFolder, CreatesMissingFoldersAndRemovesThemUnlessCommitted) {
  test::TempDir dir;
  const std::string out = dir.file("a/b/c");
  {
    OutputFolder folder(out);
    EXPECT_TRUE(fs::is_directory(out));
    EXPECT_TRUE(fs::is_empty(out));  // the write test left nothing
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));  // a, b and c are gone again
  {
    OutputFolder folder(out + "/");
    folder.commit();
  }
  EXPECT_TRUE(fs::is_directory(out));
  {
    OutputFolder again(out);  // exists: nothing to create, nothing to remove
  }
  EXPECT_TRUE(fs::is_directory(out));
}

TEST(OutputFolder, KeepsWhatItDidNotCreateAndWhatIsNotEmpty) {
  test::TempDir dir;
  fs::create_directory(dir.file("mine"));
  {
    OutputFolder folder(dir.file("mine/new"));
    test::write_bytes(dir.file("mine/new/results.json"), "{}");
  }
  EXPECT_TRUE(fs::exists(dir.file("mine/new/results.json")));  // rmdir never deletes files
  EXPECT_TRUE(fs::is_directory(dir.file("mine")));
}

TEST(OutputFolder, RefusesPathsThatCannotBeAWritableFolder) {
  test::TempDir dir;
  const std::string file = dir.write("file", "x");
  test::expect_error([&] { OutputFolder f(file + "/out"); },
                     {file + "/out: cannot create the output folder (" + file + " exists and is not a folder)"});
  test::expect_error([&] { OutputFolder f(file); },
                     {file + ": cannot create the output folder (" + file + " exists and is not a folder)"});
  test::expect_error([&] { OutputFolder f("/proc/bertscope-test"); },
                     {"/proc/bertscope-test: cannot create the output folder (No such file or directory)"});
  // A folder that exists but takes no files: /proc/self/fdinfo refuses creation even to root.
  test::expect_error([&] { OutputFolder f("/proc/self/fdinfo"); },
                     {"/proc/self/fdinfo: cannot create the output folder (cannot create a file in it: "});
  test::expect_error([&] { OutputFolder f(""); }, {": cannot create the output folder (empty path)"});
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(OutputFolder, SignalHandlerRemovesFoldersOfUncommittedRuns) {
  test::TempDir dir;
  OutputFolder folder(dir.file("x/y"));
  remove_pending_folders();  // what the CLI's SIGINT handler calls
  EXPECT_FALSE(fs::exists(dir.file("x")));
  folder.commit();
}

}  // namespace
}  // namespace bertscope
