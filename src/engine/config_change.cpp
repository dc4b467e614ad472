#include "engine/config_change.h"

#include <cctype>

namespace krill::engine {

Result<void> apply_config_change(nlohmann::json& config, const std::string& change) {
  using json = nlohmann::json;
  auto sep = change.find_first_of("= ");
  if (sep == std::string::npos)
    return fail("invalid change \"" + change + "\": want KEY=VALUE or KEY VALUE");
  std::string key = change.substr(0, sep), value = change.substr(sep + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto list_value = [&]() -> json {
    auto parsed = json::parse(value, nullptr, false);
    if (parsed.is_array()) return parsed;
    return json::array({"/bin/sh", "-c", value});
  };
  if (key == "CMD") {
    config["Cmd"] = list_value();
  } else if (key == "ENTRYPOINT") {
    config["Entrypoint"] = list_value();
  } else if (key == "ENV") {
    auto eq = value.find_first_of("= ");
    std::string entry =
        eq == std::string::npos ? value : value.substr(0, eq) + "=" + value.substr(eq + 1);
    if (!config.contains("Env") || !config["Env"].is_array()) config["Env"] = json::array();
    // A variable set again replaces the earlier value (Docker's ENV), in place.
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (auto& existing : config["Env"]) {
      if (!existing.is_string()) continue;
      const std::string& text = existing.get_ref<const std::string&>();
      if (text.substr(0, text.find('=')) != name) continue;
      existing = entry;
      replaced = true;
      break;
    }
    if (!replaced) config["Env"].push_back(entry);
  } else if (key == "WORKDIR") {
    config["WorkingDir"] = value;
  } else if (key == "USER") {
    config["User"] = value;
  } else if (key == "LABEL") {
    auto eq = value.find('=');
    config["Labels"][value.substr(0, eq)] = eq == std::string::npos ? "" : value.substr(eq + 1);
  } else if (key == "EXPOSE") {
    config["ExposedPorts"][value.find('/') == std::string::npos ? value + "/tcp" : value] =
        json::object();
  } else if (key == "VOLUME") {
    config["Volumes"][value] = json::object();
  } else if (key == "STOPSIGNAL") {
    config["StopSignal"] = value;
  } else if (key == "ONBUILD") {
    if (value.empty())
      return fail("invalid change \"" + change + "\": ONBUILD needs an instruction");
    if (!config.contains("OnBuild") || !config["OnBuild"].is_array())
      config["OnBuild"] = json::array();
    config["OnBuild"].push_back(value);
  } else {
    return fail("invalid change \"" + change +
                "\": supported are CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, "
                "USER, VOLUME, WORKDIR");
  }
  return {};
}

}  // namespace krill::engine
