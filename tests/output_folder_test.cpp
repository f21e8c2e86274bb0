// The --out folder: checked, locked and staged before a run; swapped in whole on commit;
// removed again when the run fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "common/error.h"
#include "reports/output_folder.h"
#include "test_util.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(OutputFolder, CreatesMissingFoldersAndRemovesThemUnlessCommitted) {
  test::TempDir dir;
  const std::string out = dir.file("a/b/c");
  {
    OutputFolder folder(out);
    EXPECT_TRUE(fs::is_directory(folder.staging()));
    EXPECT_TRUE(fs::is_empty(folder.staging()));
    EXPECT_FALSE(fs::exists(out));  // appears only on commit
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));  // a, b, the staging folder and the lock are gone again
  {
    OutputFolder folder(out + "/");
    test::write_bytes(folder.staging() + "/results.json", "{}");
    EXPECT_EQ(folder.published(folder.staging() + "/results.json"), out + "/results.json");
    folder.commit();
  }
  EXPECT_EQ(names(dir.file("a/b")), std::vector<std::string>{"c"});  // no staging folder, no lock beside it
  EXPECT_EQ(names(out), std::vector<std::string>{"results.json"});
}

// All or nothing: the earlier run's files stay whole until commit(), and afterwards only
// the new run's files are there (none of the earlier run's mixed in).
TEST(OutputFolder, SwapsTheWholeFolderOnCommit) {
  test::TempDir dir;
  const std::string out = dir.file("out");
  fs::create_directory(out);
  test::write_bytes(out + "/results.json", "old");
  test::write_bytes(out + "/old-figure.svg", "old");
  {
    OutputFolder folder(out);
    test::write_bytes(folder.staging() + "/results.json", "new");
    EXPECT_EQ(names(out), (std::vector<std::string>{"old-figure.svg", "results.json"}));
    EXPECT_EQ(test::read_bytes(out + "/results.json"), "old");
    folder.commit();
  }
  EXPECT_EQ(names(out), std::vector<std::string>{"results.json"});
  EXPECT_EQ(test::read_bytes(out + "/results.json"), "new");
  EXPECT_EQ(names(dir.path()), std::vector<std::string>{"out"});
  {
    OutputFolder folder(out);  // uncommitted: the folder keeps what it had
    test::write_bytes(folder.staging() + "/results.json", "newer");
  }
  EXPECT_EQ(test::read_bytes(out + "/results.json"), "new");
  EXPECT_EQ(names(dir.path()), std::vector<std::string>{"out"});
}

// A folder that is replaced as a whole must be an earlier run's: `--out ~` must not wipe a
// home folder.
TEST(OutputFolder, RefusesToReplaceAFolderThatIsNotAnEarlierRun) {
  test::TempDir dir;
  fs::create_directory(dir.file("notes"));
  test::write_bytes(dir.file("notes/thesis.tex"), "years of work");
  test::expect_error([&] { OutputFolder f(dir.file("notes")); },
                     {dir.file("notes") + ": cannot create the output folder (it exists and is not an earlier bertscope "
                                          "output folder (no results.json, patch-grid.json, lens.json or shard.json); choose a new or "
                                          "empty folder)"});
  fs::create_directory(dir.file("run"));
  test::write_bytes(dir.file("run/results.json"), "{}");
  fs::create_directory(dir.file("run/sub"));
  test::expect_error([&] { OutputFolder f(dir.file("run")); }, {dir.file("run") + ": cannot create the output folder (it exists and holds sub, "});
  fs::create_directory(dir.file("empty"));
  OutputFolder empty(dir.file("empty"));  // an empty folder is fine
  EXPECT_EQ(test::read_bytes(dir.file("notes/thesis.tex")), "years of work");
}

// A second run into the same folder fails at once instead of interleaving its files.
TEST(OutputFolder, SecondWriterOfTheSameFolderFailsAtOnce) {
  test::TempDir dir;
  const std::string out = dir.file("out");
  OutputFolder first(out);
  test::expect_error([&] { OutputFolder second(out); },
                     {out + ": another bertscope run is writing this output folder (it holds the lock " + dir.file(".out.bertscope-lock")});
  first.commit();
  OutputFolder third(out);  // free again
}

TEST(OutputFolder, RefusesPathsThatCannotBeAWritableFolder) {
  test::TempDir dir;
  const std::string file = dir.write("file", "x");
  test::expect_error([&] { OutputFolder f(file + "/out"); },
                     {file + "/out: cannot create the output folder (" + file + " exists and is not a folder)"});
  test::expect_error([&] { OutputFolder f(file); },
                     {file + ": cannot create the output folder (" + file + " exists and is not a folder)"});
  test::expect_error([&] { OutputFolder f("/proc/bertscope-test"); },
                     {"/proc/bertscope-test: cannot create the output folder (cannot create a file beside it: "});
  test::expect_error([&] { OutputFolder f("/proc/self/fdinfo"); },
                     {"/proc/self/fdinfo: cannot create the output folder (cannot create a file beside it: "});
  test::expect_error([&] { OutputFolder f(""); }, {": cannot create the output folder (empty path)"});
  test::expect_error([&] { OutputFolder f("/"); }, {"/: cannot create the output folder (it is the root folder)"});
  fs::create_directory_symlink(dir.path(), dir.file("link"));
  test::expect_error([&] { OutputFolder f(dir.file("link")); }, {dir.file("link") + ": cannot create the output folder (it is a symbolic link"});
  EXPECT_EQ(names(dir.path()), (std::vector<std::string>{"file", "link"}));
}

// What the CLI's signal handler calls: it removes the staging folder with everything in it,
// however many files and folders (the handler's tables used to hold 16 folders and 32
// files), the folders the run created and its lock.
TEST(OutputFolder, SignalHandlerRemovesEverythingOfUncommittedRuns) {
  test::TempDir dir;
  std::string deep = dir.file("x");
  for (int i = 0; i < 40; ++i) deep += "/d" + std::to_string(i);
  OutputFolder folder(deep);
  std::string nested = folder.staging();
  for (int i = 0; i < 30; ++i) {
    nested += "/n" + std::to_string(i);
    fs::create_directory(nested);
    for (int f = 0; f < 20; ++f) test::write_bytes(nested + "/f" + std::to_string(f), "x");
  }
  remove_pending_folders();
  EXPECT_FALSE(fs::exists(dir.file("x")));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace bertscope
