// kind: log — see docs/configuration-agent.md "kind: log".
#include "agent/config/kinds/kind_readers.hpp"
#include "common/nats/subjects.hpp"

namespace vitals::agent::kinds {
namespace {

std::vector<LogPattern> readPatterns(config::YamlReader& c, const std::string& key) {
  std::vector<LogPattern> out;
  if (auto map = c.stringMap(key)) {
    for (auto& [name, re] : *map) {
      if (!subjects::isValidToken(name)) {
        c.problem(key, "name \"" + name + "\" must contain only letters, digits, '_' and '-'");
        continue;
      }
      if (auto err = regexError(re); !err.empty()) {
        c.problem(key, name + ": " + err);
        continue;
      }
      out.push_back(LogPattern{name, re});
    }
  }
  return out;
}

std::map<std::string, double> readRates(config::YamlReader& c, const std::string& key,
                                        const std::vector<LogPattern>& levels,
                                        const std::vector<LogPattern>& patterns) {
  std::map<std::string, double> out;
  auto map = c.stringMap(key);
  if (!map) {
    return out;
  }
  for (auto& [name, text] : *map) {
    // Named capture: clang 14 cannot capture a structured binding.
    auto known = [&rate_name = name](const std::vector<LogPattern>& list) {
      for (const auto& p : list) {
        if (p.name == rate_name) {
          return true;
        }
      }
      return false;
    };
    if (!known(levels) && !known(patterns)) {
      c.problem(key, "\"" + name + "\" is neither a level nor a pattern");
      continue;
    }
    try {
      std::size_t used = 0;
      const double v = std::stod(text, &used);
      if (used == text.size() && v > 0) {
        out[name] = v;
        continue;
      }
    } catch (const std::exception&) {
    }
    c.problem(key, name + ": must be a number > 0 (lines per minute); got \"" + text + "\"");
  }
  return out;
}

}  // namespace

std::vector<LogPattern> defaultLogLevels() {
  return {{"error", R"(\b(ERROR|ERR|FATAL|CRIT|CRITICAL|PANIC)\b)"},
          {"warn", R"(\b(WARN|WARNING)\b)"},
          {"info", R"(\bINFO\b)"}};
}

void readLog(config::YamlReader& c, const LoadOptions&, CheckConfig& check) {
  LogCheckSpec log;
  if (auto path = c.str("path")) {
    if (path->empty() || (*path)[0] != '/') {
      c.problem("path", "must be an absolute path");
    }
    log.path = *path;
  } else {
    c.problem("path", "is required for kind log");
  }
  log.levels = c.has("levels") ? readPatterns(c, "levels") : defaultLogLevels();
  log.patterns = readPatterns(c, "patterns");
  log.top = static_cast<std::uint32_t>(c.integer("top", 5, 0, 50));
  log.warn_per_minute = readRates(c, "warn_per_minute", log.levels, log.patterns);
  log.crit_per_minute = readRates(c, "crit_per_minute", log.levels, log.patterns);
  log.from_start = c.boolean("from_start", false);
  check.spec = std::move(log);
}

}  // namespace vitals::agent::kinds
