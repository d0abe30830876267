#include "hub/store/pg_event_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <tuple>
#include <unordered_map>

#include <map>
#include <set>
#include "common/log/log.hpp"
#include "hub/store/pg_security_store.hpp"

namespace vitals::hub::store {
namespace {

using nlohmann::json;

constexpr const char* kStagingDdl =
    "CREATE TEMP TABLE IF NOT EXISTS health_checks_staging "
    "(LIKE health_checks INCLUDING DEFAULTS) ON COMMIT DELETE ROWS";

constexpr const char* kColumns =
    "agent_id, boot_id, seq, service, check_name, kind, status, raw_status, latency_us, message, "
    "details, failure_kind, attempt, consecutive_failures, flapping, observed_at, received_at";

// The newest result per check (computed in C++ by newestPerCheck), applied only when it is
// newer than what `checks` holds: same boot -> higher seq; another boot -> later observed_at.
constexpr const char* kUpsertLatest = R"sql(
INSERT INTO checks AS c (agent_id, name, service, kind, last_status, last_raw_status,
                         last_latency_us, last_message, last_checked, last_boot_id, last_seq,
                         last_failure_kind)
SELECT x.agent_id, x.name, x.service, x.kind, x.status, x.raw_status, x.latency_us, x.message,
       x.observed_at, x.boot_id, x.seq, x.failure_kind
FROM jsonb_to_recordset($1::jsonb) AS x(agent_id text, name text, service text, kind text,
     status text, raw_status text, latency_us bigint, message text, observed_at timestamptz,
     boot_id text, seq bigint, failure_kind text)
-- A late result of a check its agent's registration (same boot) no longer lists stays history.
WHERE NOT EXISTS (SELECT 1 FROM agents a WHERE a.agent_id = x.agent_id
                    AND a.registered_at IS NOT NULL AND a.boot_id = x.boot_id
                    AND NOT EXISTS (SELECT 1 FROM checks k
                                    WHERE k.agent_id = x.agent_id AND k.name = x.name))
ORDER BY x.agent_id, x.name
ON CONFLICT (agent_id, name) DO UPDATE SET
  service = EXCLUDED.service,
  kind = EXCLUDED.kind,
  last_status = EXCLUDED.last_status,
  last_raw_status = EXCLUDED.last_raw_status,
  last_latency_us = EXCLUDED.last_latency_us,
  last_message = EXCLUDED.last_message,
  last_checked = EXCLUDED.last_checked,
  last_boot_id = EXCLUDED.last_boot_id,
  last_seq = EXCLUDED.last_seq,
  last_failure_kind = EXCLUDED.last_failure_kind
WHERE c.last_seq IS NULL
   OR (c.last_boot_id = EXCLUDED.last_boot_id AND EXCLUDED.last_seq > c.last_seq)
   OR (c.last_boot_id <> EXCLUDED.last_boot_id AND EXCLUDED.last_checked > c.last_checked)
)sql";

// PostgreSQL's jsonb refuses \u0000; protobuf strings may carry NUL.
std::string noNul(const std::string& s) {
  if (s.find('\0') == std::string::npos) {
    return s;
  }
  std::string out;
  for (char c : s) {
    if (c != '\0') {
      out += c;
    }
  }
  return out;
}

// The agent's actions with parameters and limits; null for an agent that sent names only.
json actionSpecsJson(const std::vector<ActionSpec>& specs) {
  if (specs.empty()) {
    return nullptr;
  }
  json j = json::array();
  for (const auto& a : specs) {
    json params = json::array();
    for (const auto& p : a.params) {
      params.push_back({{"name", noNul(p.name)}, {"pattern", noNul(p.pattern)}});
    }
    j.push_back({{"name", noNul(a.name)},
                 {"params", std::move(params)},
                 {"timeout_ms", a.timeout.count()},
                 {"cooldown_ms", a.cooldown.count()},
                 {"max_concurrent", a.max_concurrent}});
  }
  return j;
}

// A run of registrations: the last one of each agent counts (a later registration replaces
// everything an earlier one of the same run wrote, except services, which keep every name seen).
Status writeRegistrations(PgConnection& conn, const std::vector<const Registration*>& run,
                          const std::string& now) {
  std::map<std::string, const Registration*> last;
  json services = json::array();
  for (const auto* reg : run) {
    last[reg->agent_id] = reg;
    for (const auto& c : reg->checks) {
      services.push_back({{"service", noNul(c.service)}});
    }
  }
  json agents = json::array();
  json specs = json::array();
  for (const auto& [id, reg] : last) {
    json labels = json::object();
    for (const auto& [k, v] : reg->labels) {
      labels[k] = v;
    }
    json names = json::array();
    for (const auto& c : reg->checks) {
      names.push_back(noNul(c.name));
      specs.push_back({{"agent_id", id},
                       {"name", noNul(c.name)},
                       {"service", noNul(c.service)},
                       {"kind", noNul(c.kind)},
                       {"target", noNul(c.target)},
                       {"interval_ms", c.interval.count()},
                       {"timeout_ms", c.timeout.count()},
                       {"retries", c.retries},
                       {"degraded_latency_ms", c.degraded_latency.count()}});
    }
    json actions = json::array();
    for (const auto& a : reg->actions) {
      actions.push_back(a);
    }
    agents.push_back({{"agent_id", id},
                      {"hostname", noNul(reg->hostname)},
                      {"version", noNul(reg->version)},
                      {"boot_id", noNul(reg->boot_id)},
                      {"labels", labels},
                      {"config_hash", noNul(reg->config_hash)},
                      {"check_count", reg->checks.size()},
                      {"actions", actions},
                      {"action_specs", actionSpecsJson(reg->action_specs)},
                      {"names", names}});
  }
  const auto dump = [](const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  const std::string agents_json = dump(agents);
  auto a = conn.exec(
      "INSERT INTO agents (agent_id, hostname, version, boot_id, labels, config_hash, "
      "first_seen, last_seen, registered_at, deregistered_at, check_count, actions, "
      "action_specs) "
      "SELECT x.agent_id, x.hostname, x.version, x.boot_id, x.labels, x.config_hash, $2, $2, $2, "
      "NULL, x.check_count, x.actions, x.action_specs FROM jsonb_to_recordset($1::jsonb) AS "
      "x(agent_id text, hostname text, version text, boot_id text, labels jsonb, "
      "config_hash text, check_count integer, actions jsonb, action_specs jsonb) "
      "ORDER BY x.agent_id "
      "ON CONFLICT (agent_id) DO UPDATE SET hostname = EXCLUDED.hostname, "
      "version = EXCLUDED.version, boot_id = EXCLUDED.boot_id, labels = EXCLUDED.labels, "
      "config_hash = EXCLUDED.config_hash, "
      "last_seen = GREATEST(agents.last_seen, EXCLUDED.last_seen), "
      "registered_at = EXCLUDED.registered_at, deregistered_at = NULL, forgotten_at = NULL, "
      "check_count = EXCLUDED.check_count, actions = EXCLUDED.actions, "
      "action_specs = EXCLUDED.action_specs",
      {agents_json, now});
  if (!a.ok()) {
    return a.error();
  }
  // Checks each registration no longer lists go; the spec lists travel as JSON (encoded by
  // nlohmann, never spliced into SQL).
  auto removed = conn.exec(
      "DELETE FROM checks c USING jsonb_to_recordset($1::jsonb) AS x(agent_id text, names jsonb) "
      "WHERE c.agent_id = x.agent_id AND NOT (x.names ? c.name)",
      {agents_json});
  if (!removed.ok()) {
    return removed.error();
  }
  if (!specs.empty()) {
    auto upserted = conn.exec(
        "INSERT INTO checks (agent_id, name, service, kind, target, interval_ms, timeout_ms, "
        "retries, degraded_latency_ms, registered_at) "
        "SELECT x.agent_id, x.name, x.service, x.kind, x.target, x.interval_ms, x.timeout_ms, "
        "x.retries, x.degraded_latency_ms, $2 "
        "FROM jsonb_to_recordset($1::jsonb) AS x(agent_id text, name text, service text, "
        "kind text, target text, interval_ms bigint, timeout_ms bigint, retries integer, "
        "degraded_latency_ms bigint) ORDER BY x.agent_id, x.name "
        "ON CONFLICT (agent_id, name) DO UPDATE SET service = EXCLUDED.service, "
        "kind = EXCLUDED.kind, target = EXCLUDED.target, interval_ms = EXCLUDED.interval_ms, "
        "timeout_ms = EXCLUDED.timeout_ms, retries = EXCLUDED.retries, "
        "degraded_latency_ms = EXCLUDED.degraded_latency_ms, "
        "registered_at = EXCLUDED.registered_at",
        {dump(specs), now});
    if (!upserted.ok()) {
      return upserted.error();
    }
  }
  if (!services.empty()) {
    auto s = conn.exec(
        "INSERT INTO services (name, first_seen, last_seen) "
        "SELECT DISTINCT x.service, $2::timestamptz, $2::timestamptz "
        "FROM jsonb_to_recordset($1::jsonb) AS x(service text) ORDER BY 1 "
        "ON CONFLICT (name) DO UPDATE SET last_seen = GREATEST(services.last_seen, "
        "EXCLUDED.last_seen)",
        {dump(services), now});
    if (!s.ok()) {
      return s.error();
    }
  }
  return okStatus();
}

// A run of heartbeats: the last one of each agent counts (same row, same `now`).
Status writeHeartbeats(PgConnection& conn, const std::vector<const Heartbeat*>& run,
                       const std::string& now) {
  std::map<std::string, const Heartbeat*> last;
  for (const auto* hb : run) {
    last[hb->agent_id] = hb;
  }
  json rows = json::array();
  for (const auto& [id, hb] : last) {
    rows.push_back({{"agent_id", id},
                    {"version", noNul(hb->version)},
                    {"boot_id", noNul(hb->boot_id)},
                    {"check_count", hb->check_count},
                    {"interval_ms", hb->interval.count()}});
  }
  auto a = conn.exec(
      "INSERT INTO agents (agent_id, version, boot_id, first_seen, last_seen, check_count, "
      "heartbeat_interval_ms) SELECT x.agent_id, x.version, x.boot_id, $2, $2, x.check_count, "
      "x.interval_ms FROM jsonb_to_recordset($1::jsonb) AS x(agent_id text, version text, "
      "boot_id text, check_count integer, interval_ms bigint) ORDER BY x.agent_id "
      "ON CONFLICT (agent_id) DO UPDATE SET version = EXCLUDED.version, "
      "boot_id = EXCLUDED.boot_id, "
      "last_seen = GREATEST(agents.last_seen, EXCLUDED.last_seen), "
      "check_count = EXCLUDED.check_count, "
      "heartbeat_interval_ms = EXCLUDED.heartbeat_interval_ms",
      {rows.dump(-1, ' ', false, json::error_handler_t::replace), now});
  return a.ok() ? okStatus() : Status(a.error());
}

}  // namespace

std::vector<const CheckResult*> newestPerCheck(const std::vector<CheckResult>& results) {
  // (agent, check) -> the highest seq of each boot seen; then the boot whose pick is latest.
  // Keys are views into `results` (no copies): this runs once per batch over every row.
  struct Key {
    std::string_view agent, check;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      const std::hash<std::string_view> h;
      return h(k.agent) * 31 + h(k.check);
    }
  };
  std::unordered_map<Key, std::vector<const CheckResult*>, KeyHash> picks;
  picks.reserve(64);
  for (const auto& r : results) {
    auto& by_boot = picks[Key{r.agent_id, r.check}];
    auto it = std::find_if(by_boot.begin(), by_boot.end(),
                           [&](const CheckResult* p) { return p->boot_id == r.boot_id; });
    if (it == by_boot.end()) {
      by_boot.push_back(&r);
    } else if (r.seq > (*it)->seq) {
      *it = &r;
    }
  }
  std::vector<const CheckResult*> out;
  out.reserve(picks.size());
  for (const auto& [key, by_boot] : picks) {
    const CheckResult* best = nullptr;
    for (const CheckResult* r : by_boot) {
      if (best == nullptr || r->observed_at > best->observed_at) {
        best = r;
      }
    }
    out.push_back(best);
  }
  std::sort(out.begin(), out.end(), [](const CheckResult* a, const CheckResult* b) {
    return std::tie(a->agent_id, a->check) < std::tie(b->agent_id, b->check);
  });
  return out;
}

namespace {
void appendNumber(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}
void appendNumber(std::string& out, std::int64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}
}  // namespace

void appendCopyRow(std::string& out, const CheckResult& r, SystemTime received_at) {
  TimestampWriter ts;
  std::string received;
  ts.append(received, received_at);
  appendCopyRow(out, r, received, ts);
}

void appendCopyRow(std::string& out, const CheckResult& r, std::string_view received_at,
                   TimestampWriter& ts) {
  auto field = [&](std::string_view v) {
    copyEscape(out, v);
    out += '\t';
  };
  field(r.agent_id);
  field(r.boot_id);
  appendNumber(out, r.seq);
  out += '\t';
  field(r.service);
  field(r.check);
  field(r.kind);
  field(toString(r.status));
  field(toString(r.raw_status));
  appendNumber(out, static_cast<std::int64_t>(r.latency.count()));
  out += '\t';
  field(r.message);
  if (r.details.empty()) {
    out += "\\N\t";
  } else {
    // A flat string map: {"k":"v",...}. Written by hand (no json tree per row); NULs dropped
    // because jsonb refuses \u0000.
    std::string d = "{";
    for (const auto& [k, v] : r.details) {
      if (d.size() > 1) {
        d += ',';
      }
      d += '"';
      d += log::jsonEscape(noNul(k));
      d += "\":\"";
      d += log::jsonEscape(noNul(v));
      d += '"';
    }
    d += '}';
    field(d);
  }
  field(toString(r.failure_kind));
  appendNumber(out, static_cast<std::uint64_t>(r.attempt));
  out += '\t';
  appendNumber(out, static_cast<std::uint64_t>(r.consecutive_failures));
  out += '\t';
  field(r.flapping ? "t" : "f");
  ts.append(out, r.observed_at);
  out += '\t';
  out += received_at;
  out += '\n';
}

PgEventStore::PgEventStore(PgConnectOptions options, int retention_days,
                           std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)), retention_days_(retention_days), logger_(std::move(logger)) {}

PgEventStore::~PgEventStore() = default;

Status PgEventStore::connect() {
  if (conn_) {
    return okStatus();
  }
  auto c = PgConnection::connect(options_, logger_);
  if (!c.ok()) {
    return c.error();
  }
  conn_ = std::move(c).value();
  partitions_ = std::make_unique<PgPartitions>(*conn_, *logger_);
  staging_generation_.reset();
  return okStatus();
}

Status PgEventStore::reconnect() {
  if (!conn_) {
    return connect();
  }
  if (conn_->ok()) {
    return okStatus();
  }
  if (auto s = conn_->reset(); !s.ok()) {
    return s;
  }
  partitions_->rebind(*conn_);
  return okStatus();
}

Status PgEventStore::ensureSession() {
  if (auto s = connect(); !s.ok()) {
    return s;
  }
  if (staging_generation_ == conn_->generation()) {
    return okStatus();
  }
  if (auto s = conn_->execScript(kStagingDdl); !s.ok()) {
    return s;
  }
  staging_generation_ = conn_->generation();
  return okStatus();
}

Status PgEventStore::ensurePartitions(const IngestBatch& batch) {
  std::set<Day> days;
  for (const auto& r : batch.results) {
    const Day d = dayOf(r.observed_at);
    if (creatableDay(d, batch.received_at, retention_days_)) {
      days.insert(d);
    }
  }
  for (Day d : days) {
    if (auto created = partitions_->ensure(d); !created.ok()) {
      return created.error();
    }
  }
  return okStatus();
}

Status PgEventStore::writeCatalog(const IngestBatch& batch) {
  const std::string now = pgTimestamp(batch.received_at);
  // Consecutive registrations and consecutive heartbeats are written as one set each (a
  // registration storm of thousands of agents, or a second of heartbeats, in a few statements
  // instead of several per agent); anything else, and the order between runs, as they came.
  const auto& events = batch.catalog;
  for (std::size_t i = 0; i < events.size();) {
    std::size_t j = i;
    if (std::holds_alternative<Registration>(events[i])) {
      std::vector<const Registration*> run;
      for (; j < events.size() && std::holds_alternative<Registration>(events[j]); ++j) {
        run.push_back(&std::get<Registration>(events[j]));
      }
      if (auto st = writeRegistrations(*conn_, run, now); !st.ok()) {
        return st;
      }
      i = j;
      continue;
    }
    if (std::holds_alternative<Heartbeat>(events[i])) {
      std::vector<const Heartbeat*> run;
      for (; j < events.size() && std::holds_alternative<Heartbeat>(events[j]); ++j) {
        run.push_back(&std::get<Heartbeat>(events[j]));
      }
      if (auto st = writeHeartbeats(*conn_, run, now); !st.ok()) {
        return st;
      }
      i = j;
      continue;
    }
    const auto& event = events[i++];
    if (const auto* dereg = std::get_if<Deregistration>(&event)) {
      // A late deregistration from an earlier boot must not mark a restarted agent as gone.
      auto a = conn_->exec(
          "INSERT INTO agents AS a (agent_id, boot_id, first_seen, last_seen, deregistered_at) "
          "VALUES ($1, $2, $3, $3, $3) "
          "ON CONFLICT (agent_id) DO UPDATE SET deregistered_at = EXCLUDED.deregistered_at, "
          "last_seen = GREATEST(a.last_seen, EXCLUDED.last_seen) "
          "WHERE a.boot_id = EXCLUDED.boot_id OR EXCLUDED.boot_id = ''",
          {dereg->agent_id, noNul(dereg->boot_id), now});
      if (!a.ok()) {
        return a.error();
      }
    }
  }
  return okStatus();
}

Result<CommitReport> PgEventStore::writeResults(const IngestBatch& batch, bool direct) {
  CommitReport report;
  if (batch.results.empty()) {
    return report;
  }
  // Rows are formatted a chunk at a time and each chunk is sent before the next is built, so
  // PostgreSQL parses and inserts while the rest of the batch is still being formatted.
  TimestampWriter ts;
  std::string received;
  ts.append(received, batch.received_at);
  std::size_t next = 0;
  auto produce = [&](std::string& out) {
    constexpr std::size_t kRowsPerChunk = 256;  // about 50 KB
    const std::size_t end = std::min(next + kRowsPerChunk, batch.results.size());
    out.reserve(out.size() + (end - next) * 200);
    for (; next < end; ++next) {
      appendCopyRow(out, batch.results[next], received, ts);
    }
    return next < batch.results.size();
  };
  if (direct) {
    // Fast path: straight into health_checks. A replayed row makes the COPY fail with a unique
    // violation and the caller retries the batch on the staging path below.
    auto copied = conn_->copyInStream(
        std::string("COPY health_checks (") + kColumns + ") FROM STDIN", produce);
    if (!copied.ok()) {
      return copied.error();
    }
    report.inserted = batch.results.size();
  } else {
    auto copied = conn_->copyInStream(
        std::string("COPY health_checks_staging (") + kColumns + ") FROM STDIN", produce);
    if (!copied.ok()) {
      return copied.error();
    }
    auto inserted =
        conn_->exec(std::string("INSERT INTO health_checks (") + kColumns + ") SELECT " + kColumns +
                    " FROM health_checks_staging ON CONFLICT DO NOTHING");
    if (!inserted.ok()) {
      return inserted.error();
    }
    report.inserted = inserted->affected();
  }
  report.duplicates =
      batch.results.size() - std::min<std::uint64_t>(report.inserted, batch.results.size());
  // Agents, services and the newest result per check are computed here rather than by
  // scanning the staging table again: a batch holds thousands of rows but few checks.
  const std::string now = pgTimestamp(batch.received_at);
  std::set<std::string> agent_ids;
  std::set<std::string> service_names;
  json latest = json::array();
  for (const CheckResult* r : newestPerCheck(batch.results)) {
    agent_ids.insert(r->agent_id);
    latest.push_back({{"agent_id", noNul(r->agent_id)},
                      {"name", noNul(r->check)},
                      {"service", noNul(r->service)},
                      {"kind", noNul(r->kind)},
                      {"status", std::string(toString(r->status))},
                      {"raw_status", std::string(toString(r->raw_status))},
                      {"latency_us", r->latency.count()},
                      {"message", noNul(r->message)},
                      {"observed_at", pgTimestamp(r->observed_at)},
                      {"boot_id", noNul(r->boot_id)},
                      {"seq", r->seq},
                      {"failure_kind", std::string(toString(r->failure_kind))}});
  }
  const std::string* last_service = nullptr;  // rows come in runs of the same service
  for (const auto& r : batch.results) {
    if (last_service == nullptr || *last_service != r.service) {
      service_names.insert(noNul(r.service));
      last_service = &r.service;
    }
  }
  auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  auto agents = conn_->exec(
      "INSERT INTO agents (agent_id, first_seen, last_seen) "
      "SELECT value, $2::timestamptz, $2::timestamptz FROM jsonb_array_elements_text($1::jsonb) "
      "ORDER BY 1 ON CONFLICT (agent_id) DO UPDATE SET "
      "last_seen = GREATEST(agents.last_seen, EXCLUDED.last_seen)",
      {dump(json(agent_ids)), now});
  if (!agents.ok()) {
    return agents.error();
  }
  auto services = conn_->exec(
      "INSERT INTO services (name, first_seen, last_seen) "
      "SELECT value, $2::timestamptz, $2::timestamptz FROM jsonb_array_elements_text($1::jsonb) "
      "ORDER BY 1 ON CONFLICT (name) DO UPDATE SET "
      "last_seen = GREATEST(services.last_seen, EXCLUDED.last_seen)",
      {dump(json(service_names)), now});
  if (!services.ok()) {
    return services.error();
  }
  if (auto upserted = conn_->exec(kUpsertLatest, {dump(latest)}); !upserted.ok()) {
    return upserted.error();
  }
  // Scan reports (kind scan) in the same transaction: exactly-once with their results.
  if (auto scans = writeScans(*conn_, batch.results, batch.received_at); !scans.ok()) {
    return scans.error();
  }
  return report;
}

Result<CommitReport> PgEventStore::commit(const IngestBatch& batch) {
  if (auto s = ensureSession(); !s.ok()) {
    return s.error();
  }
  if (auto s = ensurePartitions(batch); !s.ok()) {
    return s.error();
  }
  // Most batches hold no replays: COPY them straight into health_checks (about twice as fast
  // as staging + INSERT .. ON CONFLICT). When the key refuses a row, the batch is written
  // again through the staging table, which drops exactly the replayed rows.
  auto report = commitOnce(batch, /*direct=*/true);
  if (!report.ok() && report.error().context == "23505") {
    logger_->debug("batch holds replayed results; writing it through the staging table");
    report = commitOnce(batch, /*direct=*/false);
  }
  return report;
}

Result<CommitReport> PgEventStore::commitOnce(const IngestBatch& batch, bool direct) {
  return inTransaction(*conn_, [&]() -> Result<CommitReport> {
    if (auto s = writeCatalog(batch); !s.ok()) {
      return s.error();
    }
    return writeResults(batch, direct);
  });
}

Status PgEventStore::maintain(SystemTime now) {
  if (auto s = connect(); !s.ok()) {
    return s;
  }
  auto report = partitions_->maintain(now, retention_days_);
  if (!report.ok()) {
    return report.error();
  }
  if (report->default_rows_deleted > 0) {
    logger_->info("deleted {} expired rows from health_checks_default",
                  report->default_rows_deleted);
  }
  return okStatus();
}

}  // namespace vitals::hub::store
