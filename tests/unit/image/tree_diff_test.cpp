// tree_diff: the changes of a plain directory tree as an overlay-style upper directory.
#include "image/tree_diff.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "image/whiteout.h"
#include "layer_test_helpers.h"

namespace krill::image {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

bool is_whiteout(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return false;
  UniqueFd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return is_overlay_whiteout(dir.get(), path.filename(), st);
}

TEST(TreeDiff, AddedChangedAndRemovedEntriesBecomeTheUpperDirectory) {
  test::TempDir tmp;
  const fs::path root = fs::path(tmp.path()) / "root", upper = fs::path(tmp.path()) / "upper";
  write(root / "etc/keep", "same");
  write(root / "etc/change", "old");
  write(root / "etc/remove", "gone soon");
  write(root / "lib/python3/a.py", "a");
  write(root / "lib/python3.11/b.py", "b");
  write(root / "lib/python3.11/sub/c.py", "c");
  write(root / "file-becomes-dir", "f");
  fs::create_directories(upper);
  auto before = scan_tree(root);
  ASSERT_TRUE(before) << before.error().message();

  write(root / "etc/change", "new content");
  write(root / "etc/added", "added");
  fs::remove(root / "etc/remove");
  // Sibling directories whose names sort around "/" (python3, python3.11): each gets one whiteout.
  fs::remove_all(root / "lib/python3");
  fs::remove_all(root / "lib/python3.11");
  fs::remove(root / "file-becomes-dir");
  write(root / "file-becomes-dir/inside", "i");
  ::chmod((root / "etc/keep").c_str(), 0600);

  auto changes = build_upper_from_changes(root, *before, upper);
  ASSERT_TRUE(changes) << changes.error().message();
  EXPECT_TRUE(fs::is_regular_file(upper / "etc/change"));
  EXPECT_TRUE(fs::is_regular_file(upper / "etc/added"));
  EXPECT_TRUE(fs::is_regular_file(upper / "etc/keep"));  // mode changed
  EXPECT_TRUE(is_whiteout(upper / "etc/remove"));
  EXPECT_TRUE(is_whiteout(upper / "lib/python3"));
  EXPECT_TRUE(is_whiteout(upper / "lib/python3.11"));
  EXPECT_FALSE(fs::exists(upper / "lib/python3.11/sub"));
  EXPECT_TRUE(fs::is_regular_file(upper / "file-becomes-dir/inside"));
  // Hardlinks of the changed files, not copies.
  EXPECT_EQ(fs::hard_link_count(upper / "etc/change"), 2u);
}

TEST(TreeDiff, NothingChangedGivesAnEmptyUpperDirectory) {
  test::TempDir tmp;
  const fs::path root = fs::path(tmp.path()) / "root", upper = fs::path(tmp.path()) / "upper";
  write(root / "a/b", "x");
  fs::create_directories(upper);
  auto before = scan_tree(root);
  ASSERT_TRUE(before);
  auto changes = build_upper_from_changes(root, *before, upper);
  ASSERT_TRUE(changes);
  EXPECT_EQ(*changes, 0u);
  EXPECT_TRUE(fs::is_empty(upper));
}

TEST(TreeDiff, ScanSurvivesItsTextFormIncludingOddNames) {
  test::TempDir tmp;
  const fs::path root = fs::path(tmp.path()) / "root";
  write(root / "a/b", "x");
  write(root / "with space\nand newline", "y");
  write(root / std::string("bytes-\xff\xfe"), "z");
  fs::create_symlink("a/b 2:3", root / "link");
  auto scan = scan_tree(root);
  ASSERT_TRUE(scan) << scan.error().message();
  std::string text = tree_scan_to_text(*scan);
  auto back = tree_scan_from_text(text);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, *scan);
  EXPECT_EQ(back->at("link").link_target, "a/b 2:3");
  EXPECT_FALSE(tree_scan_from_text("not a scan"));
  EXPECT_FALSE(tree_scan_from_text(text.substr(0, text.size() - 3)));
}

}  // namespace
}  // namespace krill::image
