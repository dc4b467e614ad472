#include "oci/json_reader.h"

namespace krill::oci::json_reader {

Result<Json> parse_text(std::string_view text, std::string_view document) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, ...".
    std::string detail = e.what();
    if (auto pos = detail.find("] ");
        detail.starts_with("[json.exception") && pos != std::string::npos)
      detail.erase(0, pos + 2);
    return fail(std::string(document) + " is not valid JSON: at byte " + std::to_string(e.byte) +
                ": " + detail);
  } catch (const std::exception& e) {
    return fail(std::string(document) + " is not valid JSON: " + e.what());
  }
}

}  // namespace krill::oci::json_reader
