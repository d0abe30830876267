// The agent's YAML config loader from text (parseAgentConfig). Invariant: a config or problems,
// never both; problems carry file:line; an accepted config has an agent id and named checks.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/config/config_loader.hpp"
#include "tests/fuzz/config_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vitals;
  agent::LoadOptions options;
  options.hostname = "web-01.example.com";
  options.readable = [](const std::string& path) { return path.rfind("/etc/vitals/", 0) == 0 || path.rfind("/secrets/", 0) == 0; };
  const std::string text(reinterpret_cast<const char*>(data), size);
  config::Problems problems;
  const auto cfg = agent::parseAgentConfig(text, "agent.yaml", options, problems);
  fuzz::checkConfigOutcome(cfg, problems, "agent.yaml");
  if (cfg) {
    FUZZ_CHECK(!cfg->agent_id.empty(), "an accepted config has an agent id");
    for (const auto& check : cfg->checks) {
      FUZZ_CHECK(!check.name.empty(), "every accepted check has a name");
    }
  }
  return 0;
}
