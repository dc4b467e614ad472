// Internal to krill_oci: typed, path-tracking reads from a parsed nlohmann::json
// document. Every error names the field path ("process.user.uid: ...").
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "oci/spec_names.h"

namespace krill::oci::json_reader {

using Json = nlohmann::json;

enum class Presence { kOptional, kRequired };
inline constexpr Presence kRequired = Presence::kRequired;
inline constexpr Presence kOptional = Presence::kOptional;

// "process" + "user" -> "process.user"; "" + "ociVersion" -> "ociVersion".
inline std::string child_path(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return path + "." + std::string(key);
}
inline std::string index_path(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}
// Map entries: linux.sysctl["net.ipv4.ip_forward"].
inline std::string key_path(const std::string& path, std::string_view key) {
  return path + "[" + names::quote(key) + "]";
}

// The C++ integer types a JSON integer is read into.
template <typename T>
concept NonBoolIntegral = std::integral<T> && !std::same_as<T, bool>;

// "string", "boolean", "object", "array", "null", "number".
inline std::string type_name(const Json& value) { return value.type_name(); }

// Error for a value at `path` (the whole document when path is empty).
inline std::unexpected<Error> fail_at(const std::string& path, const std::string& message) {
  if (path.empty()) return fail(message);
  return fail(path + ": " + message);
}

inline std::unexpected<Error> wrong_type(const std::string& path, std::string_view expected,
                                         const Json& value) {
  return fail_at(path, "expected " + std::string(expected) + ", got " + type_name(value));
}

inline Result<std::string> read_string(const Json& value, const std::string& path) {
  if (!value.is_string()) return wrong_type(path, "a string", value);
  return value.get_ref<const std::string&>();
}

inline Result<bool> read_bool(const Json& value, const std::string& path) {
  if (!value.is_boolean()) return wrong_type(path, "a boolean", value);
  return value.get<bool>();
}

template <NonBoolIntegral T>
Result<T> read_integer(const Json& value, const std::string& path) {
  constexpr const char* kExpected = std::is_unsigned_v<T> ? "an unsigned integer" : "an integer";
  auto out_of_range = [&](const std::string& text) {
    return fail_at(path, "value " + text + " is out of range (" +
                             std::to_string(std::numeric_limits<T>::min()) + ".." +
                             std::to_string(std::numeric_limits<T>::max()) + ")");
  };
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<uint64_t>();
    if (!std::in_range<T>(v)) return out_of_range(std::to_string(v));
    return static_cast<T>(v);
  }
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    if (!std::in_range<T>(v)) return out_of_range(std::to_string(v));
    return static_cast<T>(v);
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    // Integers beyond 64 bits arrive as doubles.
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) >= 9.2e18)
      return out_of_range(value.dump());
    return fail_at(path, std::string("expected ") + kExpected + ", got number " + value.dump());
  }
  return wrong_type(path, kExpected, value);
}

// A JSON object being read field by field. JSON null counts as absent.
class Object {
 public:
  static Result<Object> open(const Json& value, std::string path) {
    if (!value.is_object()) {
      if (path.empty()) return fail("expected a JSON object, got " + type_name(value));
      return wrong_type(path, "an object", value);
    }
    return Object(value, std::move(path));
  }

  const std::string& path() const { return path_; }
  std::string at(std::string_view key) const { return child_path(path_, key); }

  // The field's value, or nullptr when absent or null.
  const Json* find(std::string_view key) const {
    auto it = value_->find(key);
    if (it == value_->end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool has(std::string_view key) const { return find(key) != nullptr; }

  std::unexpected<Error> missing(std::string_view key) const {
    return fail(at(key) + ": missing required field");
  }

  Result<void> get(std::string_view key, std::string& out, Presence presence = kOptional) const {
    const Json* v = find(key);
    if (!v) return presence == kRequired ? Result<void>(missing(key)) : Result<void>();
    out = KRILL_TRY(read_string(*v, at(key)));
    return {};
  }

  Result<void> get(std::string_view key, std::optional<std::string>& out) const {
    const Json* v = find(key);
    if (!v) return {};
    out = KRILL_TRY(read_string(*v, at(key)));
    return {};
  }

  Result<void> get(std::string_view key, bool& out, Presence presence = kOptional) const {
    const Json* v = find(key);
    if (!v) return presence == kRequired ? Result<void>(missing(key)) : Result<void>();
    out = KRILL_TRY(read_bool(*v, at(key)));
    return {};
  }

  Result<void> get(std::string_view key, std::optional<bool>& out) const {
    const Json* v = find(key);
    if (!v) return {};
    out = KRILL_TRY(read_bool(*v, at(key)));
    return {};
  }

  template <NonBoolIntegral T>
  Result<void> get(std::string_view key, T& out, Presence presence = kOptional) const {
    const Json* v = find(key);
    if (!v) return presence == kRequired ? Result<void>(missing(key)) : Result<void>();
    out = KRILL_TRY(read_integer<T>(*v, at(key)));
    return {};
  }

  template <NonBoolIntegral T>
  Result<void> get(std::string_view key, std::optional<T>& out,
                   Presence presence = kOptional) const {
    const Json* v = find(key);
    if (!v) return presence == kRequired ? Result<void>(missing(key)) : Result<void>();
    out = KRILL_TRY(read_integer<T>(*v, at(key)));
    return {};
  }

  Result<void> get(std::string_view key, std::vector<std::string>& out,
                   Presence presence = kOptional) const {
    return get_array(key, out, read_string, presence);
  }

  Result<void> get(std::string_view key, std::map<std::string, std::string>& out) const {
    return get_map(key, out, read_string);
  }

  // parse(const Json& element, const std::string& element_path) -> Result<T>.
  template <typename T, typename Parse>
  Result<void> get_array(std::string_view key, std::vector<T>& out, Parse&& parse,
                         Presence presence = kOptional) const {
    const Json* v = find(key);
    if (!v) return presence == kRequired ? Result<void>(missing(key)) : Result<void>();
    std::string path = at(key);
    if (!v->is_array()) return wrong_type(path, "an array", *v);
    out.clear();
    out.reserve(v->size());
    for (size_t i = 0; i < v->size(); ++i)
      out.push_back(KRILL_TRY(parse((*v)[i], index_path(path, i))));
    return {};
  }

  // parse(const Json& value, const std::string& entry_path) -> Result<T>.
  template <typename T, typename Parse>
  Result<void> get_map(std::string_view key, std::map<std::string, T>& out, Parse&& parse) const {
    const Json* v = find(key);
    if (!v) return {};
    std::string path = at(key);
    if (!v->is_object()) return wrong_type(path, "an object", *v);
    out.clear();
    for (auto it = v->begin(); it != v->end(); ++it) {
      std::string entry = key_path(path, it.key());
      if (it.key().empty()) return fail_at(entry, "empty key");
      out.emplace(it.key(), KRILL_TRY(parse(it.value(), entry)));
    }
    return {};
  }

  // parse(const Object& object) -> Result<T>.
  template <typename T, typename Parse>
  Result<void> get_object(std::string_view key, std::optional<T>& out, Parse&& parse,
                          Presence presence = kOptional) const {
    const Json* v = find(key);
    if (!v) return presence == kRequired ? Result<void>(missing(key)) : Result<void>();
    Object object = KRILL_TRY(open(*v, at(key)));
    out = KRILL_TRY(parse(object));
    return {};
  }

 private:
  Object(const Json& value, std::string path) : value_(&value), path_(std::move(path)) {}

  const Json* value_;
  std::string path_;
};

// Parses JSON text; `document` names it in the error ("config.json is not valid
// JSON: byte 2: ..."). Never throws.
Result<Json> parse_text(std::string_view text, std::string_view document);

}  // namespace krill::oci::json_reader
