#include "agent/config/actions_reader.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "common/nats/subjects.hpp"

namespace vitals::agent {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

bool nameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string regexError(const std::string& pattern) {
  try {
    std::regex re(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return e.what();
  }
  return "";
}

std::optional<ActionConfig> readAction(config::YamlReader& a, const std::string& name) {
  const std::size_t before = a.problems().list().size();
  ActionConfig action;
  action.name = name;
  if (!subjects::isValidToken(name)) {
    a.problem("", "action names must contain only letters, digits, '_' and '-', got \"" + name +
                      "\"");
  }
  if (auto v = a.duration("timeout", 1ms, 24h)) {
    action.timeout = *v;
  }
  if (auto v = a.duration("cooldown", 0ms, 24h)) {
    action.cooldown = *v;
  }
  if (auto v = a.integer("max_concurrent", 1, 64)) {
    action.max_concurrent = static_cast<std::uint32_t>(*v);
  }
  if (auto v = a.integer("max_output", 1024, 1024 * 1024)) {
    action.max_output = static_cast<std::size_t>(*v);
  }
  if (a.has("params")) {
    if (auto p = a.mapping("params")) {
      for (const auto& key : p->keys()) {
        auto pattern = p->str(key);
        if (!pattern) {
          continue;
        }
        if (!nameChar(key.empty() ? '.' : key[0]) ||
            !std::all_of(key.begin(), key.end(), nameChar)) {
          p->problem(key, "parameter names must contain only letters, digits, '_' and '-'");
        } else if (pattern->empty()) {
          p->problem(key, "needs a pattern (an ECMAScript regex the whole value must match)");
        } else if (auto err = regexError(*pattern); !err.empty()) {
          p->problem(key, "invalid regex: " + err);
        } else {
          action.params.push_back(ActionParam{key, *pattern});
        }
      }
      p->finish();
    }
  }
  std::sort(action.params.begin(), action.params.end(),
            [](const ActionParam& x, const ActionParam& y) { return x.name < y.name; });
  if (auto argv = a.strings("argv")) {
    action.argv = *argv;
  } else if (!a.has("argv")) {
    a.problem("argv", "is required (the program and its arguments; no shell)");
  }
  if (a.has("argv") && action.argv.empty() && a.problems().list().size() == before) {
    a.problem("argv", "must not be empty");
  }
  std::set<std::string> used;
  for (std::size_t i = 0; i < action.argv.size(); ++i) {
    const std::string key = "argv[" + std::to_string(i) + "]";
    std::string error;
    auto pieces = parseArgvTemplate(action.argv[i], error);
    if (!pieces) {
      a.problem("argv", key + ": " + error);
      continue;
    }
    for (const auto& piece : *pieces) {
      if (!piece.is_param) {
        continue;
      }
      if (i == 0) {
        a.problem("argv", "argv[0] (the program) must not contain placeholders");
        break;
      }
      const bool declared =
          std::any_of(action.params.begin(), action.params.end(),
                      [&](const ActionParam& p) { return p.name == piece.text; });
      if (!declared) {
        a.problem("argv", key + ": unknown placeholder {" + piece.text +
                              "} (declare it under params with a pattern)");
      }
      used.insert(piece.text);
    }
    action.argv_template.push_back(std::move(*pieces));
  }
  for (const auto& p : action.params) {
    if (used.count(p.name) == 0 && a.problems().list().size() == before) {
      a.problem("params", "parameter " + p.name + " is not used in argv");
    }
  }
  if (!action.argv.empty() && action.argv[0].empty()) {
    a.problem("argv", "argv[0] (the program) must not be empty");
  }
  a.finish();
  if (a.problems().list().size() != before) {
    return std::nullopt;
  }
  return action;
}

}  // namespace

std::optional<std::vector<ArgvPiece>> parseArgvTemplate(const std::string& item,
                                                        std::string& error) {
  std::vector<ArgvPiece> out;
  std::string literal;
  for (std::size_t i = 0; i < item.size(); ++i) {
    const char c = item[i];
    if (c == '{' && i + 1 < item.size() && item[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < item.size() && item[i + 1] == '}') {
      literal += '}';
      ++i;
      continue;
    }
    if (c == '}') {
      error = "unbalanced '}' (write }} for a literal brace)";
      return std::nullopt;
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    const auto close = item.find('}', i + 1);
    if (close == std::string::npos) {
      error = "unterminated placeholder (write {{ for a literal brace)";
      return std::nullopt;
    }
    const std::string name = item.substr(i + 1, close - i - 1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), nameChar)) {
      error = "invalid placeholder {" + name + "} (names are letters, digits, '_' and '-')";
      return std::nullopt;
    }
    if (!literal.empty()) {
      out.push_back(ArgvPiece{false, std::move(literal)});
      literal.clear();
    }
    out.push_back(ArgvPiece{true, name});
    i = close;
  }
  if (!literal.empty() || out.empty()) {
    out.push_back(ArgvPiece{false, std::move(literal)});
  }
  return out;
}

void readActions(config::YamlReader& root, std::vector<ActionConfig>& out) {
  if (!root.has("actions")) {
    return;
  }
  auto actions = root.mapping("actions");
  if (!actions) {
    return;
  }
  for (const auto& name : actions->keys()) {
    const std::size_t before = actions->problems().list().size();
    auto a = actions->mapping(name);
    if (!a) {
      if (actions->problems().list().size() == before) {
        actions->problem(name, "must be a mapping with at least argv");
      }
      continue;
    }
    if (auto action = readAction(*a, name)) {
      out.push_back(std::move(*action));
    }
  }
  actions->finish();
  std::sort(out.begin(), out.end(),
            [](const ActionConfig& x, const ActionConfig& y) { return x.name < y.name; });
}

void readServices(config::YamlReader& root, std::map<std::string, ServiceSettings>& out) {
  if (!root.has("services")) {
    return;
  }
  auto services = root.mapping("services");
  if (!services) {
    return;
  }
  for (const auto& name : services->keys()) {
    const std::size_t before = services->problems().list().size();
    auto s = services->mapping(name);
    if (!s) {
      if (services->problems().list().size() == before) {
        services->problem(name, "must be a mapping with log_file");
      }
      continue;
    }
    if (!subjects::isValidToken(name)) {
      s->problem("", "service names must contain only letters, digits, '_' and '-', got \"" +
                         name + "\"");
    }
    ServiceSettings settings;
    if (auto file = s->str("log_file")) {
      if (file->empty() || (*file)[0] != '/') {
        s->problem("log_file", "must be an absolute path, got \"" + *file + "\"");
      } else {
        settings.log_file = *file;
      }
    } else {
      s->problem("log_file", "is required");
    }
    s->finish();
    out[name] = std::move(settings);
  }
  services->finish();
}

}  // namespace vitals::agent
