#include "hub/config/hub_config.hpp"

#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>

#include "common/config/secret_file.hpp"
#include "common/nats/subjects.hpp"
#include "hub/events/events_config.hpp"
#include "hub/federation/federation_config.hpp"
#include "hub/preflight/preflight_config.hpp"

namespace vitals::hub {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// A secret from `<key>` (a file path) or else from the environment variable.
std::string readSecret(config::YamlReader& r, const std::string& key, const std::string& env_name,
                       const ConfigSources& sources) {
  if (auto path = r.str(key)) {
    auto content = sources.read_file(*path);
    if (!content.ok()) {
      r.problem(key, "cannot read \"" + *path + "\": " + content.error().message);
      return {};
    }
    return config::trimSecret(content.value());
  }
  if (sources.env) {
    if (auto v = sources.env(env_name)) {
      return *v;
    }
  }
  return {};
}

void validateToken(config::YamlReader& r, const std::string& key, const std::string& value) {
  if (!subjects::isValidToken(value)) {
    r.problem(key, "must be 1-128 characters of A-Z a-z 0-9 _ -, got \"" + value + "\"");
  }
}

// libpq's own parser checks the conninfo/URI, so --check-config catches typos before start.
void validateConninfo(config::YamlReader& r, const std::string& key, const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err != nullptr ? std::string(err) : "out of memory";
    msg.erase(msg.find_last_not_of(" \t\r\n") + 1);
    PQfreemem(err);
    r.problem(key, "invalid libpq connection string: " + msg);
    return;
  }
  for (auto* o = opts; o->keyword != nullptr; ++o) {
    if (std::string(o->keyword) == "password" && o->val != nullptr && *o->val != '\0') {
      r.problem(key,
                "must not contain a password; use database.password_file or "
                "VITALS_DB_PASSWORD");
    }
  }
  PQconninfoFree(opts);
}

// `alerts:`: defaults for services without a stored alert config, and the engine's timing.
void readAlerts(config::YamlReader& a, const notify::NotifySettings& notify,
                alerts::AlertSettings& out) {
  using std::chrono::milliseconds;
  if (auto chans = a.strings("default_channels")) {
    for (const auto& ch : *chans) {
      if (notify.channels.count(ch) == 0) {
        a.problem("default_channels", "\"" + ch + "\" is not a channel under notify.channels");
      }
    }
    out.default_channels = *chans;
  }
  const auto day = milliseconds{std::chrono::hours{24}};
  out.escalation_delay_seconds = static_cast<int>(
      a.duration("escalation_delay", std::chrono::seconds{out.escalation_delay_seconds}, 0ms, day)
          .count() /
      1000);
  out.suppression_window_seconds = static_cast<int>(
      a.duration("suppression_window", std::chrono::seconds{out.suppression_window_seconds}, 0ms,
                 day * 30)
          .count() /
      1000);
  out.recovery_notice = a.boolean("recovery_notice", out.recovery_notice);
  out.min_severity = a.str("min_severity", out.min_severity);
  if (out.min_severity != "degraded" && out.min_severity != "down" &&
      out.min_severity != "unknown") {
    a.problem("min_severity",
              "must be degraded, unknown or down, got \"" + out.min_severity + "\"");
  }
  out.max_notify_age = a.duration("max_notify_age", out.max_notify_age, 0ms, day * 7);
  out.tick_interval = a.duration("tick_interval", out.tick_interval, 100ms, milliseconds{60000});
  a.finish();
}

// `notify:`: channels (webhook, slack, email) and how delivery retries.
void readNotify(config::YamlReader& n, const ConfigSources& sources, notify::NotifySettings& out) {
  out.timeout = n.duration("timeout", out.timeout, 100ms, 5min);
  out.poll_interval = n.duration("poll_interval", out.poll_interval, 10ms, 60s);
  out.retry.initial =
      n.duration("retry_initial", out.retry.initial, 10ms, milliseconds{std::chrono::hours{1}});
  out.retry.max =
      n.duration("retry_max", out.retry.max, 10ms, milliseconds{std::chrono::hours{24}});
  out.retry.max_attempts =
      static_cast<int>(n.integer("max_attempts", out.retry.max_attempts, 1, 1000));
  if (out.retry.max < out.retry.initial) {
    n.problem("retry_max", "must not be shorter than notify.retry_initial");
  }
  auto channels = n.mapping("channels");
  if (channels) {
    for (const auto& name : channels->keys()) {
      auto ch = channels->mapping(name);
      if (!ch) {
        continue;  // "must be a mapping" already reported
      }
      if (!subjects::isValidToken(name)) {
        channels->problem(name, "channel names must be 1-128 characters of A-Z a-z 0-9 _ -");
      }
      notify::ChannelSettings c;
      c.name = name;
      const std::string type = ch->str("type", "");
      c.stop_notices = ch->boolean("stop_notices", true);
      auto http_url = [&](const char* key) {
        if (auto url = ch->str(key)) {
          if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
            ch->problem(key, "must be an http:// or https:// URL, got \"" + *url + "\"");
          }
          return *url;
        }
        ch->problem(key, "is required for a " + type + " channel");
        return std::string();
      };
      auto secret = [&](const char* key) -> std::string {
        if (auto path = ch->str(key)) {
          auto content = sources.read_file(*path);
          if (!content.ok()) {
            ch->problem(key, "cannot read \"" + *path + "\": " + content.error().message);
            return {};
          }
          auto v = config::trimSecret(content.value());
          if (v.empty()) {
            ch->problem(key, "\"" + *path + "\" is empty");
          }
          return v;
        }
        return {};
      };
      if (type == "webhook") {
        c.type = notify::ChannelType::Webhook;
        c.url = http_url("url");
        c.secret = secret("secret_file");
        c.previous_secret = secret("secondary_secret_file");
        if (!ch->has("secret_file")) {
          ch->problem("secret_file", "is required for a webhook channel (requests are signed)");
        }
      } else if (type == "slack") {
        c.type = notify::ChannelType::Slack;
        c.url = http_url("url");
      } else if (type == "email") {
        c.type = notify::ChannelType::Email;
        c.smtp_url = ch->str("smtp_url", "");
        if (c.smtp_url.rfind("smtp://", 0) != 0 && c.smtp_url.rfind("smtps://", 0) != 0) {
          ch->problem("smtp_url",
                      "must be smtp://host:port or smtps://host:port, got \"" + c.smtp_url + "\"");
        }
        c.from = ch->str("from", "");
        if (c.from.find('@') == std::string::npos) {
          ch->problem("from", "must be an email address, got \"" + c.from + "\"");
        }
        c.to = ch->strings("to").value_or(std::vector<std::string>{});
        if (c.to.empty()) {
          ch->problem("to", "must list at least one address");
        }
        for (const auto& t : c.to) {
          if (t.find('@') == std::string::npos ||
              t.find_first_of("<>\r\n ,") != std::string::npos) {
            ch->problem("to", "\"" + t + "\" is not an email address");
          }
        }
        c.username = ch->str("username", "");
        c.password = secret("password_file");
        if (c.username.empty() && ch->has("password_file")) {
          ch->problem("password_file", "is set but username is not");
        }
        c.starttls = ch->boolean("starttls", false);
      } else {
        ch->problem("type", "must be webhook, slack or email, got \"" + type + "\"");
      }
      ch->finish();
      out.channels[name] = std::move(c);
    }
  }
  n.finish();
}
// `api:`: authentication, limits and TLS of the REST API.
void readApi(config::YamlReader& a, const ConfigSources& sources, ApiSettings& out) {
  const std::string auth = a.str("auth", "required");
  if (auth == "required") {
    out.auth_required = true;
  } else if (auth == "disabled") {
    out.auth_required = false;
  } else {
    a.problem("auth", "must be required or disabled, got \"" + auth + "\"");
  }
  out.metrics_public = a.boolean("metrics_public", out.metrics_public);
  if (auto size = a.str("max_body_bytes")) {
    auto bytes = parseByteSize(*size);
    if (!bytes || *bytes < 1024 || *bytes > (std::int64_t{1} << 30)) {
      a.problem("max_body_bytes",
                "must be a size from 1KiB to 1GiB such as 1048576 or 1MiB, got \"" + *size + "\"");
    } else {
      out.max_body_bytes = *bytes;
    }
  }
  if (auto rl = a.mapping("rate_limit")) {
    out.rate_per_second =
        static_cast<int>(rl->integer("requests_per_second", out.rate_per_second, 0, 1000000));
    out.rate_burst = static_cast<int>(rl->integer("burst", out.rate_burst, 1, 1000000));
    rl->finish();
  }
  out.read_timeout = a.duration("read_timeout", out.read_timeout, 100ms, 10min);
  out.write_timeout = a.duration("write_timeout", out.write_timeout, 100ms, 10min);
  out.key_cache_ttl = a.duration("key_cache_ttl", out.key_cache_ttl, 0ms, 5min);
  out.tls_cert_file = a.str("tls_cert_file", "");
  out.tls_key_file = a.str("tls_key_file", "");
  if (out.tls_cert_file.empty() != out.tls_key_file.empty()) {
    a.problem(out.tls_cert_file.empty() ? "tls_key_file" : "tls_cert_file",
              "tls_cert_file and tls_key_file go together: set both or neither");
  }
  for (const char* key : {"tls_cert_file", "tls_key_file"}) {
    const auto& path = std::string(key) == "tls_cert_file" ? out.tls_cert_file : out.tls_key_file;
    if (!path.empty()) {
      if (auto content = sources.read_file(path); !content.ok()) {
        a.problem(key, "cannot read \"" + path + "\": " + content.error().message);
      }
    }
  }
  a.finish();
}

}  // namespace

bool parseListen(const std::string& text, std::string& host, int& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) {
    return false;
  }
  std::string h = text.substr(0, colon);
  if (h.front() == '[') {
    if (h.back() != ']' || h.size() < 3) {
      return false;
    }
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return false;  // a bare IPv6 address needs brackets
  }
  const std::string p = text.substr(colon + 1);
  if (p.size() > 5) {
    return false;
  }
  int value = 0;
  for (char c : p) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  if (value > 65535) {
    return false;
  }
  host = h;
  port = value;
  return true;
}

std::optional<std::int64_t> parseByteSize(const std::string& text) {
  if (text == "unlimited" || text == "-1") {
    return -1;
  }
  std::size_t i = 0;
  std::int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    n = n * 10 + (text[i] - '0');
    if (n > (1LL << 50)) {
      return std::nullopt;
    }
    ++i;
  }
  if (i == 0) {
    return std::nullopt;
  }
  std::string unit = text.substr(i);
  if (!unit.empty() && unit.front() == ' ') {
    unit.erase(0, 1);
  }
  static const std::pair<const char*, std::int64_t> kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000LL},
      {"MB", 1000LL * 1000},
      {"GB", 1000LL * 1000 * 1000},
      {"TB", 1000LL * 1000 * 1000 * 1000},
      {"KiB", 1LL << 10},
      {"MiB", 1LL << 20},
      {"GiB", 1LL << 30},
      {"TiB", 1LL << 40},
  };
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) {
      if (n > (std::int64_t{1} << 62) / scale) {
        return std::nullopt;
      }
      return n * scale;
    }
  }
  return std::nullopt;
}

// `repair:` (after `notify:`: notify_channels must name configured channels).
static void readRepair(config::YamlReader& r, const notify::NotifySettings& notify,
                       RepairSettings& out) {
  out.enabled = r.boolean("enabled", out.enabled);
  out.rate_limit = static_cast<int>(r.integer("rate_limit", out.rate_limit, 0, 100000));
  out.rate_window =
      r.duration("rate_window", out.rate_window, 1s, milliseconds{std::chrono::hours{24 * 7}});
  out.approval_expiry = r.duration("approval_expiry", out.approval_expiry, 1s,
                                   milliseconds{std::chrono::hours{24 * 7}});
  out.command_timeout = r.duration("command_timeout", out.command_timeout, 1s, 1h);
  out.sweep_interval = r.duration("sweep_interval", out.sweep_interval, 100ms, 5min);
  if (auto channels = r.strings("notify_channels")) {
    for (const auto& name : *channels) {
      if (!notify.channels.count(name)) {
        r.problem("notify_channels",
                  "unknown channel \"" + name + "\" (not under notify.channels)");
      }
    }
    out.notify_channels = *channels;
  }
  if (auto d = r.mapping("default_policy")) {
    out.default_enabled = d->boolean("enabled", out.default_enabled);
    out.default_dry_run = d->boolean("dry_run", out.default_dry_run);
    out.default_require_approval = d->boolean("require_approval", out.default_require_approval);
    out.default_max_attempts =
        static_cast<int>(d->integer("max_attempts", out.default_max_attempts, 1, 100));
    out.default_cooldown = d->duration("cooldown", out.default_cooldown, 0ms,
                                       milliseconds{std::chrono::hours{24 * 7}});
    out.default_circuit_breaker =
        static_cast<int>(d->integer("circuit_breaker", out.default_circuit_breaker, 1, 100));
    out.default_verify_after =
        d->duration("verify_after", out.default_verify_after, 0ms, milliseconds{24h});
    d->finish();
  }
  r.finish();
}

std::optional<HubConfig> readHubConfig(config::YamlReader& root, const ConfigSources& sources) {
  auto& problems = root.problems();
  const std::size_t before = problems.list().size();
  HubConfig c;

  c.hub_id = root.str("hub_id", c.hub_id);
  validateToken(root, "hub_id", c.hub_id);

  nats::NatsSources nats_sources;
  nats_sources.readable = [&sources](const std::string& path) -> Status {
    if (auto content = sources.read_file(path); !content.ok()) {
      return content.error();
    }
    return okStatus();
  };
  nats_sources.read_secret = [&sources](const std::string& path) -> Result<std::string> {
    auto content = sources.read_file(path);
    if (!content.ok()) {
      return content.error();
    }
    return config::trimSecret(content.value());
  };
  nats_sources.env = sources.env;
  nats::readNatsSection(root, nats_sources, c.nats);

  if (auto d = root.mapping("database")) {
    c.database.url = d->str("url", c.database.url);
    validateConninfo(*d, "url", c.database.url);
    c.database.password = readSecret(*d, "password_file", "VITALS_DB_PASSWORD", sources);
    c.database.pool_size = static_cast<int>(d->integer("pool_size", c.database.pool_size, 1, 64));
    c.database.connect_timeout = d->duration("connect_timeout", c.database.connect_timeout, 1s,
                                             milliseconds{std::chrono::minutes{5}});
    d->finish();
  } else {
    if (sources.env) {
      c.database.password = sources.env("VITALS_DB_PASSWORD").value_or("");
    }
  }

  if (auto h = root.mapping("http")) {
    if (auto listen = h->str("listen")) {
      if (!parseListen(*listen, c.http.host, c.http.port)) {
        h->problem("listen", "must be host:port with a port of 0-65535, got \"" + *listen + "\"");
      }
    }
    if (auto ws = h->str("websocket_listen"); ws && !ws->empty()) {
      if (!parseListen(*ws, c.http.websocket_host, c.http.websocket_port)) {
        h->problem("websocket_listen",
                   "must be host:port with a port of 0-65535, got \"" + *ws + "\"");
      } else if (c.http.websocket_port != 0 && c.http.websocket_port == c.http.port) {
        h->problem("websocket_listen",
                   "must be another port than listen (" + std::to_string(c.http.port) + ")");
      }
    }
    h->finish();
  }

  if (auto i = root.mapping("ingest")) {
    c.ingest.stream = i->str("stream", c.ingest.stream);
    validateToken(*i, "stream", c.ingest.stream);
    c.ingest.durable = i->str("durable", c.ingest.durable);
    validateToken(*i, "durable", c.ingest.durable);
    c.ingest.batch_size = static_cast<int>(i->integer("batch_size", c.ingest.batch_size, 1, 10000));
    c.ingest.fetch_timeout = i->duration("fetch_timeout", c.ingest.fetch_timeout, 10ms, 60s);
    c.ingest.max_delay = i->duration("max_delay", c.ingest.max_delay, 0ms, 1s);
    c.ingest.ack_wait =
        i->duration("ack_wait", c.ingest.ack_wait, 1s, milliseconds{std::chrono::hours{1}});
    c.ingest.stream_max_age = i->duration("stream_max_age", c.ingest.stream_max_age,
                                          milliseconds{std::chrono::minutes{1}},
                                          milliseconds{std::chrono::hours{24 * 3650}});
    if (auto size = i->str("stream_max_bytes")) {
      auto bytes = parseByteSize(*size);
      if (!bytes || (*bytes != -1 && *bytes < (1 << 20))) {
        i->problem("stream_max_bytes",
                   "must be a size of at least 1MiB such as 1073741824, 512MiB or 2GB, or "
                   "\"unlimited\", got \"" +
                       *size + "\"");
      } else {
        c.ingest.stream_max_bytes = *bytes;
      }
    }
    c.ingest.duplicate_window = i->duration("duplicate_window", c.ingest.duplicate_window, 1s,
                                            milliseconds{std::chrono::hours{24}});
    if (c.ingest.fetch_timeout >= c.ingest.ack_wait) {
      i->problem("fetch_timeout", "must be shorter than ingest.ack_wait");
    }
    if (c.ingest.max_delay > c.ingest.fetch_timeout) {
      i->problem("max_delay", "must not be longer than ingest.fetch_timeout (" +
                                  formatDuration(c.ingest.fetch_timeout) + ")");
    }
    i->finish();
  }

  c.retention_days = static_cast<int>(root.integer("retention_days", c.retention_days, 1, 3650));
  c.uptime_retention_days =
      static_cast<int>(root.integer("uptime_retention_days", c.uptime_retention_days, 1, 3650));

  if (auto services = root.mapping("services")) {
    for (const auto& name : services->keys()) {
      auto svc = services->mapping(name);
      if (!svc) {
        continue;  // "must be a mapping" already reported
      }
      policy::ServiceRule rule;
      const std::string kind = svc->str("rule", "worst");
      if (kind == "worst") {
        rule.kind = policy::RuleKind::Worst;
      } else if (kind == "any") {
        rule.kind = policy::RuleKind::Any;
      } else if (kind == "all") {
        rule.kind = policy::RuleKind::All;
      } else if (kind == "quorum") {
        rule.kind = policy::RuleKind::Quorum;
      } else {
        svc->problem("rule", "must be worst, any, all or quorum, got \"" + kind + "\"");
      }
      if (svc->has("quorum")) {
        rule.quorum = static_cast<int>(svc->integer("quorum", 1, 1, 10000));
        if (rule.kind != policy::RuleKind::Quorum) {
          svc->problem("quorum", "is only used with rule: quorum");
        }
      } else if (rule.kind == policy::RuleKind::Quorum) {
        svc->problem("quorum", "is required with rule: quorum");
      }
      if (auto deps = svc->strings("depends_on")) {
        for (const auto& d : *deps) {
          if (d == name) {
            svc->problem("depends_on", "a service cannot depend on itself");
          }
        }
        rule.depends_on = *deps;
      }
      for (auto [key, field] :
           {std::pair{"log_errors_per_minute", &rule.log_errors_per_minute},
            std::pair{"log_warnings_per_minute", &rule.log_warnings_per_minute}}) {
        auto rate = svc->str(key);
        if (!rate) {
          continue;
        }
        char* end = nullptr;
        const double v = std::strtod(rate->c_str(), &end);
        if (rate->empty() || end != rate->c_str() + rate->size() || !(v > 0 && v < 1e9)) {
          svc->problem(key, std::string("must be a positive number of ") +
                                (field == &rule.log_errors_per_minute ? "errors" : "warnings") +
                                " per minute, got \"" + *rate + "\"");
        } else {
          *field = v;
        }
      }
      svc->finish();
      c.services[name] = std::move(rule);
    }
  }

  if (auto st = root.mapping("staleness")) {
    auto& l = c.staleness.liveness;
    l.missed_heartbeats =
        static_cast<int>(st->integer("missed_heartbeats", l.missed_heartbeats, 1, 100));
    l.fallback_interval = st->duration("fallback_interval", l.fallback_interval, 100ms,
                                       milliseconds{std::chrono::hours{24}});
    l.skew_threshold = st->duration("clock_skew_threshold", l.skew_threshold, 1s,
                                    milliseconds{std::chrono::hours{24}});
    c.staleness.sweep_interval =
        st->duration("sweep_interval", c.staleness.sweep_interval, 100ms, 5min);
    st->finish();
  }

  if (auto ag = root.mapping("agents")) {
    auto& lc = c.agents;
    lc.restart_grace =
        ag->duration("restart_grace", lc.restart_grace, 0ms, milliseconds{std::chrono::hours{24}});
    lc.forget_after = ag->duration("forget_after", lc.forget_after, 0ms,
                                   milliseconds{std::chrono::hours{24 * 3650}});
    if (lc.forget_after.count() > 0 && lc.forget_after <= lc.restart_grace) {
      ag->problem("forget_after", "must be longer than restart_grace (or 0 for never)");
    }
    ag->finish();
  }

  if (auto u = root.mapping("uptime")) {
    if (auto w = u->str("degraded_weight")) {
      char* end = nullptr;
      const double v = std::strtod(w->c_str(), &end);
      if (w->empty() || end != w->c_str() + w->size() || !(v >= 0.0 && v <= 1.0)) {
        u->problem("degraded_weight", "must be a number from 0 to 1, got \"" + *w + "\"");
      } else {
        c.uptime.degraded_weight = v;
      }
    }
    u->finish();
  }

  if (auto ls = root.mapping("log_stats")) {
    auto& l = c.log_stats;
    l.enabled = ls->boolean("enabled", l.enabled);
    l.interval = ls->duration("interval", l.interval, 1s, std::chrono::milliseconds{3600 * 1000});
    l.retention_days = static_cast<int>(ls->integer("retention_days", l.retention_days, 1, 3650));
    l.backfill = ls->duration("backfill", l.backfill, 0ms,
                              std::chrono::milliseconds{400LL * 24 * 3600 * 1000});
    l.top_messages = static_cast<int>(ls->integer("top_messages", l.top_messages, 1, 1000));
    l.threshold_refresh = ls->duration("threshold_refresh", l.threshold_refresh, 100ms, 10min);
    ls->finish();
  }
  if (auto rp = root.mapping("replica")) {
    c.replica.id = rp->str("id", c.replica.id);
    if (!c.replica.id.empty()) {
      validateToken(*rp, "id", c.replica.id);
    }
    c.replica.group = rp->str("group", c.replica.group);
    if (!c.replica.group.empty()) {
      validateToken(*rp, "group", c.replica.group);
    }
    c.replica.lease_interval =
        rp->duration("lease_interval", c.replica.lease_interval, 100ms, 1min);
    rp->finish();
  }
  if (c.replica.id.empty()) {
    c.replica.id = c.hub_id;
  }
  if (c.replica.group.empty()) {
    c.replica.group = c.hub_id;
  }

  if (auto n = root.mapping("notify")) {
    readNotify(*n, sources, c.notify);
  }
  if (auto rp = root.mapping("repair")) {
    readRepair(*rp, c.notify, c.repair);
  }
  if (auto a = root.mapping("alerts")) {
    readAlerts(*a, c.notify, c.alerts);
  }

  {
    std::set<std::string> channels;
    for (const auto& [name, ch] : c.notify.channels) {
      channels.insert(name);
    }
    if (auto p = root.mapping("preflight")) {
      preflight::readPreflightSettings(*p, channels, c.preflight);
    } else {
      c.preflight.checks = preflight::defaultChecks();
    }
  }
  if (auto e = root.mapping("events")) {
    events::readEventsSettings(*e, sources, c.events);
  }

  if (auto a = root.mapping("api")) {
    readApi(*a, sources, c.api);
  }
  if (auto f = root.mapping("federation")) {
    federation::readFederationSettings(*f, c.hub_id, c.federation);
  }

  if (auto en = root.mapping("enrollment")) {
    auto& e = c.enrollment;
    e.enabled = true;
    e.nats_users_file = en->str("nats_users_file", "");
    if (e.nats_users_file.empty()) {
      en->problem("nats_users_file",
                  "is required: the nats-server users file the hub writes (nats-server.conf "
                  "includes it)");
    } else if (e.nats_users_file.front() != '/') {
      en->problem("nats_users_file", "must be an absolute path, got \"" + e.nats_users_file + "\"");
    }
    if (auto argv = en->strings("nats_reload_command")) {
      e.nats_reload_command = *argv;
      if (argv->empty() || argv->front().empty()) {
        en->problem("nats_reload_command",
                    "must be an argv list such as [nats-server, --signal, "
                    "\"reload=/run/nats/nats.pid\"] (omit it for no reload)");
      }
    }
    e.nats_static_users_file = en->str("nats_static_users_file", "");
    e.hub_nkey = en->str("hub_nkey", c.nats.nkey);
    if (!e.hub_nkey.empty() && (e.hub_nkey.size() != 56 || e.hub_nkey.front() != 'U')) {
      en->problem("hub_nkey", "must be an NKEY user public key (\"U\" and 55 characters)");
    }
    if (e.hub_nkey.empty() && e.nats_static_users_file.empty()) {
      en->problem("nats_users_file",
                  "the file would hold no identity for the hub itself: set nats.nkey (or "
                  "enrollment.hub_nkey) or enrollment.nats_static_users_file");
    }
    e.agent_nats_url = en->str("agent_nats_url", c.nats.url);
    e.token_max_ttl = en->duration("token_max_ttl", e.token_max_ttl, std::chrono::minutes{1},
                                   std::chrono::hours{24 * 30});
    en->finish();
  }

  if (auto l = root.mapping("log")) {
    c.log.level = l->str("level", c.log.level);
    spdlog::level::level_enum lvl;
    if (!log::parseLevel(c.log.level, lvl)) {
      l->problem("level", "must be one of trace, debug, info, warn, error, critical, off, got \"" +
                              c.log.level + "\"");
    }
    const std::string format = l->str("format", "auto");
    if (format == "auto") {
      c.log.format = log::Format::Auto;
    } else if (format == "text") {
      c.log.format = log::Format::Text;
    } else if (format == "json") {
      c.log.format = log::Format::Json;
    } else {
      l->problem("format", "must be auto, text or json, got \"" + format + "\"");
    }
    l->finish();
  }

  root.finish();
  if (problems.list().size() != before) {
    return std::nullopt;
  }
  return c;
}

std::optional<HubConfig> parseHubConfig(const std::string& text, const std::string& file,
                                        const ConfigSources& sources, config::Problems& problems) {
  auto root = config::YamlReader::loadString(text, file, problems);
  if (!root) {
    return std::nullopt;
  }
  return readHubConfig(*root, sources);
}

std::optional<HubConfig> loadHubConfig(const std::string& path, const ConfigSources& sources,
                                       config::Problems& problems) {
  auto root = config::YamlReader::loadFile(path, problems);
  if (!root) {
    return std::nullopt;
  }
  return readHubConfig(*root, sources);
}

}  // namespace vitals::hub
