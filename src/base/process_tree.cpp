#include "base/process_tree.h"

#include <dirent.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include "base/file_io.h"

namespace krill {
namespace {

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (!dir) return children;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    auto text = read_file(tasks + "/" + entry->d_name + "/children");
    if (!text) continue;
    std::istringstream in(*text);
    for (pid_t child; in >> child;) children.push_back(child);
  }
  ::closedir(dir);
  return children;
}

}  // namespace

std::vector<pid_t> process_tree(pid_t root) {
  std::vector<pid_t> tree;
  if (root <= 0 || !read_file("/proc/" + std::to_string(root) + "/stat")) return tree;
  tree.push_back(root);
  for (size_t next = 0; next < tree.size(); ++next)
    for (pid_t child : children_of(tree[next])) tree.push_back(child);
  return tree;
}

}  // namespace krill
