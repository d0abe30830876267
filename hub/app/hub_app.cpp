#include "hub/app/hub_app.hpp"

#include "hub/state/service_status_metrics.hpp"

#include <algorithm>
#include <set>

#include "common/nats/nats_settings.hpp"
#include "common/nats/subjects.hpp"
#include "hub/api/routes.hpp"
#include "hub/events/service_agent.hpp"
#include "hub/notify/curl_notifiers.hpp"
#include "hub/preflight/check_factory.hpp"
#include "hub/preflight/ready_codec.hpp"
#include "hub/store/migrations.hpp"

namespace vitals::hub::app {
namespace {

// How often the live stream looks for new incident and repair rows in the database.
constexpr std::chrono::milliseconds kStreamTailInterval{250};

using namespace std::chrono_literals;

// ---- each module's settings from the hub configuration (one place per module) ----

store::PgConnectOptions pgOptions(const DatabaseSettings& d) {
  store::PgConnectOptions pg;
  pg.conninfo = d.url;
  pg.password = d.password;
  pg.connect_timeout = d.connect_timeout;
  return pg;
}

repair::GuardSettings repairGuardSettings(const RepairSettings& r) {
  repair::GuardSettings g;
  g.rate_limit = r.rate_limit;
  g.rate_window = r.rate_window;
  g.approval_expiry = r.approval_expiry;
  g.notify_channels = r.notify_channels;
  return g;
}

repair::EngineSettings repairEngineSettings(const RepairSettings& r) {
  repair::EngineSettings s;
  s.enabled = r.enabled;
  s.decider = {r.rate_limit, r.rate_window};
  s.command_timeout = r.command_timeout;
  s.tick = r.sweep_interval;
  s.policy_scan = r.sweep_interval * 10;  // new agents' default policies
  auto& dp = s.default_policy;
  dp.enabled = r.default_enabled;
  dp.dry_run = r.default_dry_run;
  dp.require_approval = r.default_require_approval;
  dp.max_attempts = r.default_max_attempts;
  dp.cooldown = r.default_cooldown;
  dp.circuit_breaker = r.default_circuit_breaker;
  dp.verify_after = r.default_verify_after;
  return s;
}

alerts::EngineSettings alertEngineSettings(const HubConfig& cfg) {
  const alerts::AlertSettings& a = cfg.alerts;
  alerts::EngineSettings s;
  s.restart_grace = cfg.agents.restart_grace;
  for (const auto& [name, ch] : cfg.notify.channels) {
    if (!ch.stop_notices) {
      s.quiet_stop_channels.insert(name);
    }
  }
  s.tick_interval = a.tick_interval;
  s.max_notify_age = a.max_notify_age;
  s.defaults.channels = a.default_channels;
  s.defaults.escalation_delay_seconds = a.escalation_delay_seconds;
  s.defaults.suppression_window_seconds = a.suppression_window_seconds;
  s.defaults.recovery_notice = a.recovery_notice;
  s.defaults.min_severity = a.min_severity;
  return s;
}

api::AccessSettings accessSettings(const ApiSettings& a) {
  api::AccessSettings s;
  s.auth_required = a.auth_required;
  s.metrics_public = a.metrics_public;
  s.per_key = {static_cast<double>(a.rate_per_second), a.rate_burst};
  return s;
}

api::HttpServerSettings httpSettings(const ApiSettings& a) {
  // Every open stream holds a worker thread: room for all of them besides the REST calls.
  return {static_cast<std::size_t>(a.max_body_bytes),
          a.read_timeout,
          a.write_timeout,
          a.tls_cert_file,
          a.tls_key_file,
          16 + stream::StreamSettings{}.max_clients};
}

api::WsServerSettings wsSettings(const ApiSettings& a) {
  api::WsServerSettings w;
  w.tls_cert_file = a.tls_cert_file;
  w.tls_key_file = a.tls_key_file;
  w.write_timeout = a.write_timeout;
  w.handshake_timeout = a.read_timeout;
  return w;
}

nats::StreamConfig streamConfig(const IngestSettings& i) {
  nats::StreamConfig s;
  s.name = i.stream;
  s.subjects = {std::string(subjects::kAgentWildcard)};
  s.max_age = std::chrono::duration_cast<std::chrono::seconds>(i.stream_max_age);
  s.max_bytes = i.stream_max_bytes;
  s.duplicate_window = std::chrono::duration_cast<std::chrono::seconds>(i.duplicate_window);
  return s;
}

nats::ConsumerConfig consumerConfig(const IngestSettings& i) {
  nats::ConsumerConfig c;
  c.stream = i.stream;
  c.durable = i.durable;
  c.filter_subject = std::string(subjects::kAgentWildcard);
  c.ack_wait = i.ack_wait;
  return c;
}

logstats::JobSettings logStatsSettings(const LogStatsSettings& l) {
  logstats::JobSettings s;
  s.backfill = std::chrono::duration_cast<std::chrono::hours>(l.backfill);
  s.retention_days = l.retention_days;
  s.top_limit = static_cast<std::size_t>(l.top_messages);
  return s;
}

std::set<std::string> channelNames(const notify::NotifySettings& n) {
  std::set<std::string> names;
  for (const auto& [name, channel] : n.channels) {
    names.insert(name);
  }
  return names;
}

// The agents that registered in a committed batch (their checks from the API follow).
std::vector<std::string> registeredAgents(const store::IngestBatch& batch) {
  std::vector<std::string> out;
  for (const auto& event : batch.catalog) {
    if (const auto* reg = std::get_if<Registration>(&event)) {
      out.push_back(reg->agent_id);
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<HubApp>> HubApp::create(const HubConfig& cfg,
                                               std::shared_ptr<spdlog::logger> logger) {
  // The flag the callbacks read lives in the app, which does not exist yet: the callbacks reach
  // it through this holder, filled in once the app is built.
  auto closing = std::make_shared<std::atomic<const std::atomic<bool>*>>(nullptr);
  // A reconnect may have lost state updates from the other replicas: rebuild then.
  auto sync = std::make_shared<std::atomic<replica::StateSync*>>(nullptr);
  // The password was read with the configuration (password_file or VITALS_NATS_PASSWORD).
  auto options = nats::toConnectOptions(cfg.nats, "vitals-hub " + cfg.hub_id, cfg.hub_id);
  if (!options.ok()) {
    return options.error();
  }
  nats::ConnectOptions& nopts = options.value();
  nopts.on_async_error = [logger](const std::string& message) {
    logger->warn("NATS server reported: {}", message);
  };
  nopts.on_connection_change = [closing, sync, logger](bool up) {
    const auto* ours = closing->load();
    if (up) {
      logger->info("connected to NATS");
      if (auto* s = sync->load()) {
        s->requestRebuild();
      }
    } else if (ours == nullptr || !ours->load()) {
      logger->warn("disconnected from NATS; reconnecting");
    }
  };
  auto bus = nats::Connection::connect(nopts);
  if (!bus.ok()) {
    return Error{"nats.setup", "cannot set up the NATS connection: " + bus.error().describe(), {}};
  }
  if (bus.value()->connected()) {
    logger->info("connected to NATS at {}", cfg.nats.url);
  } else {
    logger->warn("NATS at {} not reachable yet; retrying in the background", cfg.nats.url);
  }
  std::unique_ptr<HubApp> app(
      new HubApp(cfg, std::move(logger), std::move(bus.value()), std::move(sync)));
  closing->store(&app->bus_closing_);
  return app;
}

HubApp::HubApp(const HubConfig& cfg, std::shared_ptr<spdlog::logger> logger,
               std::unique_ptr<nats::Connection> bus,
               std::shared_ptr<std::atomic<replica::StateSync*>> sync_holder)
    : cfg_(cfg),
      logger_(std::move(logger)),
      bus_(std::move(bus)),
      pg_(pgOptions(cfg.database)),
      connect_db_([this] { return store::PgConnection::connect(pg_, logger_); }),
      pool_(pg_, cfg.database.pool_size, logger_),
      reads_(pool_),
      status_store_(pool_),
      tracker_(
          state_, status_store_, clock_, registry_,
          status::TrackerSettings{cfg.staleness.liveness, cfg.uptime_retention_days, cfg.agents},
          logger_),
      bus_sink_(
          cfg.hub_id,
          [this](const std::string& subject, std::string_view data) {
            return bus_->publish(subject, data);
          },
          registry_),
      sync_holder_(std::move(sync_holder)),
      state_sync_(cfg.replica.id, state_, replicaHooks(), registry_, logger_),
      lock_session_(pg_, logger_),
      job_lease_(cfg.replica.id,
                 {std::string(replica::kJobSweeper), std::string(replica::kJobPartitions),
                  std::string(replica::kJobSummary), std::string(replica::kJobLogStats)},
                 lock_session_, clock_, registry_, logger_),
      stream_hub_(clock_, stream::newEpoch(stream_random_, clock_), {}, registry_),
      stream_status_(stream_hub_),
      stream_ticket_backend_(pool_),
      stream_tickets_(clock_, stream_random_, {}, &stream_ticket_backend_),
      sender_([this] { return std::make_unique<notify::PgOutboxStore>(pg_, logger_); }, clock_,
              notify_random_, cfg.notify, registry_, logger_),
      live_view_(state_),
      alert_engine_(connect_db_, clock_, live_view_, cfg.services, alertEngineSettings(cfg),
                    registry_, logger_),
      alert_api_store_(pool_),
      agent_commands_([this](const std::string& subject, std::string_view data,
                             std::chrono::milliseconds timeout) {
        return bus_->request(subject, data, timeout);
      }),
      repair_store_(clock_, repairGuardSettings(cfg.repair)),
      repair_engine_(state_, cfg.services, repair::pgRepairSessions(repair_store_, connect_db_),
                     agent_commands_, clock_, registry_, logger_, repairEngineSettings(cfg.repair)),
      federation_(makeFederation()),
      registry_store_(pool_),
      check_sync_(registry_store_, agent_commands_, clock_,
                  registry::CheckSyncSettings{cfg.hub_id, std::chrono::milliseconds{5000},
                                              std::chrono::milliseconds{3000},
                                              std::chrono::milliseconds{5000}},
                  logger_),
      services_handler_(state_, reads_, clock_),
      agents_handler_(
          reads_, clock_,
          [this](const std::vector<std::string>& agents) { return tracker_.forget(agents); }),
      ops_handler_(
          {
              {"nats", [this] { return natsStatus(); }},
              {"database", [this] { return reads_.ping(); }},
              {"migrations", [this] { return migrationsStatus(); }},
              {"stream", [this] { return streamStatus(); }},
          },
          registry_),
      // Maintenance windows (silences with maintenance: true) are left out of uptime.
      uptime_handler_(state_, status_store_, clock_, cfg.uptime.degraded_weight, &alert_api_store_),
      alert_configs_(pool_),
      outbox_reader_(pool_),
      alerts_handler_(alert_configs_, outbox_reader_, channelNames(cfg.notify), clock_),
      key_store_(pool_),
      authenticator_(key_store_, clock_, {cfg.api.key_cache_ttl}),
      keys_handler_(key_store_, secure_random_, clock_, [this] { authenticator_.invalidate(); }),
      incidents_handler_(alert_api_store_, clock_),
      repair_handler_(pool_, repair_store_, repair_engine_, agent_commands_, state_, clock_,
                      std::min(cfg.repair.command_timeout, std::chrono::milliseconds{15000})),
      audit_reader_(pool_),
      audit_handler_(audit_reader_),
      security_handler_(pool_),
      log_stats_store_(pool_),
      log_thresholds_(pool_),
      log_threshold_cache_(log_thresholds_, clock_, cfg.services, cfg.log_stats.threshold_refresh),
      log_stats_handler_(log_stats_store_, log_thresholds_, cfg.services, clock_,
                         [this] { log_threshold_cache_.invalidate(); }),
      registry_handler_(registry_store_, service_registry_, check_sync_, state_, reads_, clock_),
      hub_handler_(
          {cfg.hub_id, cfg.replica.id, cfg.replica.group, VITALS_VERSION},
          [this]() -> Result<std::vector<api::LeaseRow>> {
            auto rows = replica::readLeases(pool_);
            if (!rows.ok()) {
              return rows.error();
            }
            std::vector<api::LeaseRow> out;
            for (const auto& r : rows.value()) {
              out.push_back({r.job, r.holder, r.since, r.live});
            }
            return out;
          },
          [this] {
            std::vector<std::string> held;
            for (const auto& h : job_lease_.holdings()) {
              if (h.held) {
                held.push_back(h.job);
              }
            }
            return held;
          }),
      stream_handler_(stream_hub_, stream_tickets_, clock_),
      federation_handler_(federation_
                              ? std::make_unique<api::FederationHandler>(
                                    cfg.hub_id, state_, federation_->view(),
                                    [this](const std::string& id, const std::string& url,
                                           const std::string& version,
                                           const std::vector<std::string>& capabilities) {
                                      return federation_->announce(id, url, version, capabilities);
                                    },
                                    clock_)
                              : nullptr),
      enroll_store_(pool_),
      users_file_(cfg.enrollment.enabled
                      ? std::make_unique<enroll::NatsUsersFile>(enroll::NatsUsersFileSettings{
                            cfg.enrollment.nats_users_file,
                            cfg.enrollment.nats_reload_command,
                            cfg.enrollment.nats_static_users_file,
                            {cfg.hub_id, cfg.ingest.stream, cfg.enrollment.hub_nkey, {}},
                            std::chrono::milliseconds{10000}})
                      : nullptr),
      enrollment_(users_file_
                      ? std::make_unique<enroll::Enrollment>(
                            enroll_store_, *users_file_, secure_random_, clock_,
                            enroll::TokenLimits{std::chrono::seconds{60},
                                                std::chrono::duration_cast<std::chrono::seconds>(
                                                    cfg.enrollment.token_max_ttl)})
                      : nullptr),
      enrollment_handler_(
          enrollment_ ? std::make_unique<api::EnrollmentHandler>(
                            *enrollment_, enroll_store_,
                            api::EnrollmentInfo{cfg.hub_id, cfg.enrollment.agent_nats_url}, clock_)
                      : nullptr),
      preflight_overrides_(pool_),
      preflight_(
          clock_, preflight_overrides_, registry_,
          [this, logged = std::optional<bool>(),
           streamed = std::string()](const preflight::PreflightReport& r) mutable {
            if (logged != r.ready) {
              logged = r.ready;
              logger_->info("pre-flight: {}", r.ready ? "ready" : "not ready");
            }
            // On the live stream when the verdict or the set of failing checks changes.
            nlohmann::json failing = nlohmann::json::array();
            for (const auto& c : r.checks) {
              if (c.ran && !c.passed) {
                failing.push_back(
                    {{"name", c.name}, {"required", c.required}, {"overridden", c.overridden}});
              }
            }
            nlohmann::json data{{"ready", r.ready}, {"failing", failing}};
            if (auto text = data.dump(); text != streamed) {
              streamed = std::move(text);
              stream_hub_.publish("preflight", "", std::move(data));
            }
            if (auto st = bus_->publish(subjects::hubReady(cfg_.hub_id),
                                        preflight::encodeReady(cfg_.hub_id, r));
                !st.ok()) {
              logger_->debug("cannot publish the ready flag: {}", st.error().describe());
            }
          }),
      preflight_handler_(preflight_, preflight_overrides_, clock_),
      event_log_(pool_),
      action_runner_(repair_engine_, repair_store_, pool_),
      event_processor_(cfg.events.rules, events::serviceAgentResolver(state_), action_runner_,
                       event_log_, clock_, registry_,
                       {cfg.events.default_cooldown, cfg.events.action_timeout}),
      events_handler_(event_processor_, event_log_, cfg.events.hmac, clock_),
      router_(api::buildRouter(apiHandlers())),
      audit_sink_(pool_, registry_, logger_),
      access_(router_, &authenticator_, accessSettings(cfg.api), clock_, audit_sink_, registry_),
      event_store_(pg_, cfg.retention_days, logger_),
      source_(*bus_, streamConfig(cfg.ingest), consumerConfig(cfg.ingest), logger_),
      acker_(registry_, logger_),
      prefetch_(source_, clock_,
                ingest::PrefetchOptions{cfg.ingest.batch_size, cfg.ingest.fetch_timeout,
                                        cfg.ingest.max_delay}),
      processor_(event_store_, state_, registry_, clock_, logger_),
      ingest_(prefetch_, processor_, event_store_, clock_, random_, registry_,
              ingest::IngestLoopOptions{cfg.ingest.batch_size, cfg.ingest.fetch_timeout,
                                        std::chrono::hours{1}},
              logger_),
      sweeper_(clock_, sweep_loop_.timers(), cfg.staleness.sweep_interval,
               [this] {
                 if (job_lease_.holds(replica::kJobSweeper)) {
                   tracker_.sweep();
                   state_sync_.publishSweep();
                 }
               }),
      uptime_warmer_(clock_, sweep_loop_.timers(), std::chrono::seconds{20},
                     [this] {
                       if (auto warmed = uptime_handler_.warm(); !warmed.ok()) {
                         logger_->debug("uptime cache not warmed: {}", warmed.error().message);
                       }
                     }),
      sweep_thread_(sweep_loop_),
      lease_renewer_(job_lease_, clock_, lease_loop_.timers(), cfg.replica.lease_interval),
      lease_thread_(lease_loop_),
      log_stats_job_(log_stats_store_, clock_, logStatsSettings(cfg.log_stats), cfg.replica.id,
                     logger_),
      log_stats_ticker_(clock_, log_stats_loop_.timers(), cfg.log_stats.interval,
                        [this] {
                          if (job_lease_.holds(replica::kJobLogStats)) {
                            log_stats_job_.runDue();
                          }
                        }),
      log_stats_thread_(log_stats_loop_),
      preflight_scheduler_(clock_, preflight_loop_.timers(), preflight_, cfg.preflight.interval,
                           cfg.preflight.publish_interval, cfg.preflight.not_ready_interval,
                           cfg.preflight.watch_interval),
      preflight_thread_(preflight_loop_),
      incident_rows_(pool_),
      repair_rows_(pool_),
      incident_tail_(incident_rows_, stream_hub_, clock_),
      repair_tail_(repair_rows_, stream_hub_, clock_),
      tail_ticker_(clock_, tail_loop_.timers(), kStreamTailInterval, [this] { pollStreamTails(); }),
      tail_thread_(tail_loop_),
      bus_events_(
          event_processor_, cfg.events.nats_role,
          [this](const std::string& subject, std::string_view data) {
            return bus_->publish(subject, data);
          },
          registry_, logger_),
      http_(access_, httpSettings(cfg.api), logger_),
      ws_(access_, wsSettings(cfg.api), logger_) {
  state_.setRules(cfg.services);
  registry_.collectGauges("vitals_service_status",
                          "1 for each service's current status, 0 for its other statuses",
                          [this] { return state::serviceStatusSamples(state_.services()); });
  // Asked of JetStream at scrape time (one request): what waits for this site's hubs.
  registry_.collectGauges(
      "vitals_ingest_consumer_pending",
      "Messages of the hub's durable consumer not yet delivered (kind=\"pending\") or delivered "
      "and not yet acknowledged (kind=\"ack_pending\")",
      [this]() -> std::vector<metrics::Sample> {
        auto st = bus_->consumerState(cfg_.ingest.stream, cfg_.ingest.durable);
        if (!st.ok()) {
          return {};
        }
        return {{"kind=\"pending\"", static_cast<double>(st->num_pending)},
                {"kind=\"ack_pending\"", static_cast<double>(st->num_ack_pending)}};
      });
  // Transitions are recorded, then published, queued for repair and handed to the alert policy.
  tracker_.addSink(bus_sink_);
  tracker_.addSink(repair_engine_);
  tracker_.addSink(alert_engine_);
  tracker_.addSink(state_sync_);  // what was recorded goes along with the next state update
  tracker_.onForgotten(
      [this](const std::vector<std::string>& agents) { state_sync_.publishForgotten(agents); });
  processor_.setAckSink(&acker_);
  ingest_.setMaintenanceGate([this] { return job_lease_.holds(replica::kJobPartitions); });
  job_lease_.onAcquired([this](std::string_view job) { onJobAcquired(job); });
  logger_->info("replica {} of group {}", cfg.replica.id, cfg.replica.group);
  tracker_.addSink(stream_status_);
  if (federation_) {
    tracker_.addSink(federation_->sink());  // status changes make summary deltas
  }
  addPreflightChecks();
  if (cfg.events.enabled) {
    logger_->info("inbound events: {} rule(s) from {}", cfg.events.rules.rules.size(),
                  cfg.events.rules_file);
  }
  if (!cfg.api.auth_required) {
    logger_->warn("api.auth is disabled: anyone who reaches the API has admin rights");
  }
}

HubApp::~HubApp() {
  sync_holder_->store(nullptr);  // no reconnect reaches the state sync from now on
  // Open streams end with a "closed" event before the HTTP server (destroyed first) stops.
  stream_hub_.shutdown();
}

Status HubApp::rebuildFromDatabase() {
  auto stored = reads_.checks();
  if (!stored.ok()) {
    return stored.error();
  }
  for (const auto& c : stored.value()) {
    state_.mergeStored(c.agent_id, c.spec, c.last);
  }
  auto agents = status_store_.liveness();
  if (!agents.ok()) {
    return agents.error();
  }
  for (const auto& a : agents.value()) {
    if (a.forgotten) {
      state_.forgetAgent(a.agent_id);  // retired while we missed the update
      continue;
    }
    state_.setUnreachable(a.agent_id, a.unreachable);
    if (a.deregistered && a.deregistered_at) {
      state_.setStopped(a.agent_id, "", *a.deregistered_at);
    } else {
      state_.clearStopped(a.agent_id);
    }
  }
  return tracker_.resync();
}

replica::SyncHooks HubApp::replicaHooks() {
  return replica::SyncHooks{[this, subject = subjects::replicaState(cfg_.replica.group)](
                                std::string_view data) { return bus_->publish(subject, data); },
                            [this](const std::map<std::string, HealthStatus>& recorded) {
                              tracker_.adoptRecorded(recorded);
                            },
                            [this] { return rebuildFromDatabase(); }};
}

// On the lease's thread, before holds(job) turns true.
void HubApp::onJobAcquired(std::string_view job) {
  if (job != replica::kJobSweeper) {
    return;
  }
  // The new holder starts from the database, not from what it had in memory: the previous
  // holder may have died between a commit and its state update.
  if (auto s = rebuildFromDatabase(); !s.ok()) {
    logger_->warn("sweeper takeover could not rebuild the state: {}", s.error().describe());
  }
  if (auto s = tracker_.takeOver(); !s.ok()) {
    logger_->warn("sweeper takeover could not read the database: {}", s.error().describe());
  }
  state_sync_.publishSweep();
}

Status HubApp::natsStatus() const {
  return bus_->connected() ? okStatus() : Status(Error{"nats", "not connected", {}});
}

Status HubApp::migrationsStatus() const {
  return schema_ready_ ? okStatus() : Status(Error{"migrations", "not applied yet", {}});
}

Status HubApp::streamStatus() const {
  // Agents' publishes fail until the stream exists: not ready before that.
  const auto* src = ingest_source_.load();
  return src != nullptr && src->consuming()
             ? okStatus()
             : Status(Error{"stream", "stream or durable consumer not set up yet", {}});
}

// Federation (docs/federation.md): summaries out, the other hubs' in. A watched remote hub's
// trouble (federation.alert_on) is recorded as the status of service "hub:<id>", so the alert
// engine handles it like any service.
std::unique_ptr<federation::Federation> HubApp::makeFederation() {
  if (!cfg_.federation.enabled) {
    return nullptr;
  }
  return std::make_unique<federation::Federation>(
      cfg_.hub_id, VITALS_VERSION, cfg_.federation,
      federation::FederationDeps{state_, clock_, *bus_, pool_, registry_, logger_,
                                 [this](const policy::Transition& t) {
                                   // One replica per site records it (the summary lease).
                                   if (!job_lease_.holds("summary")) {
                                     return;
                                   }
                                   if (auto st = status_store_.record({t}); !st.ok()) {
                                     logger_->warn("federation: cannot record {}: {}", t.service,
                                                   st.error().describe());
                                     return;
                                   }
                                   alert_engine_.wake();
                                 },
                                 [this] { return job_lease_.holds("summary"); },
                                 [this](const federation::RemoteHub& hub, std::string_view change) {
                                   auto data = api::federationHubJson(hub, clock_.now());
                                   data["change"] = std::string(change);
                                   stream_hub_.publish("federation", "", std::move(data));
                                 }});
}

api::Handlers HubApp::apiHandlers() {
  services_handler_.setRegistry(&service_registry_);  // owner, tags, ... in the services' views
  agents_handler_.setState(&state_);  // an agent's checks in GET /api/v1/agents/{id}
  api::Handlers h{services_handler_, agents_handler_, ops_handler_, uptime_handler_,
                  &alerts_handler_};
  h.incidents = &incidents_handler_;
  h.keys = &keys_handler_;
  h.repair = &repair_handler_;
  h.audit = &audit_handler_;
  h.security = &security_handler_;
  h.log_stats = &log_stats_handler_;
  h.registry = &registry_handler_;
  h.hub = &hub_handler_;
  h.stream = &stream_handler_;
  h.preflight = &preflight_handler_;
  h.federation = federation_handler_.get();
  h.enrollment = enrollment_handler_.get();
  if (cfg_.events.enabled) {
    h.events = &events_handler_;
  }
  return h;
}

// The configured checks; the ready flag goes out on hub.<hub_id>.ready.
void HubApp::addPreflightChecks() {
  preflight::CheckDeps deps;
  deps.state = &state_;
  deps.agents = [this] { return reads_.agents(); };
  deps.applied_migrations = [this] { return preflight::appliedMigrations(pool_); };
  if (auto known = store::parseMigrations(store::embeddedSchemaFiles()); known.ok()) {
    for (const auto& m : known.value()) {
      deps.known_migrations.push_back(m.version);
    }
  }
  deps.stream_probe = [this] { return streamStatus(); };  // the same probe as /readyz "stream"
  deps.database_probe = [this] { return reads_.ping(); };
  deps.notifier = [this](const std::string& channel) {
    return notify::makeNotifier(cfg_.notify.channels.at(channel), cfg_.notify.timeout, clock_);
  };
  deps.hub_id = cfg_.hub_id;
  deps.clock = &clock_;
  deps.default_max_skew = cfg_.staleness.liveness.skew_threshold;
  for (const auto& spec : cfg_.preflight.checks) {
    preflight_.add(spec.name, std::string(preflight::toString(spec.kind)), spec.required,
                   preflight::makeCheck(spec, deps));
  }
}

HubApp::Started HubApp::start(const StopRequested& stop_requested) {
  // The WebSocket listener first: the HTTP API's 426 for GET /api/v1/ws names its port.
  if (cfg_.http.websocket_port >= 0) {
    auto ws_port = ws_.start(cfg_.http.websocket_host, cfg_.http.websocket_port);
    if (!ws_port.ok()) {
      logger_->error("{}", ws_port.error().message);
      return Started::Failed;
    }
    stream_handler_.setWebsocketPort(ws_port.value());
    const auto& h = cfg_.http.websocket_host;
    logger_->info("live stream WebSocket listening on {}://{}:{}/api/v1/ws",
                  cfg_.api.tls_cert_file.empty() ? "ws" : "wss",
                  h.find(':') != std::string::npos ? "[" + h + "]" : h, ws_port.value());
  }
  auto port = http_.start(cfg_.http.host, cfg_.http.port);
  if (!port.ok()) {
    logger_->error("{}", port.error().message);
    return Started::Failed;
  }
  const std::string host =
      cfg_.http.host.find(':') != std::string::npos ? "[" + cfg_.http.host + "]" : cfg_.http.host;
  logger_->info("REST API listening on {}://{}:{}/api/v1/services",
                cfg_.api.tls_cert_file.empty() ? "http" : "https", host, port.value());

  // Updates from the other replicas queue from now on; applied once the state is restored.
  auto sub = bus_->subscribe(
      subjects::replicaState(cfg_.replica.group),
      [this](const nats::Subscription::Message& m) { state_sync_.enqueue(m.data); });
  if (!sub.ok()) {
    logger_->error("cannot subscribe to {}: {}", subjects::replicaState(cfg_.replica.group),
                   sub.error().describe());
    return Started::Failed;
  }
  replica_subscription_ = std::move(sub.value());

  if (const auto ready = prepareDatabase(stop_requested); ready != Started::Running) {
    return ready;
  }
  schema_ready_ = true;
  if (enrollment_) {
    // The users file from the database: enrollments and revocations made while this hub was
    // down (or by another replica) are applied now.
    if (auto s = enrollment_->sync(); s.ok()) {
      logger_->info("enrollment: NATS users file {} written", cfg_.enrollment.nats_users_file);
    } else {
      logger_->error("enrollment: cannot apply the NATS identities: {}", s.error().describe());
    }
  }
  startLoops();
  return Started::Running;
}

// The database may come up after us: retry with backoff; /readyz says what we wait for.
HubApp::Started HubApp::prepareDatabase(const StopRequested& stop_requested) {
  const auto migrations = store::parseMigrations(store::embeddedSchemaFiles());
  if (!migrations.ok()) {
    logger_->error("embedded schema is invalid: {}", migrations.error().describe());
    return Started::Failed;
  }
  for (int failures = 0;; ++failures) {
    std::string why;
    auto conn = connect_db_();
    if (conn.ok()) {
      auto report = store::migrate(*conn.value(), migrations.value(), *logger_);
      if (report.ok()) {
        logger_->info("database schema at version {} (was {})", report->to_version,
                      report->from_version);
        auto stored = reads_.checks();
        if (stored.ok()) {
          for (const auto& c : stored.value()) {
            state_.restore(c.agent_id, c.spec, c.last);
          }
          logger_->info("restored the state of {} checks", stored->size());
          // Last recorded statuses, agents that died while we were down, unrecorded changes.
          // The sweep waits for the sweeper job (onJobAcquired -> StatusTracker::takeOver).
          auto tracked = tracker_.start(false);
          if (tracked.ok()) {
            return Started::Running;
          }
          why = tracked.error().describe();
        } else {
          why = stored.error().describe();
        }
      } else if (report.error().code == "db.unavailable") {
        why = report.error().describe();
      } else {
        logger_->error("cannot start: {}", report.error().describe());
        return Started::Failed;
      }
    } else {
      why = conn.error().describe();
    }
    const auto delay = ingest::backoffDelay(failures, random_);
    logger_->warn("database not ready, retrying in {} ms: {}", delay.count(), why);
    if (stop_requested(delay)) {
      logger_->info("stopped before the database was ready");
      return Started::Stopped;
    }
  }
}

// Tail loop thread. A database outage only delays the events: the position is kept.
void HubApp::pollStreamTails() {
  for (auto* tail : {&incident_tail_, &repair_tail_}) {
    if (auto s = tail->poll(); !s.ok()) {
      logger_->debug("live stream: cannot read new incident or repair rows: {}",
                     s.error().describe());
    }
  }
}

void HubApp::startLoops() {
  ingest_source_ = &source_;
  // Log-rate thresholds (services.<name>.log_errors_per_minute); open log_rate incidents say
  // which services were over their threshold before a restart.
  std::set<std::string> log_violating;
  alerts::AlertQuery open_alerts;
  open_alerts.state = "open";
  open_alerts.limit = 1000;
  if (auto rows = alert_api_store_.list(open_alerts); rows.ok()) {
    for (const auto& i : rows.value()) {
      if (i.kind == alerts::IncidentKind::LogRate) {
        log_violating.insert(i.service);
      }
    }
  }
  log_rates_.emplace(status_store_, clock_, cfg_.services, "error", std::move(log_violating),
                     logger_);
  log_rates_->onRecorded([this] { alert_engine_.wake(); });
  // Thresholds set through the API replace hub.yaml's (every replica reads them).
  log_rates_->setLimits(
      [this](const std::string& service) { return log_threshold_cache_.limits(service); });
  processor_.setCommitHook([this](const store::IngestBatch& batch) {
    tracker_.onCommitted(batch);
    log_rates_->onCommitted(batch);
    check_sync_.onRegistered(registeredAgents(batch));  // API checks follow registrations
    state_sync_.publishBatch(batch);  // after the tracker: its recorded statuses go along
  });
  state_sync_.start();
  sync_holder_->store(&state_sync_);
  // The registry's operator fields: read now, and again every few seconds (other replicas'
  // PUTs) on the check sync's thread.
  auto refresh_registry = [this] {
    if (auto meta = registry_store_.loadMeta(); meta.ok()) {
      service_registry_.replaceAll(meta.value());
    } else {
      logger_->debug("registry refresh: {}", meta.error().describe());
    }
  };
  refresh_registry();
  check_sync_.start(refresh_registry);
  lease_thread_.start([this] { lease_renewer_.start(); },
                      [this] {
                        lease_renewer_.stop();
                        job_lease_.release();
                      });

  sweep_thread_.start(
      [this] {
        sweeper_.start();
        uptime_warmer_.start();
      },
      [this] {
        uptime_warmer_.stop();
        sweeper_.stop();
      });
  tail_thread_.start([this] { tail_ticker_.start(); }, [this] { tail_ticker_.stop(); });
  if (cfg_.log_stats.enabled) {
    log_stats_thread_.start([this] { log_stats_ticker_.start(); },
                            [this] { log_stats_ticker_.stop(); });
  }

  // Notification delivery: one worker per configured channel, each with its own connection.
  for (const auto& [name, channel] : cfg_.notify.channels) {
    sender_.addChannel(name, notify::makeNotifier(channel, cfg_.notify.timeout, clock_));
  }
  sender_.start();
  alert_engine_.onEnqueued([this] { sender_.wake(); });
  alert_engine_.start();

  repair_engine_.start();  // after the migrations: it creates default policies at once
  if (federation_) {
    federation_->start();  // loads the stored registry: after the migrations
  }
  ingest_.start();
  logger_->info("ingest started (stream {}, durable {}, batch size {})", cfg_.ingest.stream,
                cfg_.ingest.durable, cfg_.ingest.batch_size);

  preflight_thread_.start([this] { preflight_scheduler_.start(); },
                          [this] { preflight_scheduler_.stop(); });

  if (cfg_.events.enabled && cfg_.events.nats) {
    bus_events_.start();
    auto sub = bus_->subscribe(std::string(subjects::kEventsWildcard),
                               [this](const nats::Subscription::Message& m) {
                                 bus_events_.enqueue({m.subject, m.data, m.reply});
                               });
    if (sub.ok()) {
      events_subscription_ = std::move(sub.value());
      logger_->info("inbound events on {}", subjects::kEventsWildcard);
    } else {
      logger_->error("cannot subscribe to {}: {}", subjects::kEventsWildcard,
                     sub.error().describe());
    }
  }
}

}  // namespace vitals::hub::app
