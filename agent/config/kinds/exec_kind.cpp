// kind: exec — see docs/configuration-agent.md "kind: exec".
#include "agent/config/kinds/kind_readers.hpp"

namespace vitals::agent::kinds {

void readExec(config::YamlReader& c, const LoadOptions&, CheckConfig& check) {
  ExecCheckSpec spec;
  if (auto argv = c.strings("argv")) {
    if (argv->empty() || (*argv)[0].empty()) {
      c.problem("argv", "must name a program");
    }
    spec.argv = *argv;
  } else if (!c.has("argv")) {
    c.problem("argv", "is required for kind exec (a list: [program, arg, ...])");
  }
  if (auto env = c.stringMap("env")) {
    for (auto& [k, v] : *env) {
      if (k.empty() || k.find('=') != std::string::npos) {
        c.problem("env", "invalid variable name \"" + k + "\"");
        continue;
      }
      spec.env.emplace_back(k, v);
    }
  }
  spec.working_dir = c.str("working_dir", "");
  if (!spec.working_dir.empty() && spec.working_dir[0] != '/') {
    c.problem("working_dir", "must be an absolute path");
  }
  spec.max_output = static_cast<std::size_t>(c.integer("max_output", 4096, 64, 1 << 20));
  check.spec = std::move(spec);
}

}  // namespace vitals::agent::kinds
