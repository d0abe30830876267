#include "hub/ctl/ctl_args.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/config/yaml_reader.hpp"
#include "common/time/clock.hpp"

namespace vitals::ctl {
namespace {

Error usage(std::string message) { return Error{"usage", std::move(message), {}}; }

bool validTime(const std::string& text) {
  SystemTime t;
  return parseRfc3339(text, t) || config::parseDuration(text).has_value();
}

bool validHubUrl(const std::string& url) {
  return (url.rfind("http://", 0) == 0 && url.size() > 7) ||
         (url.rfind("https://", 0) == 0 && url.size() > 8);
}

// `hub: URL` from a vitalsctl config file (strict: other keys are errors).
Result<std::optional<std::string>> hubFromFile(const std::string& path, const CtlEnvironment& env) {
  auto text = env.read_file(path);
  if (!text.ok()) {
    return usage("cannot read config file " + path + ": " + text.error().message);
  }
  config::Problems problems;
  auto root = config::YamlReader::loadString(text.value(), path, problems);
  std::optional<std::string> hub;
  if (root) {
    hub = root->str("hub");
    root->finish();
  }
  if (!problems.empty()) {
    auto msg = problems.format();
    if (!msg.empty() && msg.back() == '\n') {
      msg.pop_back();
    }
    return usage(msg);
  }
  return hub;
}

}  // namespace

const char* const kCtlUsage =
    "usage: vitalsctl [--hub URL] [--output table|json] [--config FILE] <command> [args]\n"
    "       vitalsctl --help | --version\n"
    "\n"
    "commands:\n"
    "  status                         services and their checks\n"
    "  history SERVICE [--since T] [--until T] [--limit N]\n"
    "                                 results of one service, newest first; T is RFC 3339\n"
    "                                 (2026-01-02T03:04:05Z) or an age such as 30m, 2h, 1d\n"
    "  agents                         known agents\n"
    "\n"
    "options:\n"
    "  --hub URL        hub base URL (default: $VITALS_HUB, else http://127.0.0.1:8080)\n"
    "  --output FORMAT  table (default) or json\n"
    "  --config FILE    YAML with `hub: URL`\n"
    "\n"
    "exit codes: 0 ok, 1 error (hub unreachable or answered with an error), 2 usage\n";

CtlEnvironment CtlEnvironment::system() {
  CtlEnvironment e;
  e.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  e.read_file = [](const std::string& path) -> Result<std::string> {
    std::ifstream in(path);
    if (!in) {
      return Error{"io", "no such file or not readable", path};
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  return e;
}

Result<CtlArgs> parseCtlArgs(const std::vector<std::string>& argv, const CtlEnvironment& env) {
  CtlArgs a;
  std::optional<std::string> hub_flag;
  std::optional<std::string> config_file;
  std::vector<std::string> positional;
  bool limit_given = false;

  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      if (const auto eq = arg.find('='); eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value) {
        return inline_value;
      }
      if (i + 1 < argv.size()) {
        return argv[++i];
      }
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      a.help = true;
    } else if (arg == "--version") {
      a.version = true;
    } else if (arg == "--hub" || arg == "--output" || arg == "--config" || arg == "--since" ||
               arg == "--until" || arg == "--limit") {
      auto v = value();
      if (!v || v->empty()) {
        return usage(arg + " needs a value");
      }
      if (arg == "--hub") {
        hub_flag = *v;
      } else if (arg == "--config") {
        config_file = *v;
      } else if (arg == "--output") {
        if (*v == "table") {
          a.output = Output::Table;
        } else if (*v == "json") {
          a.output = Output::Json;
        } else {
          return usage("--output must be table or json, got \"" + *v + "\"");
        }
      } else if (arg == "--since" || arg == "--until") {
        if (!validTime(*v)) {
          return usage(arg + " must be an RFC 3339 time or an age such as 2h, got \"" + *v +
                       "\"");
        }
        (arg == "--since" ? a.since : a.until) = *v;
      } else {
        int n = 0;
        const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
        if (ec != std::errc{} || end != v->data() + v->size() || n < 1 || n > 100000) {
          return usage("--limit must be an integer from 1 to 100000, got \"" + *v + "\"");
        }
        a.limit = n;
        limit_given = true;
      }
    } else if (arg.rfind("-", 0) == 0 && arg != "-") {
      return usage("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (a.help || a.version) {
    return a;
  }
  if (positional.empty()) {
    return usage("no command given");
  }
  const std::string& cmd = positional.front();
  if (cmd == "status" || cmd == "agents") {
    a.command = cmd == "status" ? Command::Status : Command::Agents;
    if (positional.size() > 1) {
      return usage(cmd + " takes no arguments, got \"" + positional[1] + "\"");
    }
  } else if (cmd == "history") {
    a.command = Command::History;
    if (positional.size() != 2) {
      return usage("history needs exactly one SERVICE");
    }
    a.service = positional[1];
  } else {
    return usage("unknown command \"" + cmd + "\"");
  }
  if (a.command != Command::History && (a.since || a.until || limit_given)) {
    return usage("--since, --until and --limit belong to the history command");
  }

  std::optional<std::string> from_file;
  if (config_file) {
    auto h = hubFromFile(*config_file, env);
    if (!h.ok()) {
      return h.error();
    }
    from_file = h.value();
  }
  if (hub_flag) {
    a.hub_url = *hub_flag;
  } else if (from_file) {
    a.hub_url = *from_file;
  } else if (auto e = env.env ? env.env("VITALS_HUB") : std::nullopt; e && !e->empty()) {
    a.hub_url = *e;
  }
  while (a.hub_url.size() > 1 && a.hub_url.back() == '/') {
    a.hub_url.pop_back();
  }
  if (!validHubUrl(a.hub_url)) {
    return usage("the hub URL must start with http:// or https://, got \"" + a.hub_url + "\"");
  }
  return a;
}

}  // namespace vitals::ctl
