// apply_config_instruction and the small parsers it needs.
#include "build/step_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "base/go_duration.h"

namespace krill::build {
namespace {

using image::ContainerConfig;

ContainerConfig& container_config(image::ImageConfig& image) {
  if (!image.config) image.config = ContainerConfig{};
  return *image.config;
}

std::string json_text(const std::vector<std::string>& args) { return nlohmann::json(args).dump(); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

// ENV K=V: replaces every earlier K (an image may carry duplicates) in place of the first.
void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  auto matches = [&](const std::string& entry) {
    return entry.compare(0, key.size() + 1, key + "=") == 0 || entry == key;
  };
  auto first = std::find_if(env.begin(), env.end(), matches);
  if (first == env.end()) {
    env.push_back(key + "=" + value);
    return;
  }
  *first = key + "=" + value;
  env.erase(std::remove_if(first + 1, env.end(), matches), env.end());
}

void add_unique(std::vector<std::string>& list, const std::string& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

// EXPOSE 80, 80/udp, 8000-8002/tcp -> "80/tcp", ...
Result<std::vector<std::string>> expand_port_spec(const std::string& spec) {
  std::string ports = spec, protocol = "tcp";
  if (size_t slash = spec.find('/'); slash != std::string::npos) {
    ports = spec.substr(0, slash);
    protocol = spec.substr(slash + 1);
    for (char& c : protocol) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
      return fail("invalid proto: " + protocol);
  }
  auto number = [&](std::string_view text) -> Result<int> {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > 65535)
      return fail("invalid containerPort: " + std::string(text));
    return value;
  };
  int first = 0, last = 0;
  if (size_t dash = ports.find('-'); dash != std::string::npos) {
    first = KRILL_TRY(number(std::string_view(ports).substr(0, dash)));
    last = KRILL_TRY(number(std::string_view(ports).substr(dash + 1)));
    if (last < first) return fail("invalid range specified for container port: " + ports);
  } else {
    first = last = KRILL_TRY(number(ports));
  }
  std::vector<std::string> out;
  for (int port = first; port <= last; ++port) out.push_back(std::to_string(port) + "/" + protocol);
  return out;
}

Result<std::string> apply_healthcheck(ContainerConfig& config, const Instruction& instruction) {
  std::string rest = trim(instruction.rest);
  std::string upper_word;
  size_t i = 0;
  while (i < rest.size() && !is_space(rest[i]))
    upper_word += static_cast<char>(std::toupper(static_cast<unsigned char>(rest[i++])));
  if (upper_word == "NONE") {
    if (!instruction.flags.empty()) return fail("HEALTHCHECK NONE takes no options");
    if (trim(rest.substr(i)) != "") return fail("HEALTHCHECK NONE takes no arguments");
    image::HealthConfig health;
    health.test = {"NONE"};
    config.healthcheck = health;
    return std::string("HEALTHCHECK NONE");
  }
  if (upper_word != "CMD") return fail("HEALTHCHECK requires CMD or NONE, not \"" + rest + "\"");
  std::string command = trim(rest.substr(i));
  if (command.empty()) return fail("HEALTHCHECK CMD requires a command");
  image::HealthConfig health;
  auto parsed = nlohmann::json::parse(command, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_array() &&
      std::all_of(parsed.begin(), parsed.end(), [](const auto& v) { return v.is_string(); })) {
    health.test = {"CMD"};
    for (const auto& v : parsed) health.test.push_back(v.get<std::string>());
  } else {
    health.test = {"CMD-SHELL", command};
  }
  for (const Flag& flag : instruction.flags) {
    if (flag.name == "retries") {
      int retries = 0;
      auto [end, ec] =
          std::from_chars(flag.value.data(), flag.value.data() + flag.value.size(), retries);
      if (ec != std::errc() || end != flag.value.data() + flag.value.size() || retries < 0)
        return fail("--retries " + flag.value + ": not a non-negative number");
      health.retries = retries;
      continue;
    }
    int64_t ns = KRILL_TRY(parse_go_duration(flag.value));
    if (ns != 0 && ns < 1000000) return fail("--" + flag.name + " cannot be less than 1ms");
    if (flag.name == "interval") health.interval = ns;
    if (flag.name == "timeout") health.timeout = ns;
    if (flag.name == "start-period") health.start_period = ns;
    if (flag.name == "start-interval") health.start_interval = ns;
  }
  config.healthcheck = health;
  return "HEALTHCHECK " + json_text(health.test);
}

}  // namespace

bool is_config_instruction(std::string_view keyword) {
  static constexpr std::string_view kKeywords[] = {
      "ENV",     "LABEL",      "CMD",         "ENTRYPOINT", "EXPOSE",  "VOLUME",    "USER",
      "WORKDIR", "STOPSIGNAL", "HEALTHCHECK", "SHELL",      "ONBUILD", "MAINTAINER"};
  return std::find(std::begin(kKeywords), std::end(kKeywords), keyword) != std::end(kKeywords);
}

std::vector<std::string> shell_command(const image::ImageConfig& image, const std::string& text) {
  std::vector<std::string> out;
  if (image.config && !image.config->shell.empty())
    out = image.config->shell;
  else
    out = {"/bin/sh", "-c"};
  out.push_back(text);
  return out;
}

std::string resolve_workdir(const std::string& current, const std::string& path) {
  std::string joined =
      path.starts_with("/") ? path : (current.empty() ? "/" : current) + "/" + path;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t slash = joined.find('/', start);
    std::string part = joined.substr(start, slash - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string out;
  for (const auto& part : parts) out += "/" + part;
  return out.empty() ? "/" : out;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(
    std::string_view keyword, std::string_view text, const VariableLookup& lookup, char escape) {
  std::vector<std::pair<std::string, std::string>> out;
  auto words = KRILL_TRY(split_raw_words(text, escape));
  if (words.empty()) return fail(std::string(keyword) + " requires at least one argument");
  if (words[0].find('=') == std::string::npos) {
    // Legacy "ENV key value with spaces": one pair, the value is the rest of the line.
    if (keyword == "ARG") {
      if (words.size() != 1) return fail("ARG requires exactly one argument");
      out.emplace_back(KRILL_TRY(expand_word(words[0], lookup, escape)), std::string());
      return out;
    }
    std::string rest = trim(text);
    size_t space = rest.find_first_of(" \t");
    if (space == std::string::npos) return fail(std::string(keyword) + " must have two arguments");
    std::string key = rest.substr(0, space);
    std::string value = KRILL_TRY(expand_word(trim(rest.substr(space)), lookup, escape));
    out.emplace_back(std::move(key), std::move(value));
    return out;
  }
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      if (keyword == "ARG") {
        out.emplace_back(KRILL_TRY(expand_word(word, lookup, escape)), std::string());
        continue;
      }
      return fail("Syntax error - can't find = in \"" + word +
                  "\". Must be of the form: name=value");
    }
    std::string key = KRILL_TRY(expand_word(word.substr(0, eq), lookup, escape));
    if (key.empty()) return fail(std::string(keyword) + " names can not be blank");
    std::string value = KRILL_TRY(expand_word(word.substr(eq + 1), lookup, escape));
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

Result<std::string> apply_config_instruction(image::ImageConfig& image,
                                             const Instruction& instruction,
                                             const VariableLookup& lookup, char escape,
                                             StageConfigState& state) {
  const std::string& keyword = instruction.keyword;
  ContainerConfig& config = container_config(image);
  if (keyword == "ENV" || keyword == "LABEL") {
    auto pairs = KRILL_TRY(parse_key_values(keyword, instruction.rest, lookup, escape));
    std::string history = keyword;
    for (const auto& [key, value] : pairs) {
      if (keyword == "ENV")
        set_env(config.env, key, value);
      else
        config.labels[key] = value;
      history += " " + key + "=" + value;
    }
    return history;
  }
  if (keyword == "CMD" || keyword == "ENTRYPOINT") {
    std::vector<std::string> args =
        instruction.json_form ? instruction.args : shell_command(image, instruction.rest);
    if (keyword == "CMD") {
      config.cmd = args;
      state.cmd_set = true;
    } else {
      config.entrypoint = args;
      if (!state.cmd_set) config.cmd.reset();
    }
    return keyword + " " + json_text(args);
  }
  if (keyword == "EXPOSE") {
    auto words = KRILL_TRY(expand_words(instruction.rest, lookup, escape));
    if (words.empty()) return fail("EXPOSE requires at least one argument");
    std::string history = "EXPOSE";
    for (const auto& word : words) {
      for (const auto& port : KRILL_TRY(expand_port_spec(word))) {
        add_unique(config.exposed_ports, port);
        history += " " + port;
      }
    }
    std::sort(config.exposed_ports.begin(), config.exposed_ports.end());
    return history;
  }
  if (keyword == "VOLUME") {
    std::vector<std::string> volumes;
    if (instruction.json_form) {
      for (const auto& arg : instruction.args)
        volumes.push_back(KRILL_TRY(expand_word(arg, lookup, escape)));
    } else {
      volumes = KRILL_TRY(expand_words(instruction.rest, lookup, escape));
    }
    if (volumes.empty()) return fail("VOLUME requires at least one argument");
    for (const auto& volume : volumes) {
      if (trim(volume).empty()) return fail("VOLUME specified can not be an empty string");
      add_unique(config.volumes, volume);
    }
    std::sort(config.volumes.begin(), config.volumes.end());
    return "VOLUME " + json_text(volumes);
  }
  if (keyword == "USER") {
    std::string user = KRILL_TRY(expand_word(trim(instruction.rest), lookup, escape));
    if (user.empty()) return fail("USER requires an argument");
    config.user = user;
    return "USER " + user;
  }
  if (keyword == "WORKDIR") {
    std::string dir = KRILL_TRY(expand_word(trim(instruction.rest), lookup, escape));
    if (dir.empty()) return fail("WORKDIR requires an argument");
    config.working_dir = resolve_workdir(config.working_dir, dir);
    return "WORKDIR " + config.working_dir;
  }
  if (keyword == "STOPSIGNAL") {
    std::string signal = KRILL_TRY(expand_word(trim(instruction.rest), lookup, escape));
    if (signal.empty()) return fail("STOPSIGNAL requires an argument");
    config.stop_signal = signal;
    return "STOPSIGNAL " + signal;
  }
  if (keyword == "HEALTHCHECK") return apply_healthcheck(config, instruction);
  if (keyword == "SHELL") {
    if (!instruction.json_form || instruction.args.empty())
      return fail("SHELL requires the arguments to be in JSON form");
    config.shell = instruction.args;
    return "SHELL " + json_text(instruction.args);
  }
  if (keyword == "ONBUILD") {
    std::string trigger = trim(instruction.rest);
    if (trigger.empty()) return fail("ONBUILD requires at least one argument");
    for (char& c : trigger) {  // the trigger's keyword as Docker stores it: upper case
      if (is_space(c)) break;
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    config.on_build.push_back(trigger);
    return "ONBUILD " + trigger;
  }
  if (keyword == "MAINTAINER") {
    image.author = trim(instruction.rest);
    return "MAINTAINER " + image.author;
  }
  return fail("not a config instruction: " + keyword);
}

}  // namespace krill::build
