#include "agent/app/agent_app.hpp"

#include <malloc.h>

#include <algorithm>
#include <csignal>

#include "agent/actions/command_codec.hpp"
#include "agent/config/config_loader.hpp"
#include "agent/probe/builtin_probes.hpp"
#include "agent/spool/file_spool.hpp"
#include "agent/spool/memory_spool.hpp"
#include "common/config/secret_file.hpp"
#include "common/nats/nats_settings.hpp"

namespace vitals::agent::app {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kDrainTime = 2s;  // flushing results at a clean stop
// Freed pages go back to the OS this often: result batches and publishes churn through the heap
// and leave 0.3-0.5 MiB of free pages resident between trims. malloc_trim takes well under a
// millisecond on the agent's 3 MiB heap.
constexpr std::chrono::seconds kTrimEvery = 5s;

std::size_t blockingChecks(const AgentConfig& cfg) {
  return static_cast<std::size_t>(
      std::count_if(cfg.checks.begin(), cfg.checks.end(),
                    [](const CheckConfig& c) { return usesWorkerPool(c.kind); }));
}

std::uint32_t actionSlots(const AgentConfig& cfg) {
  std::uint32_t slots = 1;
  for (const auto& action : cfg.actions) {
    slots += action.max_concurrent;
  }
  return std::clamp<std::uint32_t>(slots, 1, 8);
}

PipelineSettings pipelineSettings(const AgentConfig& cfg, const std::string& boot_id) {
  PipelineSettings ps;
  ps.agent_id = cfg.agent_id;
  ps.boot_id = boot_id;
  ps.max_batch = cfg.publish.max_batch;
  ps.max_delay = cfg.publish.max_delay;
  ps.drain_rate = cfg.spool.drain_rate;
  return ps;
}

CommandSettings commandSettings(const AgentConfig& cfg) {
  CommandSettings s;
  s.agent_id = cfg.agent_id;
  s.actions = cfg.actions;
  s.services = cfg.services;
  return s;
}

Result<std::unique_ptr<Spool>> openSpool(const SpoolSettings& cfg, spdlog::logger& logger) {
  if (cfg.dir.empty()) {
    logger.info(
        "no spool.dir: results wait in memory (up to {} bytes) while the bus is away and "
        "are lost if the agent stops meanwhile",
        cfg.max_bytes);
    return std::unique_ptr<Spool>(std::make_unique<MemorySpool>(cfg.max_bytes));
  }
  SpoolRecovery recovery;
  auto opened = FileSpool::open(FileSpoolOptions{cfg.dir, cfg.max_bytes, 0}, recovery);
  if (!opened.ok()) {
    return Error{"spool", "spool: " + opened.error().describe(), {}};
  }
  for (const auto& note : recovery.notes) {
    logger.warn("spool recovery: {}", note);
  }
  logger.info("spool {}: {} batches ({} results) waiting from an earlier run", cfg.dir,
              recovery.batches, recovery.results);
  return std::unique_ptr<Spool>(std::move(opened.value()));
}

}  // namespace

std::optional<AgentConfig> loadConfigCompact(const std::string& path, const LoadOptions& options,
                                             config::Problems& problems) {
  std::optional<AgentConfig> parsed = loadAgentConfigFile(path, options, problems);
  std::optional<AgentConfig> compact;
  if (parsed) {
    compact.emplace(*parsed);
  }
  parsed.reset();
  ::malloc_trim(0);
  return compact;
}

Result<std::unique_ptr<AgentApp>> AgentApp::create(AgentConfig cfg, std::string config_path,
                                                   std::string hostname,
                                                   std::shared_ptr<spdlog::logger> logger) {
  auto nopts = nats::toConnectOptions(cfg.nats, "vitals-agent " + cfg.agent_id, cfg.agent_id,
                                      config::readSecretFile);
  if (!nopts.ok()) {
    return nopts.error();
  }
  // The connection's callbacks run on NATS.c's thread and may come before the app exists: they
  // reach it through this holder, filled in once it does. They use only members declared before
  // the connection, so they are safe until the connection is gone.
  auto target = std::make_shared<std::atomic<AgentApp*>>(nullptr);
  nopts->on_async_error = [target, logger](const std::string& message) {
    // E.g. a permission violation: the server's identity setup does not match this agent.
    if (auto* app = target->load()) {
      app->nats_errors_.inc();  // atomic
    }
    logger->warn("NATS server reported: {}", message);
  };
  nopts->on_connection_change = [target](bool up) {
    if (auto* app = target->load()) {
      app->onConnectionChange(up);
    }
  };
  auto bus = nats::Connection::connect(nopts.value());
  if (!bus.ok()) {
    return Error{"nats", "cannot set up the NATS connection: " + bus.error().describe(), {}};
  }
  if (!bus.value()->connected()) {
    logger->warn("NATS at {} is not reachable yet; retrying in the background", cfg.nats.url);
  }
  auto spool = openSpool(cfg.spool, *logger);
  if (!spool.ok()) {
    return spool.error();
  }
  std::unique_ptr<AgentApp> app(new AgentApp(std::move(cfg), std::move(config_path),
                                             std::move(hostname), std::move(logger),
                                             std::move(bus.value()), std::move(spool.value())));
  target->store(app.get());
  if (auto st = app->init(); !st.ok()) {
    return st.error();
  }
  return app;
}

AgentApp::AgentApp(AgentConfig cfg, std::string config_path, std::string hostname,
                   std::shared_ptr<spdlog::logger> logger, std::unique_ptr<nats::Connection> bus,
                   std::unique_ptr<Spool> spool)
    : cfg_(std::move(cfg)),
      config_path_(std::move(config_path)),
      hostname_(std::move(hostname)),
      logger_(std::move(logger)),
      nats_errors_(metrics_.counter("vitals_agent_nats_server_errors_total",
                                    "Errors nats-server reported on the live connection")),
      boot_id_(random_.hexId()),
      bus_(std::move(bus)),
      publisher_(*bus_, cfg_.nats.publish_timeout),
      probe_queue_(io_, std::clamp<std::size_t>(blockingChecks(cfg_), 1, 8), "probe-pool", logger_),
      publish_queue_(io_, 1, "publisher", logger_),
      heartbeat_listener_(heartbeats_, clock_, &metrics_),
      metrics_listener_(no_heartbeats_, clock_, &metrics_),
      spool_(std::move(spool)),
      pipeline_(pipelineSettings(cfg_, boot_id_), clock_, timers_, random_, publisher_,
                publish_queue_, *spool_, metrics_, logger_),
      scheduler_(
          clock_, timers_, random_, [this](CheckResult r) { pipeline_.add(std::move(r)); },
          metrics_, logger_),
      presence_(
          [this] {
            PresenceSettings pres;
            pres.agent_id = cfg_.agent_id;
            pres.boot_id = boot_id_;
            pres.hostname = hostname_;
            pres.version = VITALS_VERSION;
            pres.heartbeat_interval = cfg_.heartbeat_interval;
            pres.checks = [this] { return scheduler_.checkSpecs(); };
            pres.check_count = cfg_.checks.size();
            pres.labels = cfg_.labels;
            pres.config_hash = cfg_.config_hash;
            for (const auto& action : cfg_.actions) {
              pres.actions.push_back(action.name);
              ActionSpec spec{
                  action.name, {}, action.timeout, action.cooldown, action.max_concurrent};
              for (const auto& p : action.params) {
                spec.params.push_back({p.name, p.pattern});
              }
              pres.action_specs.push_back(std::move(spec));
            }
            return pres;
          }(),
          clock_, timers_, random_, publisher_, publish_queue_,
          [this] {
            return PresenceCounters{pipeline_.lastSeq(), pipeline_.buffered()};
          },
          metrics_, logger_),
      action_queue_(io_, actionSlots(cfg_), "actions", logger_),
      action_executor_(clock_),
      check_runner_(scheduler_),
      commands_(commandSettings(cfg_), clock_, action_queue_, action_executor_, check_runner_,
                metrics_, logger_),
      api_checks_(
          scheduler_, registry_, cfg_.target_allowlist,
          [this] {
            LoadOptions options;
            options.hostname = hostname_;
            return options;
          }(),
          [this](std::size_t checks) {
            presence_.checksChanged(checks, cfg_.config_hash);  // the hub sees the new set
          },
          logger_),
      reloader_(
          config_path_, cfg_, scheduler_, registry_,
          [this](config::Problems& problems) {
            LoadOptions options;
            options.hostname = hostname_;
            return loadConfigCompact(config_path_, options, problems);
          },
          [this](std::size_t checks, const std::string& config_hash) {
            presence_.checksChanged(checks, config_hash);
            ::malloc_trim(0);  // as after the start
          },
          metrics_, logger_),
      signals_(io_, SIGINT, SIGTERM, SIGHUP),
      command_listener_(
          cfg_.agent_id, commands_,
          [this](std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); },
          [this](const std::string& subject, std::string_view data) {
            return bus_->publish(subject, data);
          },
          logger_) {
  commands_.setCheckSetApplier(&api_checks_);
  reloader_.setApiChecks(&api_checks_);
  // A finished spool segment's fdatasync runs on the publish thread: on the loop it held every
  // probe in flight past its timeout (20,000 probes a second roll an 8 MiB segment every few
  // seconds; docs/benchmarks.md).
  spool_->setBackground(
      [this](std::function<void()> job) { publish_queue_.run(std::move(job), [] {}); });
}

AgentApp::~AgentApp() = default;

Status AgentApp::init() {
  if (!cfg_.heartbeat_listen.empty()) {
    const auto colon = cfg_.heartbeat_listen.rfind(':');
    auto started = heartbeat_listener_.start(
        cfg_.heartbeat_listen.substr(0, colon),
        static_cast<std::uint16_t>(std::stoi(cfg_.heartbeat_listen.substr(colon + 1))));
    if (!started.ok()) {
      return Error{"heartbeat_listen", "heartbeat_listen: " + started.error().describe(), {}};
    }
    logger_->info("heartbeat endpoint on http://{}/heartbeat/<check>", cfg_.heartbeat_listen);
  }
  if (!cfg_.metrics_listen.empty()) {
    const auto colon = cfg_.metrics_listen.rfind(':');
    auto started = metrics_listener_.start(
        cfg_.metrics_listen.substr(0, colon),
        static_cast<std::uint16_t>(std::stoi(cfg_.metrics_listen.substr(colon + 1))));
    if (!started.ok()) {
      return Error{"metrics_listen", "metrics_listen: " + started.error().describe(), {}};
    }
    logger_->info("metrics on http://{}/metrics", cfg_.metrics_listen);
  }
  registerBuiltinProbes(registry_, ProbeDeps{io_, clock_, probe_queue_, heartbeats_});
  for (const auto& check : cfg_.checks) {
    auto probe = registry_.create(check);
    if (!probe.ok()) {
      return Error{"probe", probe.error().describe(), {}};
    }
    scheduler_.add(scheduledCheck(check), std::move(probe.value()));
  }
  // The probes hold what they need, and the scheduler what reload compares (name and
  // definition digest): the parsed CheckConfigs can go.
  std::vector<CheckConfig>().swap(cfg_.checks);  // (= {} would keep the capacity)
  // Start-up garbage (spool recovery, probe construction) goes back to the OS.
  ::malloc_trim(0);
  // Commands from the hub (vitals.cmd.<agent>.<verb>), answered on the loop thread.
  (void)command_listener_.start(
      [this](const std::string& subject, nats::Subscription::Handler handler) {
        return bus_->subscribe(subject, std::move(handler));
      });
  return okStatus();
}

void AgentApp::onConnectionChange(bool up) {
  if (!up) {
    if (!stopping_.load()) {
      logger_->warn("NATS connection lost; results are spooled until it is back");
    }
    return;
  }
  // NATS.c's thread: hand the event to the loop at once.
  boost::asio::post(io_, [this] {
    if (stopping_.load()) {
      return;
    }
    logger_->info("NATS connection up: registering again and retrying held results");
    presence_.reregister();
    pipeline_.retryNow();
  });
}

void AgentApp::scheduleTrim() {
  timers_.scheduleAfter(clock_.steadyNow(), kTrimEvery, [this] {
    ::malloc_trim(0);
    scheduleTrim();
  });
}

void AgentApp::waitForSignal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) {
      return;
    }
    waitForSignal();
    onSignal(sig);
  });
}

void AgentApp::onSignal(int sig) {
  if (sig == SIGHUP) {
    if (!stopping_.load()) {
      logger_->info("SIGHUP: reloading {}", config_path_);
      reloader_.reload();
    }
    return;
  }
  if (stopping_.exchange(true)) {
    logger_->warn("second stop signal: exiting without waiting");
    io_.stop();
    return;
  }
  logger_->info("stopping (signal {}): flushing results for up to {} ms", sig, kDrainTime.count());
  scheduler_.stop();
  command_listener_.stop();  // no new commands; running actions finish or time out
  const SteadyTime now = clock_.steadyNow();
  // Whatever happens on the bus, we are gone after drain + deregistration + a margin.
  timers_.scheduleAfter(now, kDrainTime + 2 * cfg_.nats.publish_timeout + 1s, [this] {
    logger_->warn("clean stop took too long; exiting");
    io_.stop();
  });
  pipeline_.drain(now + kDrainTime, [this](std::size_t unsent) {
    if (unsent > 0) {
      logger_->warn("{} results were not published before stopping{}", unsent,
                    cfg_.spool.dir.empty() ? " (lost: no spool.dir)"
                                           : "; they stay in the spool for the next start");
    }
    presence_.stop([this](bool) { io_.stop(); });
  });
}

void AgentApp::run() {
  logger_->info("vitals-agent {} starting: agent {} boot {}, {} checks, NATS {}", VITALS_VERSION,
                cfg_.agent_id, boot_id_, scheduler_.size(), cfg_.nats.url);
  presence_.start();
  pipeline_.start();
  scheduleTrim();
  waitForSignal();
  io_.run();
}

}  // namespace vitals::agent::app
