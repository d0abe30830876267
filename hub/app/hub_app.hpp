#pragma once
// The hub as one object: every subsystem is a member, declared in dependency order. C++ builds
// members top to bottom and destroys them bottom to top, so the declaration order below is the
// start-up order and its reverse is the shutdown order; there is no separate list to keep.
//
// The subsystems, top to bottom (each uses only what is above it):
//   core        clock, randomness, metrics, the in-memory state (rules from `services:`)
//   bus         the NATS connection (reconnects in the background); the closing guard after it
//               marks the disconnect at shutdown as ours
//   database    connection options, the one connection factory, the pool and the read stores
//   status      the tracker (records transitions) and its bus sink (hub.<id>.status...)
//   replicas    state updates to/from the other replicas of the site (vitals.hub.<group>.state,
//               their subscription) and the job leases (advisory locks) on their own session
//   stream      the live event stream (SSE, the dashboard) and its tickets; a tracker sink
//   notify      the sender (one worker per channel); above alerts, which wake it
//   alerts      the alert engine over status_changes; the API's incident store
//   repair      agent commands, the repair guard store and the repair engine
//   federation  summaries out, the other hubs' in, the registry and global view (optional)
//   registry    operator fields per service (owner, tags, ...), the checks managed through the
//               API and their sync to agents (set-checks, on its own thread)
//   api reads   services, agents, readiness, uptime, alert configs, keys, incidents, repair, audit
//   preflight   the checklist runner (its checks read the stores above) and its handler
//   events      inbound event rules, the guarded action runner and the processor
//   access      the router over every handler, the audit sink and access control
//   ingest      JetStream source, prefetch, batch processor, log-rate monitor, the ingest loop:
//               stopped before everything its commit hook reaches (tracker, engines)
//   sweeper     staleness sweeps on their own loop (they reach the tracker and its sinks), run
//               by the replica holding the sweeper job
//   lease loop  the job leases' renewal on its own loop (a round may wait for the database)
//   log stats   the log statistics rollups on their own loop, run by the replica holding the
//               log_stats job
//   preflight loop  the checklist schedule on its own loop
//   bus events  inbound events from NATS and their subscription (stopped early: nothing new)
//   http        the REST API: declared last, so it stops first (no new requests)
//
// Every component whose destructor stops it (threads, loops) is stopped by going out of scope;
// loops on their own thread are held by LoopThread (hub/app/loop_thread.hpp).
//
// Adding a subsystem: one member at the place its dependencies allow, one line in the
// constructor's initialiser list, and (when it runs) one line in start().
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/log/log.hpp"
#include "common/metrics/metrics.hpp"
#include "common/nats/nats_client.hpp"
#include "common/random/random.hpp"
#include "common/time/clock.hpp"
#include "hub/alerts/alert_api_store.hpp"
#include "hub/alerts/alert_engine.hpp"
#include "hub/alerts/hub_state_view.hpp"
#include "hub/alerts/log_rate.hpp"
#include "hub/api/access_control.hpp"
#include "hub/api/alerts_handler.hpp"
#include "hub/api/audit_handler.hpp"
#include "hub/api/events_handler.hpp"
#include "hub/api/http_server.hpp"
#include "hub/api/hub_handler.hpp"
#include "hub/api/incidents_handler.hpp"
#include "hub/api/keys_handler.hpp"
#include "hub/api/log_stats_handler.hpp"
#include "hub/api/ops_handler.hpp"
#include "hub/api/preflight_handler.hpp"
#include "hub/api/registry_handler.hpp"
#include "hub/api/repair_handler.hpp"
#include "hub/api/router.hpp"
#include "hub/api/routes.hpp"
#include "hub/api/security_handler.hpp"
#include "hub/api/services_handler.hpp"
#include "hub/api/stream_handler.hpp"
#include "hub/api/uptime_handler.hpp"
#include "hub/api/ws_server.hpp"
#include "hub/app/loop_thread.hpp"
#include "hub/auth/api_key.hpp"
#include "hub/auth/authenticator.hpp"
#include "hub/auth/pg_key_store.hpp"
#include "hub/config/hub_config.hpp"
#include "hub/enroll/nats_users_file.hpp"
#include "hub/enroll/pg_enrollment_store.hpp"
#include "hub/events/bus_event_listener.hpp"
#include "hub/events/event_processor.hpp"
#include "hub/events/pg_event_log.hpp"
#include "hub/events/repair_action_runner.hpp"
#include "hub/federation/federation.hpp"
#include "hub/ingest/async_acker.hpp"
#include "hub/ingest/batch_processor.hpp"
#include "hub/ingest/ingest_loop.hpp"
#include "hub/ingest/nats_message_source.hpp"
#include "hub/ingest/prefetching_source.hpp"
#include "hub/logstats/log_stats_job.hpp"
#include "hub/logstats/log_thresholds.hpp"
#include "hub/logstats/pg_log_stats_store.hpp"
#include "hub/notify/pg_alert_config_store.hpp"
#include "hub/notify/pg_outbox_store.hpp"
#include "hub/notify/sender.hpp"
#include "hub/preflight/pg_override_store.hpp"
#include "hub/preflight/preflight_runner.hpp"
#include "hub/preflight/preflight_scheduler.hpp"
#include "hub/registry/check_sync.hpp"
#include "hub/registry/pg_registry_store.hpp"
#include "hub/registry/service_registry.hpp"
#include "hub/repair/agent_commands.hpp"
#include "hub/repair/pg_repair_store.hpp"
#include "hub/repair/repair_engine.hpp"
#include "hub/replica/job_lease.hpp"
#include "hub/replica/pg_lock_session.hpp"
#include "hub/replica/state_sync.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/status/bus_transition_sink.hpp"
#include "hub/status/staleness_sweeper.hpp"
#include "hub/status/status_tracker.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/pg_event_store.hpp"
#include "hub/store/pg_pool.hpp"
#include "hub/store/pg_read_store.hpp"
#include "hub/store/pg_status_store.hpp"
#include "hub/stream/pg_tail_sources.hpp"
#include "hub/stream/pg_ticket_backend.hpp"
#include "hub/stream/status_events.hpp"
#include "hub/stream/stream_hub.hpp"
#include "hub/stream/table_tail.hpp"
#include "hub/stream/ticket_store.hpp"

namespace vitals::hub::app {

class HubApp {
 public:
  // Asked between start-up attempts: true when a stop was requested within `wait` (the caller's
  // signal handling); a negative wait means "until one is".
  using StopRequested = std::function<bool(std::chrono::milliseconds wait)>;
  enum class Started { Running, Stopped, Failed };

  // Sets up the NATS connection (which reconnects in the background) and builds every
  // subsystem; nothing runs yet. An error only for a connection that cannot even be set up.
  // `cfg` must outlive the app.
  static Result<std::unique_ptr<HubApp>> create(const HubConfig& cfg,
                                                std::shared_ptr<spdlog::logger> logger);
  ~HubApp();
  HubApp(const HubApp&) = delete;
  HubApp& operator=(const HubApp&) = delete;

  // Listens on the API, waits for the database (retrying with backoff, asking `stop_requested`
  // between attempts), applies the migrations, restores the state and starts every loop.
  // Running: the hub works until the app is destroyed. Stopped: a stop came first. Failed: a
  // reason was logged.
  Started start(const StopRequested& stop_requested);

 private:
  HubApp(const HubConfig& cfg, std::shared_ptr<spdlog::logger> logger,
         std::unique_ptr<nats::Connection> bus,
         std::shared_ptr<std::atomic<replica::StateSync*>> sync_holder);
  // The readiness probes (/readyz and the pre-flight checks use the same ones).
  Status natsStatus() const;
  Status migrationsStatus() const;
  Status streamStatus() const;
  // Replicas: the state from PostgreSQL (after a gap, and when this replica takes the sweeper).
  Status rebuildFromDatabase();
  replica::SyncHooks replicaHooks();
  void onJobAcquired(std::string_view job);
  api::Handlers apiHandlers();
  std::unique_ptr<federation::Federation> makeFederation();
  void addPreflightChecks();
  // Migrations, state restore and the tracker's first pass, retried until the database is
  // there. Started::Running when done.
  Started prepareDatabase(const StopRequested& stop_requested);
  void startLoops();
  void pollStreamTails();

  // ---- core ----
  const HubConfig& cfg_;
  std::shared_ptr<spdlog::logger> logger_;
  SystemClock clock_;
  StdRandom random_;         // the start-up and ingest threads'
  StdRandom notify_random_;  // the sender's (it locks its own)
  metrics::Registry registry_;
  state::HubState state_;
  std::atomic<bool> schema_ready_{false};
  std::atomic<const ingest::NatsMessageSource*> ingest_source_{nullptr};  // set when consuming

  // ---- bus ----
  std::atomic<bool> bus_closing_{false};  // read by the connection's callbacks
  std::unique_ptr<nats::Connection> bus_;
  SetOnDestruction bus_closing_guard_{bus_closing_};

  // ---- database ----
  store::PgConnectOptions pg_;
  std::function<Result<std::unique_ptr<store::PgConnection>>()> connect_db_;
  store::PgPool pool_;
  store::PgReadStore reads_;
  store::PgStatusStore status_store_;

  // ---- status ----
  status::StatusTracker tracker_;
  status::BusTransitionSink bus_sink_;

  // ---- replicas ----
  // The connection's callbacks reach the sync through this holder (cleared first at shutdown).
  std::shared_ptr<std::atomic<replica::StateSync*>> sync_holder_;
  replica::StateSync state_sync_;
  std::unique_ptr<nats::Subscription> replica_subscription_;
  replica::PgLockSession lock_session_;
  replica::JobLease job_lease_;

  // ---- live stream (GET /api/v1/stream): committed transitions and pre-flight changes ----
  auth::OpenSslRandom stream_random_;
  stream::StreamHub stream_hub_;
  stream::StatusEvents stream_status_;
  stream::PgTicketBackend stream_ticket_backend_;  // shared by the replicas
  stream::TicketStore stream_tickets_;

  // ---- notify ----
  notify::Sender sender_;

  // ---- alerts ----
  alerts::HubStateView live_view_;
  alerts::AlertEngine alert_engine_;
  alerts::PgAlertApiStore alert_api_store_;

  // ---- repair (the worker asks agents on the hub's connection) ----
  repair::NatsAgentCommands agent_commands_;
  repair::PgRepairStore repair_store_;
  repair::RepairEngine repair_engine_;

  // ---- federation (federation.enabled; docs/federation.md) ----
  std::unique_ptr<federation::Federation> federation_;

  // ---- registry (operator fields per service; checks managed through the API) ----
  registry::ServiceRegistry service_registry_;
  registry::PgRegistryStore registry_store_;
  registry::CheckSync check_sync_;

  // ---- api reads ----
  api::ServicesHandler services_handler_;
  api::AgentsHandler agents_handler_;
  api::OpsHandler ops_handler_;
  api::UptimeHandler uptime_handler_;
  notify::PgAlertConfigStore alert_configs_;
  notify::PgOutboxReader outbox_reader_;
  api::AlertsHandler alerts_handler_;
  auth::PgKeyStore key_store_;
  auth::Authenticator authenticator_;
  auth::OpenSslRandom secure_random_;
  api::KeysHandler keys_handler_;
  api::IncidentsHandler incidents_handler_;
  api::RepairHandler repair_handler_;
  audit::PgAuditReader audit_reader_;
  api::AuditHandler audit_handler_;
  api::SecurityHandler security_handler_;
  // Log statistics (rollups written by the log_stats job below) and log-rate thresholds set
  // through the API (the log-rate monitor reads them through the cache).
  logstats::PgLogStatsStore log_stats_store_;
  logstats::PgThresholdStore log_thresholds_;
  logstats::ThresholdCache log_threshold_cache_;
  api::LogStatsHandler log_stats_handler_;
  api::RegistryHandler registry_handler_;
  api::HubHandler hub_handler_;
  api::StreamHandler stream_handler_;
  std::unique_ptr<api::FederationHandler> federation_handler_;  // with federation_
  // Agent enrollment (with `enrollment:`): tokens and identities in PostgreSQL, the nats-server
  // users file the hub rewrites and reloads, and the routes.
  enroll::PgEnrollmentStore enroll_store_;
  std::unique_ptr<enroll::NatsUsersFile> users_file_;
  std::unique_ptr<enroll::Enrollment> enrollment_;
  std::unique_ptr<api::EnrollmentHandler> enrollment_handler_;

  // ---- preflight ----
  preflight::PgOverrideStore preflight_overrides_;
  preflight::PreflightRunner preflight_;
  api::PreflightHandler preflight_handler_;

  // ---- events ----
  events::PgEventLog event_log_;
  // Event actions go through the repair engine: one guard, cooldown, rate limit and approval.
  events::RepairActionRunner action_runner_;
  events::EventProcessor event_processor_;
  api::EventsHandler events_handler_;

  // ---- access ----
  api::Router router_;
  api::PgAuditSink audit_sink_;
  api::AccessControl access_;

  // ---- ingest ----
  store::PgEventStore event_store_;
  ingest::NatsMessageSource source_;
  ingest::AsyncAcker acker_;            // acks committed batches off the ingest thread
  ingest::PrefetchingSource prefetch_;  // gathers and decodes the next batch during a commit
  ingest::BatchProcessor processor_;
  std::optional<alerts::LogRateMonitor> log_rates_;  // needs the open incidents: at start()
  ingest::IngestLoop ingest_;

  // ---- staleness sweeps ----
  AsioLoop sweep_loop_;
  status::StalenessSweeper sweeper_;
  // Fills the uptime caches as each hour starts (the first 7d/30d request then finds them).
  status::StalenessSweeper uptime_warmer_;  // a plain periodic timer here
  LoopThread sweep_thread_;

  // ---- job leases (released at shutdown: another replica takes over at its next round) ----
  AsioLoop lease_loop_;
  replica::LeaseRenewer lease_renewer_;
  LoopThread lease_thread_;

  // ---- log statistics job (log_stats.enabled; the replica holding the log_stats job) ----
  AsioLoop log_stats_loop_;
  logstats::LogStatsJob log_stats_job_;
  status::StalenessSweeper log_stats_ticker_;  // a plain periodic timer here
  LoopThread log_stats_thread_;

  // ---- preflight schedule (a run may wait for a notifier or the database) ----
  AsioLoop preflight_loop_;
  preflight::PreflightScheduler preflight_scheduler_;
  LoopThread preflight_thread_;

  // ---- live stream tails: incident timelines and repair steps, read from the shared database
  // (so every replica streams them, whichever replica's engine wrote them) ----
  stream::PgIncidentEvents incident_rows_;
  stream::PgRepairAudit repair_rows_;
  stream::TableTail incident_tail_;
  stream::TableTail repair_tail_;
  AsioLoop tail_loop_;
  status::StalenessSweeper tail_ticker_;  // a plain periodic timer here
  LoopThread tail_thread_;

  // ---- bus events ----
  events::BusEventListener bus_events_;
  std::unique_ptr<nats::Subscription> events_subscription_;

  // ---- http and websocket (last: they stop first) ----
  api::HttpServer http_;
  api::WsServer ws_;
};

}  // namespace vitals::hub::app
