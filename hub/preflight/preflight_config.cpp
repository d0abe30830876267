#include "hub/preflight/preflight_config.hpp"

#include "common/nats/subjects.hpp"

namespace vitals::hub::preflight {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr std::pair<CheckKind, std::string_view> kKinds[] = {
    {CheckKind::ServiceStatus, "service_status"},
    {CheckKind::AgentsOnline, "agents_online"},
    {CheckKind::MigrationsCurrent, "migrations_current"},
    {CheckKind::StreamPresent, "stream_present"},
    {CheckKind::DatabaseReachable, "database_reachable"},
    {CheckKind::NotifierTest, "notifier_test"},
    {CheckKind::ClockSkew, "clock_skew"},
};

CheckSpec makeSpec(std::string name, CheckKind kind, bool required) {
  CheckSpec s;
  s.name = std::move(name);
  s.kind = kind;
  s.required = required;
  return s;
}

// The kind-specific keys; keys of other kinds stay unread and finish() reports them.
void readKindKeys(config::YamlReader& r, const std::set<std::string>& channels, CheckSpec& s) {
  switch (s.kind) {
    case CheckKind::ServiceStatus: {
      if (auto services = r.strings("services")) {
        s.services = *services;
      }
      if (s.services.empty()) {
        r.problem("services", "is required: the services that must be up");
      }
      if (auto accept = r.strings("accept")) {
        s.accept.clear();
        for (const auto& a : *accept) {
          auto st = parseHealthStatus(a);
          if (!st) {
            r.problem("accept", "must list healthy, degraded, down or unknown, got \"" + a + "\"");
          } else {
            s.accept.push_back(*st);
          }
        }
        if (accept->empty()) {
          r.problem("accept", "must not be empty");
        }
      }
      break;
    }
    case CheckKind::AgentsOnline:
      s.min_agents = static_cast<int>(r.integer("min", s.min_agents, 1, 100000));
      break;
    case CheckKind::NotifierTest:
      if (auto ch = r.str("channel")) {
        s.channel = *ch;
        if (!channels.contains(s.channel)) {
          r.problem("channel", "no notify channel named \"" + s.channel + "\"");
        }
      } else {
        r.problem("channel", "is required: a channel of notify.channels");
      }
      s.resend_interval = r.duration("resend_interval", s.resend_interval, 1s,
                                     milliseconds{std::chrono::hours{24 * 7}});
      break;
    case CheckKind::ClockSkew:
      if (r.has("max_skew")) {
        s.max_skew = r.duration("max_skew", 1s, 100ms, milliseconds{std::chrono::hours{24}});
      }
      break;
    case CheckKind::MigrationsCurrent:
    case CheckKind::StreamPresent:
    case CheckKind::DatabaseReachable:
      break;
  }
}

}  // namespace

std::string_view toString(CheckKind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) {
      return name;
    }
  }
  return "unknown";
}

std::optional<CheckKind> parseCheckKind(std::string_view text) {
  for (const auto& [k, name] : kKinds) {
    if (name == text) {
      return k;
    }
  }
  return std::nullopt;
}

std::vector<CheckSpec> defaultChecks() {
  std::vector<CheckSpec> out;
  out.push_back(makeSpec("database", CheckKind::DatabaseReachable, true));
  out.push_back(makeSpec("migrations", CheckKind::MigrationsCurrent, true));
  out.push_back(makeSpec("stream", CheckKind::StreamPresent, true));
  out.push_back(makeSpec("agents", CheckKind::AgentsOnline, false));
  return out;
}

void readPreflightSettings(config::YamlReader& section, const std::set<std::string>& channels,
                           PreflightSettings& out) {
  out.interval =
      section.duration("interval", out.interval, 1s, milliseconds{std::chrono::hours{24}});
  out.publish_interval = section.duration("publish_interval", out.publish_interval, 1s,
                                          milliseconds{std::chrono::hours{1}});
  out.not_ready_interval = section.duration("not_ready_interval", out.not_ready_interval, 1s,
                                            milliseconds{std::chrono::hours{1}});
  out.watch_interval = section.duration("watch_interval", out.watch_interval, 0s,
                                        milliseconds{std::chrono::minutes{1}});
  if (out.watch_interval.count() > 0 && out.watch_interval < 100ms) {
    section.problem("watch_interval", "must be 0 (off) or at least 100ms");
  }
  if (!section.has("checks")) {
    out.checks = defaultChecks();
    section.finish();
    return;
  }
  auto list = section.mappings("checks");
  if (!list) {
    section.problem("checks", "must be a list of checks (name, kind, required, ...)");
    section.finish();
    return;
  }
  out.checks.clear();
  std::set<std::string> names;
  for (auto& r : *list) {
    CheckSpec s;
    auto name = r.str("name");
    if (!name) {
      r.problem("name", "is required");
    } else if (!subjects::isValidToken(*name)) {
      r.problem("name", "must be 1-128 characters of A-Z a-z 0-9 _ -, got \"" + *name + "\"");
    } else if (!names.insert(*name).second) {
      r.problem("name", "\"" + *name + "\" is used by another check");
    } else {
      s.name = *name;
    }
    auto kind_text = r.str("kind");
    std::optional<CheckKind> kind;
    if (!kind_text) {
      r.problem("kind", "is required");
    } else if (kind = parseCheckKind(*kind_text); !kind) {
      r.problem("kind",
                "must be service_status, agents_online, migrations_current, stream_present, "
                "database_reachable, notifier_test or clock_skew, got \"" +
                    *kind_text + "\"");
    }
    s.required = r.boolean("required", true);
    if (kind) {
      s.kind = *kind;
      readKindKeys(r, channels, s);
    }
    r.finish();
    out.checks.push_back(std::move(s));
  }
  section.finish();
}

}  // namespace vitals::hub::preflight
