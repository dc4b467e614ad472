#include "transport/registry_errors.h"

#include <nlohmann/json.hpp>

namespace krill::transport {

RegistryErrorInfo parse_registry_errors(const HttpResponse& response) {
  RegistryErrorInfo info;
  auto doc = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return info;
  auto errors = doc.find("errors");
  if (errors == doc.end() || !errors->is_array()) return info;
  for (const auto& e : *errors) {
    if (!e.is_object()) continue;
    std::string code =
        e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    std::string message =
        e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    if (!code.empty() && info.codes.find(code) == std::string::npos)
      info.codes += (info.codes.empty() ? "" : ", ") + code;
    if (!message.empty() && info.message.find(message) == std::string::npos)
      info.message += (info.message.empty() ? "" : "; ") + message;
  }
  return info;
}

std::string describe_status(const HttpResponse& response, const RegistryErrorInfo& info) {
  const std::string status = std::to_string(response.status);
  if (!info.codes.empty() || !info.message.empty()) {
    std::string message = info.message;
    if (message.empty()) {
      message = info.codes;
      for (char& c : message) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
    }
    return message + " (" + status + (info.codes.empty() ? "" : " " + info.codes) + ")";
  }
  if (response.status == 403) return "denied (403)";
  std::string text = status + (response.reason.empty() ? "" : " " + response.reason);
  // A short plain-text body says more than the status alone.
  const std::string& body = response.body;
  if (!body.empty() && body.size() <= 200 && body.find('<') == std::string::npos) {
    bool printable = true;
    for (unsigned char c : body) printable &= c >= 0x20 || c == '\n' || c == '\t' || c == '\r';
    if (printable) {
      std::string trimmed = body;
      while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r'))
        trimmed.pop_back();
      if (!trimmed.empty()) text += ": " + trimmed;
    }
  }
  return text;
}

}  // namespace krill::transport
