// Atomic writes: the target appears complete or not at all, and no temporary survives.
#include "common/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "test_util.h"

using namespace bertscope;
using namespace bertscope::test;
namespace fs = std::filesystem;

namespace {
size_t entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}
}  // namespace

TEST(AtomicFile, WritesExactlyTheFile) {
  TempDir dir;
  const std::string path = dir.file("out.txt");
  write_file_atomic(path, "hello\n");
  EXPECT_EQ(read_bytes(path), "hello\n");
  write_file_atomic(path, std::string("\0binary\0", 8));  // replaces, binary-safe
  EXPECT_EQ(read_bytes(path), std::string("\0binary\0", 8));
  EXPECT_EQ(entries(dir.path()), 1u);  // no .tmp leftovers
}

TEST(AtomicFile, MissingFolderThrowsNamingPath) {
  TempDir dir;
  const std::string path = dir.file("no/such/folder/out.txt");
  expect_error([&] { write_file_atomic(path, "x"); }, {path + ": cannot create temporary file", "No such file"});
  EXPECT_EQ(entries(dir.path()), 0u);
  // A regular file where a folder should be.
  write_bytes(dir.file("plain"), "x");
  expect_error([&] { write_file_atomic(dir.file("plain") + "/out.txt", "x"); }, {dir.file("plain") + "/out.txt: "});
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(AtomicFile, UnwritableFolderThrowsNamingPath) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores folder permissions";
  TempDir dir;
  fs::create_directory(dir.path() / "ro");
  fs::permissions(dir.path() / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  const std::string path = dir.file("ro/out.txt");
  expect_error([&] { write_file_atomic(path, "x"); }, {path + ": cannot create temporary file", "Permission denied"});
  fs::permissions(dir.path() / "ro", fs::perms::owner_all);
  EXPECT_EQ(entries(dir.path() / "ro"), 0u);
}

TEST(AtomicFile, FailedRenameRemovesTemporary) {
  TempDir dir;
  // The target becomes a non-empty folder after the writer checked it: everything succeeds
  // up to rename(), which fails.
  const std::string path = dir.file("target");
  AtomicFileWriter writer(path);
  writer.write("data");
  fs::create_directories(dir.path() / "target" / "inside");
  expect_error([&] { writer.commit(); }, {path + ": cannot rename"});
  EXPECT_EQ(entries(dir.path()), 1u);  // just the folder
  EXPECT_TRUE(fs::is_directory(path));
}

TEST(AtomicFile, AbandonedWriterLeavesOldFileAlone) {
  TempDir dir;
  const std::string path = dir.file("out.txt");
  write_file_atomic(path, "old");
  {
    AtomicFileWriter w(path);
    w.write("new, half written");
    EXPECT_TRUE(fs::exists(w.temp_path()));
    EXPECT_EQ(fs::path(w.temp_path()).parent_path(), dir.path());  // same folder: rename is atomic
  }  // destroyed without commit(), as during an exception
  EXPECT_EQ(read_bytes(path), "old");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(AtomicFile, StreamingWriterCommits) {
  TempDir dir;
  const std::string path = dir.file("big.bin");
  AtomicFileWriter w(path);
  for (int i = 0; i < 100; ++i) w.write(std::string(1000, static_cast<char>('a' + i % 26)));
  EXPECT_FALSE(fs::exists(path));  // not visible before commit
  w.commit();
  EXPECT_EQ(fs::file_size(path), 100000u);
  EXPECT_EQ(entries(dir.path()), 1u);
  expect_error([&] { w.write("more"); }, {path + ": write after the file was committed"});
}

TEST(AtomicFile, RemovePendingFilesUnlinksTemporaries) {
  TempDir dir;
  AtomicFileWriter a(dir.file("a.txt"));
  AtomicFileWriter b(dir.file("b.txt"));
  a.write("x");
  EXPECT_NE(a.temp_path(), b.temp_path());
  EXPECT_EQ(entries(dir.path()), 2u);
  remove_pending_files();  // what the SIGINT handler calls
  EXPECT_EQ(entries(dir.path()), 0u);
}

// The signal handler's list has no fixed size: it used to hold 32 temporaries, and a run
// writing more left the rest behind on Ctrl-C.
TEST(AtomicFile, RemovePendingFilesHasNoLimit) {
  TempDir dir;
  std::vector<std::unique_ptr<AtomicFileWriter>> writers;
  for (int i = 0; i < 200; ++i) writers.push_back(std::make_unique<AtomicFileWriter>(dir.file("f" + std::to_string(i))));
  EXPECT_EQ(entries(dir.path()), 200u);
  remove_pending_files();
  EXPECT_EQ(entries(dir.path()), 0u);
}

// Outputs are only regular files: a FIFO, a device or a symlink at the path is refused, not
// replaced (as root, --out /dev/stdout replaced the system's /dev/stdout).
TEST(AtomicFile, RefusesToReplaceAnythingButARegularFile) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  fs::create_symlink(dir.write("target", "keep"), dir.file("link"));
  expect_error([&] { AtomicFileWriter w(dir.file("fifo")); }, {dir.file("fifo") + ": is a FIFO; bertscope writes only"});
  expect_error([&] { AtomicFileWriter w(dir.file("link")); }, {dir.file("link") + ": is a symbolic link;"});
  // Only the check: should it ever pass a device, nothing is written (as root, a write here
  // would replace the system's /dev/null).
  expect_error([&] { check_output_file("/dev/null"); }, {"/dev/null: is a device;"});
  expect_error([&] { check_output_file(dir.path().string()); }, {": is a folder;"});
  EXPECT_TRUE(fs::is_fifo(dir.file("fifo")));
  EXPECT_TRUE(fs::is_symlink(dir.file("link")));
  EXPECT_EQ(read_bytes(dir.file("target")), "keep");
  write_file_atomic(dir.file("target"), "replaced");  // a regular file is replaced
  EXPECT_EQ(read_bytes(dir.file("target")), "replaced");
}
