// Small helpers for reading and writing cgroup control files. Every error
// names the file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace krill::cgroups {

std::string join_path(const std::string& dir, const std::string& name);

bool path_exists(const std::string& path);

// Writes `value` to dir/name with a single write(2), as the kernel expects.
Result<void> write_file(const std::string& dir, const std::string& name, const std::string& value);

// Whole file contents.
Result<std::string> read_file(const std::string& dir, const std::string& name);

// The file's contents with surrounding whitespace removed.
Result<std::string> read_trimmed(const std::string& dir, const std::string& name);

// A single unsigned number; "max" reads as UINT64_MAX.
Result<uint64_t> read_u64(const std::string& dir, const std::string& name);

// "key value" lines (memory.stat, cpu.stat, cgroup.events, ...).
Result<std::map<std::string, uint64_t>> read_keyed(const std::string& dir, const std::string& name);

std::string trim(const std::string& text);
std::vector<std::string> split(const std::string& text, char separator);
std::vector<std::string> split_whitespace(const std::string& text);
std::optional<uint64_t> parse_u64(const std::string& text);
std::optional<int64_t> parse_i64(const std::string& text);

}  // namespace krill::cgroups
