// kind: scan — see docs/configuration-agent.md "kind: scan". Its timing defaults (6h interval,
// at least 1m) are applied by the loader with the other timing keys.
#include "agent/config/kinds/kind_readers.hpp"

namespace vitals::agent::kinds {
namespace {

// fail_on / warn_on: a severity name or "none"; returns false after reporting a bad value.
bool readThreshold(config::YamlReader& c, const std::string& key, std::optional<Severity>& out) {
  auto text = c.str(key);
  if (!text) {
    return true;
  }
  if (*text == "none") {
    out.reset();
    return true;
  }
  auto s = parseSeverity(*text);
  if (!s || *text != toString(*s)) {
    c.problem(key,
              "must be one of critical, high, medium, low, unknown or none; got \"" + *text + "\"");
    return false;
  }
  out = *s;
  return true;
}

}  // namespace

void readScan(config::YamlReader& c, const LoadOptions&, CheckConfig& check) {
  ScanCheckSpec spec;
  readCommand(c, "scan", "[trivy, image, --format, json, IMAGE]", spec.argv, spec.env,
              spec.working_dir);
  spec.format = c.str("format", spec.format);
  if (spec.format != "trivy") {
    c.problem("format", "unknown report format \"" + spec.format + "\" (expected trivy)");
  }
  if (auto codes = c.integers("exit_codes", 0, 255)) {
    if (codes->empty()) {
      c.problem("exit_codes", "must list at least one exit code");
    }
    spec.exit_codes.assign(codes->begin(), codes->end());
  }
  const bool fail_ok = readThreshold(c, "fail_on", spec.fail_on);
  const bool warn_ok = readThreshold(c, "warn_on", spec.warn_on);
  if (fail_ok && warn_ok && spec.fail_on && spec.warn_on && *spec.warn_on > *spec.fail_on) {
    c.problem("warn_on", "warn_on (" + std::string(toString(*spec.warn_on)) +
                             ") must not be more severe than fail_on (" +
                             std::string(toString(*spec.fail_on)) + ")");
  }
  spec.max_output = static_cast<std::size_t>(
      c.integer("max_output", static_cast<std::int64_t>(spec.max_output), 64 << 10, 64 << 20));
  check.spec = std::move(spec);
}

}  // namespace vitals::agent::kinds
