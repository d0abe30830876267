#include "hub/events/events_config.hpp"

#include "common/config/secret_file.hpp"

namespace vitals::hub::events {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

std::string readSecretFile(config::YamlReader& r, const std::string& key,
                           const config::ConfigSources& sources) {
  auto path = r.str(key);
  if (!path) {
    return {};
  }
  auto content = sources.read_file(*path);
  if (!content.ok()) {
    r.problem(key, "cannot read \"" + *path + "\": " + content.error().message);
    return {};
  }
  auto secret = config::trimSecret(content.value());
  if (secret.size() < 16) {
    r.problem(key, "the secret in \"" + *path + "\" is shorter than 16 bytes");
  }
  return secret;
}

bool validRole(const std::string& role) { return role == "admin" || role == "operator"; }

}  // namespace

void readEventsSettings(config::YamlReader& section, const config::ConfigSources& sources,
                        EventsSettings& out) {
  out.enabled = true;
  if (auto file = section.str("rules_file")) {
    out.rules_file = *file;
    auto text = sources.read_file(*file);
    if (!text.ok()) {
      section.problem("rules_file", "cannot read \"" + *file + "\": " + text.error().message);
    } else {
      // Problems of the rules file carry its own name and lines.
      auto root = config::YamlReader::loadString(text.value(), *file, section.problems());
      if (root) {
        out.rules = readEventRules(*root);
      }
    }
  } else {
    section.problem("rules_file", "is required: the rules file (actions.yaml)");
  }
  if (auto h = section.mapping("hmac")) {
    out.hmac.secret = readSecretFile(*h, "secret_file", sources);
    if (out.hmac.secret.empty() && sources.env) {
      out.hmac.secret = sources.env("VITALS_EVENTS_HMAC_SECRET").value_or("");
    }
    out.hmac.previous_secret = readSecretFile(*h, "previous_secret_file", sources);
    out.hmac.max_age = h->duration("max_age", out.hmac.max_age, 1s, 1h);
    out.hmac.role = h->str("role", out.hmac.role);
    if (!validRole(out.hmac.role)) {
      h->problem("role", "must be operator or admin, got \"" + out.hmac.role + "\"");
    }
    if (out.hmac.secret.empty()) {
      h->problem("secret_file", "is required (or VITALS_EVENTS_HMAC_SECRET) when hmac is set");
    }
    h->finish();
  }
  if (auto n = section.mapping("nats")) {
    out.nats = n->boolean("enabled", out.nats);
    out.nats_role = n->str("role", out.nats_role);
    if (!validRole(out.nats_role)) {
      n->problem("role", "must be operator or admin, got \"" + out.nats_role + "\"");
    }
    n->finish();
  }
  out.default_cooldown =
      section.duration("default_cooldown", out.default_cooldown, 0ms, milliseconds{std::chrono::hours{24}});
  out.action_timeout = section.duration("action_timeout", out.action_timeout, 100ms, 10min);
  section.finish();
}

}  // namespace vitals::hub::events
