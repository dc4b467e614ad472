// Helpers for the cgroup tests: temporary directories and fake cgroup trees.
#pragma once

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace krill::cgroups::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/krill-cgroups-test-XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    path_ = made ? made : "";
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (path_.empty()) return;
    ::nftw(
        path_.c_str(),
        [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void make_dirs(const std::string& path) {
  std::string current;
  std::stringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty()) continue;
    current += "/" + part;
    ::mkdir(current.c_str(), 0755);
  }
}

inline void write_text(const std::string& path, const std::string& text) {
  make_dirs(path.substr(0, path.rfind('/')));
  std::ofstream(path, std::ios::trunc) << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// A fake host: directories under a temp dir standing in for cgroup mounts,
// and a mountinfo file describing them.
class FakeHost {
 public:
  struct V1Mount {
    std::string dir;      // "cpu,cpuacct"
    std::string options;  // "cpu,cpuacct"
  };
  FakeHost(const std::vector<V1Mount>& v1, bool v2, const std::string& v2_controllers,
           const std::string& v2_dir = "unified") {
    std::string mountinfo = "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n";
    int id = 30;
    for (const auto& m : v1) {
      make_dirs(root() + "/" + m.dir);
      ++id;
      mountinfo += std::to_string(id) + " 23 0:" + std::to_string(id) + " / " + root() + "/" +
                   m.dir + " rw,nosuid - cgroup cgroup rw," + m.options + "\n";
    }
    if (v2) {
      make_dirs(root() + "/" + v2_dir);
      write_text(root() + "/" + v2_dir + "/cgroup.controllers", v2_controllers + "\n");
      write_text(root() + "/" + v2_dir + "/cgroup.subtree_control", "");
      mountinfo += std::to_string(id + 1) + " 23 0:99 / " + root() + "/" + v2_dir +
                   " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
    }
    mountinfo_path_ = temp_.path() + "/mountinfo";
    write_text(mountinfo_path_, mountinfo);
  }
  std::string root() const { return temp_.path() + "/cg"; }
  const std::string& mountinfo_path() const { return mountinfo_path_; }
  std::string path(const std::string& relative) const { return root() + "/" + relative; }
  void touch(const std::string& relative, const std::string& content = "") const {
    write_text(path(relative), content);
  }
  std::string read(const std::string& relative) const { return read_text(path(relative)); }
  std::string temp() const { return temp_.path(); }

 private:
  TempDir temp_;
  std::string mountinfo_path_;
};

}  // namespace krill::cgroups::testing
