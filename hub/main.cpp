// vitals-hub: the composition root. Builds every object, wires them by reference, and owns the
// start-up order and the shutdown.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/asio/asio_timers.hpp"
#include "common/log/log.hpp"
#include "common/metrics/metrics.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "common/random/random.hpp"
#include "common/time/clock.hpp"
#include "hub/alerts/alert_api_store.hpp"
#include "hub/alerts/alert_engine.hpp"
#include "hub/alerts/hub_state_view.hpp"
#include "hub/alerts/log_rate.hpp"
#include "hub/api/http_server.hpp"
#include "hub/api/routes.hpp"
#include "hub/auth/authenticator.hpp"
#include "hub/auth/keys_command.hpp"
#include "hub/auth/pg_key_store.hpp"
#include "hub/config/hub_config.hpp"
#include "hub/ingest/batch_processor.hpp"
#include "hub/ingest/ingest_loop.hpp"
#include "hub/ingest/nats_message_source.hpp"
#include "hub/ingest/prefetching_source.hpp"
#include "hub/notify/curl_notifiers.hpp"
#include "hub/notify/pg_alert_config_store.hpp"
#include "hub/notify/pg_outbox_store.hpp"
#include "hub/notify/sender.hpp"
#include "hub/repair/agent_commands.hpp"
#include "hub/repair/pg_repair_store.hpp"
#include "hub/repair/repair_engine.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/state/service_status_metrics.hpp"
#include "hub/status/bus_transition_sink.hpp"
#include "hub/status/staleness_sweeper.hpp"
#include "hub/status/status_tracker.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg_event_store.hpp"
#include "hub/store/pg_pool.hpp"
#include "hub/store/pg_read_store.hpp"
#include "hub/store/pg_status_store.hpp"
#include "hub/events/action_runner.hpp"
#include "hub/events/bus_event_listener.hpp"
#include "hub/events/event_processor.hpp"
#include "hub/events/guarded_action_runner.hpp"
#include "hub/events/pg_event_log.hpp"
#include "hub/events/service_agent.hpp"
#include "hub/preflight/check_factory.hpp"
#include "hub/preflight/pg_override_store.hpp"
#include "hub/preflight/preflight_runner.hpp"
#include "hub/preflight/preflight_scheduler.hpp"
#include "hub/preflight/ready_codec.hpp"

namespace {

using namespace vitals;
using namespace std::chrono_literals;

constexpr const char* kUsage =
    "usage: vitals-hub --config FILE [--check-config]\n"
    "       vitals-hub keys create|list|revoke ...   (API keys; see vitals-hub keys --help)\n"
    "       vitals-hub --help | --version\n"
    "\n"
    "  --config FILE    hub configuration (YAML; see docs/configuration-hub.md)\n"
    "  --check-config   validate the configuration, list every problem, and exit\n"
    "  --help           show this help\n"
    "  --version        show the version\n";

struct Args {
  std::string config;
  bool check_config = false;
  bool help = false;
  bool version = false;
};

// 0 = run, 2 = usage error (message printed).
int parseArgs(int argc, char** argv, Args& out) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      out.config = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      out.config = a.substr(9);
    } else if (a == "--check-config") {
      out.check_config = true;
    } else if (a == "--help" || a == "-h") {
      out.help = true;
    } else if (a == "--version") {
      out.version = true;
    } else {
      std::fprintf(stderr, "vitals-hub: unknown or incomplete argument '%s'\n%s", a.c_str(),
                   kUsage);
      return 2;
    }
  }
  if (!out.help && !out.version && out.config.empty()) {
    std::fprintf(stderr, "vitals-hub: --config FILE is required\n%s", kUsage);
    return 2;
  }
  return 0;
}

// SIGINT/SIGTERM are blocked in every thread and taken here synchronously: no handler runs in
// signal context. Returns true when one arrived within `timeout` (negative = wait forever).
bool waitForSignal(const sigset_t& set, std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) {
    int sig = 0;
    sigwait(&set, &sig);
    return true;
  }
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1'000'000);
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "keys") {
    return vitals::hub::auth::runKeysCommand(std::vector<std::string>(argv + 2, argv + argc),
                                             std::cout, std::cerr);
  }
  Args args;
  if (int rc = parseArgs(argc, argv, args); rc != 0) {
    return rc;
  }
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args.version) {
    std::printf("vitals-hub %s\n", VITALS_VERSION);
    return 0;
  }

  config::Problems problems;
  const auto cfg = hub::loadHubConfig(args.config, hub::ConfigSources::system(), problems);
  if (!cfg) {
    std::fputs(problems.format().c_str(), stderr);
    return 1;
  }
  if (args.check_config) {
    std::puts("config OK");
    return 0;
  }

  // Before any thread exists, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  hub::notify::CurlGlobal curl;  // before any thread: curl_global_init is not thread-safe
  auto logger = log::makeLogger("hub", cfg->log);
  logger->info("vitals-hub {} starting (hub_id {})", VITALS_VERSION, cfg->hub_id);

  SystemClock clock;
  StdRandom random;
  metrics::Registry registry;
  hub::state::HubState state;
  state.setRules(cfg->services);
  registry.collectGauges("vitals_service_status",
                         "1 for each service's current status, 0 for its other statuses",
                         [&state] { return hub::state::serviceStatusSamples(state.services()); });
  std::atomic<bool> schema_ready{false};
  std::atomic<bool> closing{false};  // our own shutdown is not a "connection lost"

  nats::ConnectOptions nopts;
  nopts.url = cfg->nats.url;
  nopts.name = "vitals-hub " + cfg->hub_id;
  nopts.credentials_file = cfg->nats.credentials_file;
  nopts.user = cfg->nats.user;
  nopts.password = cfg->nats.password;
  nopts.nkey = cfg->nats.nkey;
  nopts.nkey_seed_file = cfg->nats.nkey_seed_file;
  nopts.tls = {false, cfg->nats.tls_ca_file, cfg->nats.tls_cert_file, cfg->nats.tls_key_file,
               cfg->nats.tls_server_name};
  nopts.inbox_prefix =
      cfg->nats.inbox_prefix.empty() ? "_INBOX_" + cfg->hub_id : cfg->nats.inbox_prefix;
  nopts.on_async_error = [logger](const std::string& message) {
    logger->warn("NATS server reported: {}", message);
  };
  nopts.on_connection_change = [&closing, logger](bool up) {
    if (up) {
      logger->info("connected to NATS");
    } else if (!closing) {
      logger->warn("disconnected from NATS; reconnecting");
    }
  };
  auto bus = nats::Connection::connect(nopts);
  if (!bus.ok()) {
    logger->error("cannot set up the NATS connection: {}", bus.error().describe());
    return 1;
  }
  auto& connection = *bus.value();
  // Destroyed before the connection: every return below marks the shutdown as ours.
  struct ClosingGuard {
    std::atomic<bool>& flag;
    ~ClosingGuard() { flag = true; }
  } closing_guard{closing};
  if (connection.connected()) {
    logger->info("connected to NATS at {}", cfg->nats.url);
  } else {
    logger->warn("NATS at {} not reachable yet; retrying in the background", cfg->nats.url);
  }

  hub::store::PgConnectOptions pg;
  pg.conninfo = cfg->database.url;
  pg.password = cfg->database.password;
  pg.connect_timeout = cfg->database.connect_timeout;
  hub::store::PgPool pool(pg, cfg->database.pool_size, logger);
  hub::store::PgReadStore reads(pool);
  hub::store::PgStatusStore status_store(pool);
  hub::status::StatusTracker tracker(
      state, status_store, clock, registry,
      hub::status::TrackerSettings{cfg->staleness.liveness, cfg->uptime_retention_days}, logger);
  hub::status::BusTransitionSink bus_sink(
      cfg->hub_id,
      [&connection](const std::string& subject, std::string_view data) {
        return connection.publish(subject, data);
      },
      registry);
  tracker.addSink(bus_sink);

  // Auto-repair: the sink only queues; the engine's worker decides, passes the database guard
  // and asks the agents (vitals.cmd.<agent>.run-action) on its own connection.
  hub::repair::NatsAgentCommands agent_commands(
      [&connection](const std::string& subject, std::string_view data,
                    std::chrono::milliseconds timeout) {
        return connection.request(subject, data, timeout);
      });
  hub::repair::GuardSettings guard_settings;
  guard_settings.rate_limit = cfg->repair.rate_limit;
  guard_settings.rate_window = cfg->repair.rate_window;
  guard_settings.approval_expiry = cfg->repair.approval_expiry;
  guard_settings.notify_channels = cfg->repair.notify_channels;
  hub::repair::PgRepairStore repair_store(clock, guard_settings);
  hub::repair::EngineSettings repair_settings;
  repair_settings.enabled = cfg->repair.enabled;
  repair_settings.decider = {cfg->repair.rate_limit, cfg->repair.rate_window};
  repair_settings.command_timeout = cfg->repair.command_timeout;
  repair_settings.tick = cfg->repair.sweep_interval;
  repair_settings.policy_scan = cfg->repair.sweep_interval * 10;  // new agents' default policies
  auto& dp = repair_settings.default_policy;
  dp.enabled = cfg->repair.default_enabled;
  dp.dry_run = cfg->repair.default_dry_run;
  dp.require_approval = cfg->repair.default_require_approval;
  dp.max_attempts = cfg->repair.default_max_attempts;
  dp.cooldown = cfg->repair.default_cooldown;
  dp.circuit_breaker = cfg->repair.default_circuit_breaker;
  dp.verify_after = cfg->repair.default_verify_after;
  hub::repair::RepairEngine repair_engine(
      state, cfg->services, repair_store,
      [&pg, logger] { return hub::store::PgConnection::connect(pg, logger); }, agent_commands,
      clock, registry, logger, repair_settings);
  tracker.addSink(repair_engine);
  // The alert policy reads the recorded changes (status_changes) on its own connection; the
  // tracker's commits wake it.
  hub::alerts::HubStateView live_view(state);
  hub::alerts::EngineSettings engine_settings;
  engine_settings.tick_interval = cfg->alerts.tick_interval;
  engine_settings.max_notify_age = cfg->alerts.max_notify_age;
  engine_settings.defaults.channels = cfg->alerts.default_channels;
  engine_settings.defaults.escalation_delay_seconds = cfg->alerts.escalation_delay_seconds;
  engine_settings.defaults.suppression_window_seconds = cfg->alerts.suppression_window_seconds;
  engine_settings.defaults.recovery_notice = cfg->alerts.recovery_notice;
  engine_settings.defaults.min_severity = cfg->alerts.min_severity;
  hub::alerts::AlertEngine alert_engine(
      [&pg, logger] { return hub::store::PgConnection::connect(pg, logger); }, clock, live_view,
      cfg->services, engine_settings, registry, logger);
  tracker.addSink(alert_engine);

  hub::api::ServicesHandler services(state, reads, clock);
  hub::api::AgentsHandler agents(reads, clock);
  std::atomic<const hub::ingest::NatsMessageSource*> ingest_source{nullptr};
  hub::api::OpsHandler ops(
      {
          {"nats",
           [&] {
             return connection.connected() ? okStatus()
                                           : Status(Error{"nats", "not connected", {}});
           }},
          {"database", [&] { return reads.ping(); }},
          {"migrations",
           [&] {
             return schema_ready ? okStatus()
                                 : Status(Error{"migrations", "not applied yet", {}});
           }},
          {"stream",
           [&] {
             // Agents' publishes fail until the stream exists: not ready before that.
             const auto* src = ingest_source.load();
             return src != nullptr && src->consuming()
                        ? okStatus()
                        : Status(Error{"stream", "stream or durable consumer not set up yet", {}});
           }},
      },
      registry);
  hub::alerts::PgAlertApiStore alert_api_store(pool);
  // Maintenance windows (silences with maintenance: true) are left out of uptime.
  hub::api::UptimeHandler uptime(state, status_store, clock, cfg->uptime.degraded_weight,
                                &alert_api_store);
  hub::notify::PgAlertConfigStore alert_configs(pool);
  hub::notify::PgOutboxReader outbox_reader(pool);
  std::set<std::string> channel_names;
  for (const auto& [name, channel] : cfg->notify.channels) {
    channel_names.insert(name);
  }
  hub::api::AlertsHandler alerts(alert_configs, outbox_reader, channel_names, clock);
  // API keys: validated against api_keys (cached for api.key_cache_ttl), managed by admins.
  hub::auth::PgKeyStore key_store(pool);
  hub::auth::Authenticator authenticator(key_store, clock, {cfg->api.key_cache_ttl});
  hub::auth::OpenSslRandom secure_random;
  hub::api::KeysHandler keys(key_store, secure_random, clock,
                             [&authenticator] { authenticator.invalidate(); });
  hub::api::IncidentsHandler incidents(alert_api_store, clock);
  hub::api::Handlers handlers{services, agents, ops, uptime, &alerts};
  handlers.incidents = &incidents;
  handlers.keys = &keys;
  hub::api::RepairHandler repair_handler(pool, repair_store, repair_engine, agent_commands, state,
                                         clock, std::min(cfg->repair.command_timeout,
                                                         std::chrono::milliseconds{15000}));
  hub::api::AuditHandler audit_handler(pool);
  handlers.repair = &repair_handler;
  handlers.audit = &audit_handler;
  // Pre-flight checklist: the configured checks; the ready flag on hub.<hub_id>.ready.
  hub::preflight::PgOverrideStore preflight_overrides(pool);
  hub::preflight::PreflightRunner preflight(
      clock, preflight_overrides, registry,
      [&connection, &cfg, logger,
       logged = std::optional<bool>()](const hub::preflight::PreflightReport& r) mutable {
        if (logged != r.ready) {
          logged = r.ready;
          logger->info("pre-flight: {}", r.ready ? "ready" : "not ready");
        }
        if (auto st = connection.publish(subjects::hubReady(cfg->hub_id),
                                         hub::preflight::encodeReady(cfg->hub_id, r));
            !st.ok()) {
          logger->debug("cannot publish the ready flag: {}", st.error().describe());
        }
      });
  {
    hub::preflight::CheckDeps deps;
    deps.state = &state;
    deps.agents = [&reads] { return reads.agents(); };
    deps.applied_migrations = [&pool] { return hub::preflight::appliedMigrations(pool); };
    if (auto known = hub::store::parseMigrations(hub::store::embeddedSchemaFiles()); known.ok()) {
      for (const auto& m : known.value()) {
        deps.known_migrations.push_back(m.version);
      }
    }
    deps.stream_probe = [&ingest_source] {  // the same probe as /readyz "stream"
      const auto* src = ingest_source.load();
      return src != nullptr && src->consuming()
                 ? okStatus()
                 : Status(Error{"stream", "stream or durable consumer not set up yet", {}});
    };
    deps.database_probe = [&reads] { return reads.ping(); };
    deps.notifier = [&cfg, &clock](const std::string& channel) {
      return hub::notify::makeNotifier(cfg->notify.channels.at(channel), cfg->notify.timeout,
                                       clock);
    };
    deps.hub_id = cfg->hub_id;
    deps.clock = &clock;
    deps.default_max_skew = cfg->staleness.liveness.skew_threshold;
    for (const auto& spec : cfg->preflight.checks) {
      preflight.add(spec.name, std::string(hub::preflight::toString(spec.kind)), spec.required,
                    hub::preflight::makeCheck(spec, deps));
    }
  }
  hub::api::PreflightHandler preflight_handler(preflight, preflight_overrides, clock);
  handlers.preflight = &preflight_handler;
  // Inbound events: rules from events.rules_file; actions asked of agents over NATS.
  hub::events::PgEventLog event_log(pool);
  hub::events::NatsActionRunner action_runner(
      [&connection](const std::string& subject, std::string_view data,
                    std::chrono::milliseconds timeout) {
        return connection.request(subject, data, timeout);
      });
  // The rule's cooldown also holds across hubs and restarts (PostgreSQL guard).
  hub::events::GuardedActionRunner guarded_runner(action_runner, pool);
  hub::events::EventProcessor event_processor(
      cfg->events.rules, hub::events::serviceAgentResolver(state), guarded_runner, event_log, clock,
      registry, {cfg->events.default_cooldown, cfg->events.action_timeout});
  hub::api::EventsHandler events_handler(event_processor, event_log, cfg->events.hmac, clock);
  hub::events::BusEventListener bus_events(
      event_processor, cfg->events.nats_role,
      [&connection](const std::string& subject, std::string_view data) {
        return connection.publish(subject, data);
      },
      registry, logger);
  if (cfg->events.enabled) {
    handlers.events = &events_handler;
    logger->info("inbound events: {} rule(s) from {}", cfg->events.rules.rules.size(),
                 cfg->events.rules_file);
  }
  const auto router = hub::api::buildRouter(handlers);
  hub::api::PgAuditSink audit_sink(pool, registry, logger);
  hub::api::AccessSettings access_settings;
  access_settings.auth_required = cfg->api.auth_required;
  access_settings.metrics_public = cfg->api.metrics_public;
  access_settings.per_key = {static_cast<double>(cfg->api.rate_per_second), cfg->api.rate_burst};
  if (!cfg->api.auth_required) {
    logger->warn("api.auth is disabled: anyone who reaches the API has admin rights");
  }
  hub::api::AccessControl access(router, &authenticator, access_settings, clock, audit_sink,
                                 registry);
  hub::api::HttpServer http(
      access,
      {static_cast<std::size_t>(cfg->api.max_body_bytes), cfg->api.read_timeout,
       cfg->api.write_timeout, cfg->api.tls_cert_file, cfg->api.tls_key_file},
      logger);
  auto port = http.start(cfg->http.host, cfg->http.port);
  if (!port.ok()) {
    logger->error("{}", port.error().message);
    return 1;
  }
  const std::string host =
      cfg->http.host.find(':') != std::string::npos ? "[" + cfg->http.host + "]" : cfg->http.host;
  logger->info("REST API listening on {}://{}:{}/api/v1/services",
               cfg->api.tls_cert_file.empty() ? "http" : "https", host, port.value());

  // The database may come up after us: retry with backoff; /readyz says what we wait for.
  const auto migrations = hub::store::parseMigrations(hub::store::embeddedSchemaFiles());
  if (!migrations.ok()) {
    logger->error("embedded schema is invalid: {}", migrations.error().describe());
    return 1;
  }
  for (int failures = 0;; ++failures) {
    std::string why;
    auto conn = hub::store::PgConnection::connect(pg, logger);
    if (conn.ok()) {
      auto report = hub::store::migrate(*conn.value(), migrations.value(), *logger);
      if (report.ok()) {
        logger->info("database schema at version {} (was {})", report->to_version,
                     report->from_version);
        auto stored = reads.checks();
        if (stored.ok()) {
          for (const auto& c : stored.value()) {
            state.restore(c.agent_id, c.spec, c.last);
          }
          logger->info("restored the state of {} checks", stored->size());
          // Last recorded statuses, agents that died while we were down, unrecorded changes.
          auto tracked = tracker.start();
          if (tracked.ok()) {
            break;
          }
          why = tracked.error().describe();
        } else {
          why = stored.error().describe();
        }
      } else if (report.error().code == "db.unavailable") {
        why = report.error().describe();
      } else {
        logger->error("cannot start: {}", report.error().describe());
        return 1;
      }
    } else {
      why = conn.error().describe();
    }
    const auto delay = hub::ingest::backoffDelay(failures, random);
    logger->warn("database not ready, retrying in {} ms: {}", delay.count(), why);
    if (waitForSignal(signals, delay)) {
      logger->info("stopped before the database was ready");
      return 0;
    }
  }
  schema_ready = true;

  hub::store::PgEventStore events(pg, cfg->retention_days, logger);
  nats::StreamConfig stream;
  stream.name = cfg->ingest.stream;
  stream.subjects = {std::string(subjects::kAgentWildcard)};
  stream.max_age = std::chrono::duration_cast<std::chrono::seconds>(cfg->ingest.stream_max_age);
  stream.max_bytes = cfg->ingest.stream_max_bytes;
  stream.duplicate_window =
      std::chrono::duration_cast<std::chrono::seconds>(cfg->ingest.duplicate_window);
  nats::ConsumerConfig consumer;
  consumer.stream = cfg->ingest.stream;
  consumer.durable = cfg->ingest.durable;
  consumer.filter_subject = std::string(subjects::kAgentWildcard);
  consumer.ack_wait = cfg->ingest.ack_wait;
  hub::ingest::NatsMessageSource source(connection, stream, consumer, logger);
  ingest_source = &source;
  // Fetch and decode the next batch while the current one commits.
  hub::ingest::PrefetchingSource prefetch(source, cfg->ingest.batch_size,
                                          cfg->ingest.fetch_timeout);
  hub::ingest::BatchProcessor processor(events, state, registry, clock, logger);
  // Log-rate thresholds (services.<name>.log_errors_per_minute); open log_rate incidents say
  // which services were over their threshold before a restart.
  std::set<std::string> log_violating;
  {
    hub::alerts::AlertQuery open_alerts;
    open_alerts.state = "open";
    open_alerts.limit = 1000;
    if (auto rows = alert_api_store.list(open_alerts); rows.ok()) {
      for (const auto& i : rows.value()) {
        if (i.kind == hub::alerts::IncidentKind::LogRate) {
          log_violating.insert(i.service);
        }
      }
    }
  }
  hub::alerts::LogRateMonitor log_rates(status_store, clock, cfg->services, "error",
                                        std::move(log_violating), logger);
  log_rates.onRecorded([&alert_engine] { alert_engine.wake(); });
  processor.setCommitHook([&tracker, &log_rates](const hub::store::IngestBatch& batch) {
    tracker.onCommitted(batch);
    log_rates.onCommitted(batch);
  });
  hub::ingest::IngestLoop ingest(
      prefetch, processor, events, clock, random, registry,
      hub::ingest::IngestLoopOptions{cfg->ingest.batch_size, cfg->ingest.fetch_timeout,
                                     std::chrono::hours{1}},
      logger);
  // The staleness sweeper runs on its own small event loop.
  boost::asio::io_context sweep_io;
  AsioTimers sweep_timers(sweep_io);
  hub::status::StalenessSweeper sweeper(clock, sweep_timers, cfg->staleness.sweep_interval,
                                        [&tracker] { tracker.sweep(); });
  auto sweep_work = boost::asio::make_work_guard(sweep_io);
  boost::asio::post(sweep_io, [&sweeper] { sweeper.start(); });
  std::thread sweep_thread([&sweep_io] { sweep_io.run(); });

  // Notification delivery: one worker per configured channel, each with its own connection.
  StdRandom notify_random;  // the ingest thread uses `random`; the sender locks its own
  hub::notify::Sender sender(
      [&pg, logger] { return std::make_unique<hub::notify::PgOutboxStore>(pg, logger); }, clock,
      notify_random, cfg->notify, registry, logger);
  for (const auto& [name, channel] : cfg->notify.channels) {
    sender.addChannel(name, hub::notify::makeNotifier(channel, cfg->notify.timeout, clock));
  }
  sender.start();
  alert_engine.onEnqueued([&sender] { sender.wake(); });
  alert_engine.start();

  repair_engine.start();  // after the migrations: it creates default policies at once
  ingest.start();
  logger->info("ingest started (stream {}, durable {}, batch size {})", stream.name,
               consumer.durable, cfg->ingest.batch_size);

  // The checklist runs on its own loop: a run may wait for a notifier or the database.
  boost::asio::io_context preflight_io;
  AsioTimers preflight_timers(preflight_io);
  hub::preflight::PreflightScheduler preflight_scheduler(
      clock, preflight_timers, preflight, cfg->preflight.interval, cfg->preflight.publish_interval,
      cfg->preflight.not_ready_interval);
  auto preflight_work = boost::asio::make_work_guard(preflight_io);
  boost::asio::post(preflight_io, [&preflight_scheduler] { preflight_scheduler.start(); });
  std::thread preflight_thread([&preflight_io] { preflight_io.run(); });
  std::unique_ptr<nats::Subscription> events_subscription;
  if (cfg->events.enabled && cfg->events.nats) {
    bus_events.start();
    auto sub = connection.subscribe(
        std::string(subjects::kEventsWildcard), [&bus_events](const nats::Subscription::Message& m) {
          bus_events.enqueue({m.subject, m.data, m.reply});
        });
    if (sub.ok()) {
      events_subscription = std::move(sub.value());
      logger->info("inbound events on {}", subjects::kEventsWildcard);
    } else {
      logger->error("cannot subscribe to {}: {}", subjects::kEventsWildcard,
                    sub.error().describe());
    }
  }

  waitForSignal(signals, std::chrono::milliseconds{-1});
  logger->info("shutting down");
  http.stop();
  events_subscription.reset();
  bus_events.stop();  // after the event in progress
  boost::asio::post(preflight_io, [&preflight_scheduler] { preflight_scheduler.stop(); });
  preflight_work.reset();
  preflight_thread.join();  // after the run in progress
  ingest.stop();  // after the transaction in progress, whose messages are then acked
  repair_engine.stop();  // after the agent request in flight (at most repair.command_timeout)
  alert_engine.stop();  // after the pass in progress (its transaction commits or rolls back)
  sender.stop();        // after the attempts in progress
  boost::asio::post(sweep_io, [&sweeper] { sweeper.stop(); });
  sweep_work.reset();
  sweep_thread.join();
  logger->info("stopped");
  return 0;
}
