// The hub's YAML config loader from text (parseHubConfig), with secrets from a fake environment
// and file system. Invariant: a config or problems, never both; problems carry file:line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hub/config/hub_config.hpp"
#include "tests/fuzz/config_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vitals;
  hub::ConfigSources sources;
  sources.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "VITALS_DB_PASSWORD" || name == "VITALS_NATS_PASSWORD" ||
        name == "VITALS_EVENTS_HMAC_SECRET") {
      return std::string("s3cret");
    }
    return std::nullopt;
  };
  sources.read_file = [](const std::string& path) -> Result<std::string> {
    // Files under /etc/vitals/ exist (as in docs/configuration-hub.md): rules files hold a
    // valid rule, anything else a secret.
    if (path.rfind("/etc/vitals/", 0) == 0) {
      if (path.size() > 5 && path.compare(path.size() - 5, 5, ".yaml") == 0) {
        return std::string("rules:\n  - name: r\n    event_type: t\n    action: a\n");
      }
      return std::string("s3cret\n");
    }
    return Error{"io", "no such file", path};
  };
  const std::string text(reinterpret_cast<const char*>(data), size);
  config::Problems problems;
  const auto cfg = hub::parseHubConfig(text, "hub.yaml", sources, problems);
  fuzz::checkConfigOutcome(cfg, problems, "hub.yaml", "/etc/vitals/");
  return 0;
}
