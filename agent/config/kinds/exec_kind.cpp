// kind: exec — see docs/configuration-agent.md "kind: exec".
#include "agent/config/kinds/kind_readers.hpp"

namespace vitals::agent::kinds {

void readExec(config::YamlReader& c, const LoadOptions&, CheckConfig& check) {
  ExecCheckSpec spec;
  readCommand(c, "exec", "[program, arg, ...]", spec.argv, spec.env, spec.working_dir);
  spec.max_output = static_cast<std::size_t>(c.integer("max_output", 4096, 64, 1 << 20));
  check.spec = std::move(spec);
}

}  // namespace vitals::agent::kinds
