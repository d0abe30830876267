// vitals-agent: the composition root. Builds the concrete objects (clock, timers, randomness,
// NATS connection, work queues, probes, scheduler, publishing) and runs one io_context.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/actions/command_codec.hpp"
#include "agent/actions/command_handler.hpp"
#include "agent/actions/scheduler_check_runner.hpp"
#include "agent/config/config_loader.hpp"
#include "agent/config/reload_plan.hpp"
#include "agent/probe/builtin_probes.hpp"
#include "agent/probe/heartbeat_listener.hpp"
#include "agent/probe/probe_registry.hpp"
#include "agent/publish/agent_presence.hpp"
#include "agent/publish/nats_bus_publisher.hpp"
#include "agent/publish/result_pipeline.hpp"
#include "agent/runtime/asio_work_queue.hpp"
#include "agent/scheduler/probe_scheduler.hpp"
#include "agent/spool/file_spool.hpp"
#include "agent/spool/memory_spool.hpp"
#include "common/asio/asio.hpp"
#include "common/asio/asio_timers.hpp"
#include "common/config/secret_file.hpp"
#include "common/log/log.hpp"
#include "common/metrics/metrics.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "common/random/random.hpp"
#include "common/time/clock.hpp"

namespace {

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kDrainTime = 2s;  // flushing results at a clean stop
// Freed pages go back to the OS this often: result batches and publishes churn through the heap
// and leave 0.3-0.5 MiB of free pages resident between trims. malloc_trim takes well under a
// millisecond on the agent's 3 MiB heap.
constexpr std::chrono::seconds kTrimEvery = 5s;

const char* const kUsage =
    "usage: vitals-agent --config FILE [--check-config] [--log-level LEVEL]\n"
    "       vitals-agent --help | --version\n"
    "\n"
    "  --config FILE      agent configuration (YAML; see docs/configuration-agent.md)\n"
    "  --check-config     validate the configuration, list every problem, and exit\n"
    "                     (0 when valid, 1 when not)\n"
    "  --log-level LEVEL  trace|debug|info|warn|error|critical|off (overrides log.level)\n"
    "  --help             show this help\n"
    "  --version          print the version\n"
    "\n"
    "Signals: SIGINT/SIGTERM stop cleanly (results are flushed for up to 2 s, then the agent\n"
    "deregisters); SIGHUP reloads the configuration (validated first; a bad file keeps the\n"
    "running configuration and every problem is logged).\n";

struct Args {
  std::string config;
  bool check_config = false;
  std::string log_level;
};

// Returns -1 to continue, or an exit code.
int parseArgs(int argc, char** argv, Args& args) {
  std::vector<std::string> a(argv + 1, argv + argc);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string& arg = a[i];
    auto value = [&](const std::string& flag, std::string& out) {
      if (arg.rfind(flag + "=", 0) == 0) {
        out = arg.substr(flag.size() + 1);
        return true;
      }
      if (arg == flag && i + 1 < a.size()) {
        out = a[++i];
        return true;
      }
      return false;
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "vitals-agent " << VITALS_VERSION << "\n";
      return 0;
    }
    if (arg == "--check-config") {
      args.check_config = true;
      continue;
    }
    if (value("--config", args.config) || value("--log-level", args.log_level)) {
      continue;
    }
    std::cerr << "vitals-agent: unknown or incomplete argument '" << arg << "'\n\n" << kUsage;
    return 2;
  }
  if (args.config.empty()) {
    std::cerr << "vitals-agent: --config FILE is required\n\n" << kUsage;
    return 2;
  }
  if (!args.log_level.empty()) {
    spdlog::level::level_enum level;
    if (!log::parseLevel(args.log_level, level)) {
      std::cerr << "vitals-agent: invalid --log-level '" << args.log_level << "'\n\n" << kUsage;
      return 2;
    }
  }
  return -1;
}

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
    return "localhost";
  }
  return buf;
}

// Loads the configuration and returns a copy of it. Why: parsing interleaves the long-lived
// config with the YAML trees (about 35 MiB at peak with 2,000 checks). The copy is made once the
// trees are freed, so it fills the low part of the heap, and freeing the original leaves the rest
// free for malloc_trim to return (bench/agent: 7.2 MiB of resident heap without the copy, 3.2
// MiB with it).
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

int run(AgentConfig cfg, const std::string& config_path, const std::string& hostname,
        std::shared_ptr<spdlog::logger> logger) {
  // One thread runs the loop (others only post to it): lets Asio skip some locking.
  boost::asio::io_context io(1);
  SystemClock clock;
  StdRandom random;
  metrics::Registry metrics;
  AsioTimers timers(io);
  const std::string boot_id = random.hexId();

  nats::ConnectOptions nopts;
  nopts.url = cfg.nats.url;
  nopts.name = "vitals-agent " + cfg.agent_id;
  nopts.credentials_file = cfg.nats.credentials_file;
  nopts.user = cfg.nats.user;
  if (!cfg.nats.password_file.empty()) {
    auto password = config::readSecretFile(cfg.nats.password_file);
    if (!password) {
      logger->critical("nats.password_file: {}", password.error().describe());
      return 1;
    }
    nopts.password = *password;
  }
  nopts.nkey = cfg.nats.nkey;
  nopts.nkey_seed_file = cfg.nats.nkey_seed_file;
  nopts.tls = {false, cfg.nats.tls_ca_file, cfg.nats.tls_cert_file, cfg.nats.tls_key_file,
               cfg.nats.tls_server_name};
  // A per-agent reply inbox lets nats-server keep agents from reading each other's replies.
  nopts.inbox_prefix =
      cfg.nats.inbox_prefix.empty() ? "_INBOX_" + cfg.agent_id : cfg.nats.inbox_prefix;
  // E.g. a permission violation: the server's identity setup does not match this agent.
  auto& nats_errors = metrics.counter("vitals_agent_nats_server_errors_total",
                                      "Errors nats-server reported on the live connection");
  nopts.on_async_error = [logger, &nats_errors](const std::string& message) {
    nats_errors.inc();  // atomic: NATS.c calls this on its own thread
    logger->warn("NATS server reported: {}", message);
  };
  // NATS.c calls this on its own thread: hand the event to the loop at once.
  std::atomic<bool> stopping{false};
  std::function<void(bool)> on_bus_up;  // set once the publishing objects exist
  nopts.on_connection_change = [&io, &on_bus_up, &stopping, logger](bool up) {
    if (!up) {
      if (!stopping.load()) {
        logger->warn("NATS connection lost; results are spooled until it is back");
      }
      return;
    }
    boost::asio::post(io, [&on_bus_up, &stopping, up] {
      if (on_bus_up && !stopping.load()) {
        on_bus_up(up);
      }
    });
  };
  auto connection = nats::Connection::connect(nopts);
  if (!connection) {
    logger->critical("cannot set up the NATS connection: {}", connection.error().describe());
    return 1;
  }
  if (!(*connection)->connected()) {
    logger->warn("NATS at {} is not reachable yet; retrying in the background", cfg.nats.url);
  }
  NatsBusPublisher publisher(**connection, cfg.nats.publish_timeout);

  const std::size_t blocking_checks = static_cast<std::size_t>(
      std::count_if(cfg.checks.begin(), cfg.checks.end(),
                    [](const CheckConfig& c) { return usesWorkerPool(c.kind); }));
  AsioWorkQueue probe_queue(io, std::clamp<std::size_t>(blocking_checks, 1, 8), "probe-pool",
                            logger);
  AsioWorkQueue publish_queue(io, 1, "publisher", logger);  // one thread: publishes stay in order

  ProbeRegistry registry;
  HeartbeatBoard heartbeats;
  HeartbeatListener heartbeat_listener(heartbeats, clock, &metrics);
  if (!cfg.heartbeat_listen.empty()) {
    const auto colon = cfg.heartbeat_listen.rfind(':');
    auto started =
        heartbeat_listener.start(cfg.heartbeat_listen.substr(0, colon),
                                 static_cast<std::uint16_t>(
                                     std::stoi(cfg.heartbeat_listen.substr(colon + 1))));
    if (!started) {
      logger->critical("heartbeat_listen: {}", started.error().describe());
      return 1;
    }
    logger->info("heartbeat endpoint on http://{}/heartbeat/<check>", cfg.heartbeat_listen);
  }
  registerBuiltinProbes(registry, ProbeDeps{io, clock, probe_queue, heartbeats});

  PipelineSettings ps;
  ps.agent_id = cfg.agent_id;
  ps.boot_id = boot_id;
  ps.max_batch = cfg.publish.max_batch;
  ps.max_delay = cfg.publish.max_delay;
  ps.drain_rate = cfg.spool.drain_rate;
  std::unique_ptr<Spool> spool;
  if (cfg.spool.dir.empty()) {
    logger->info("no spool.dir: results wait in memory (up to {} bytes) while the bus is away and "
                 "are lost if the agent stops meanwhile",
                 cfg.spool.max_bytes);
    spool = std::make_unique<MemorySpool>(cfg.spool.max_bytes);
  } else {
    SpoolRecovery recovery;
    auto opened = FileSpool::open(FileSpoolOptions{cfg.spool.dir, cfg.spool.max_bytes, 0}, recovery);
    if (!opened) {
      logger->critical("spool: {}", opened.error().describe());
      return 1;
    }
    for (const auto& note : recovery.notes) {
      logger->warn("spool recovery: {}", note);
    }
    logger->info("spool {}: {} batches ({} results) waiting from an earlier run", cfg.spool.dir,
                 recovery.batches, recovery.results);
    spool = std::move(*opened);
  }
  ResultPipeline pipeline(ps, clock, timers, random, publisher, publish_queue, *spool, metrics,
                          logger);

  ProbeScheduler scheduler(
      clock, timers, random, [&pipeline](CheckResult r) { pipeline.add(std::move(r)); }, metrics,
      logger);
  for (const auto& check : cfg.checks) {
    auto probe = registry.create(check);
    if (!probe) {
      logger->critical("{}", probe.error().describe());
      return 1;
    }
    scheduler.add(scheduledCheck(check), std::move(*probe));
  }

  PresenceSettings pres;
  pres.agent_id = cfg.agent_id;
  pres.boot_id = boot_id;
  pres.hostname = hostname;
  pres.version = VITALS_VERSION;
  pres.heartbeat_interval = cfg.heartbeat_interval;
  pres.checks = [&scheduler] { return scheduler.checkSpecs(); };
  pres.check_count = cfg.checks.size();
  pres.labels = cfg.labels;
  pres.config_hash = cfg.config_hash;
  for (const auto& action : cfg.actions) {
    pres.actions.push_back(action.name);
  }
  AgentPresence presence(
      std::move(pres), clock, timers, random, publisher, publish_queue,
      [&pipeline] {
        return PresenceCounters{pipeline.lastSeq(), pipeline.buffered()};
      },
      metrics, logger);

  // The probes hold what they need, and the scheduler what reload compares (name and
  // definition digest): the parsed CheckConfigs can go.
  std::vector<CheckConfig>().swap(cfg.checks);  // (= {} would keep the capacity)
  // Start-up garbage (spool recovery, probe construction) goes back to the OS.
  ::malloc_trim(0);

  // Commands from the hub (vitals.cmd.<agent>.<verb>): decoded and answered on the loop thread;
  // processes and log reads run on their own small pool.
  std::uint32_t action_slots = 1;
  for (const auto& action : cfg.actions) {
    action_slots += action.max_concurrent;
  }
  AsioWorkQueue action_queue(io, std::clamp<std::uint32_t>(action_slots, 1, 8), "actions", logger);
  ProcessActionExecutor action_executor(clock);
  SchedulerCheckRunner check_runner(scheduler);
  CommandSettings command_settings;
  command_settings.agent_id = cfg.agent_id;
  command_settings.actions = cfg.actions;
  command_settings.services = cfg.services;
  CommandHandler commands(command_settings, clock, action_queue, action_executor, check_runner,
                          metrics, logger);
  nats::Connection& bus = **connection;
  auto on_command = [&io, &commands, &bus, &stopping, logger](const nats::Subscription::Message& m) {
    // NATS.c thread: hand over at once.
    boost::asio::post(io, [&commands, &bus, &stopping, logger, m] {
      if (stopping.load()) {
        return;
      }
      auto send = [&bus, logger, reply_to = m.reply](const CommandReply& r) {
        if (reply_to.empty()) {
          return;
        }
        if (auto sent = bus.publish(reply_to, encodeCommandReply(r)); !sent) {
          logger->warn("command {}: reply not sent: {}", r.request_id, sent.error().describe());
        }
      };
      const std::string verb = m.subject.substr(m.subject.rfind('.') + 1);
      auto command = decodeCommand(m.data, verb);
      if (!command) {
        logger->warn("audit: refused undecodable command on {}: {}", m.subject,
                     command.error().message);
        CommandReply r;
        r.outcome = CommandOutcome::Rejected;
        r.error = command.error().message;
        send(r);
        return;
      }
      commands.handle(std::move(*command), send);
    });
  };
  std::unique_ptr<nats::Subscription> command_sub;
  if (auto sub = bus.subscribe(subjects::commandWildcard(cfg.agent_id), on_command)) {
    command_sub = std::move(*sub);
  } else {
    logger->error("cannot subscribe to {}: {}; commands are not answered",
                  subjects::commandWildcard(cfg.agent_id), sub.error().describe());
  }

  // Reload (SIGHUP): validate the whole file (and its includes) first; then stop removed and
  // changed checks, start new and changed ones, and keep unchanged ones (same name and
  // definition) with their state and schedule. A refused reload changes nothing.
  AgentConfig& current = cfg;  // the settings as started (the checks: see the scheduler)
  metrics::Gauge& reload_ok = metrics.gauge(
      "vitals_config_last_reload_success",
      "1 when the last configuration reload succeeded (or none was tried), 0 when it was refused");
  reload_ok.set(1);
  auto reload = [&] {
    config::Problems problems;
    LoadOptions options;
    options.hostname = hostname;
    auto next = loadConfigCompact(config_path, options, problems);
    if (!next) {
      reload_ok.set(0);
      logger->error("reload refused: {} problem(s) in {}; keeping the running configuration "
                    "(vitals_config_last_reload_success 0)",
                    problems.list().size(), config_path);
      for (const auto& p : problems.list()) {
        logger->error("reload: {}", p.format());
      }
      return;
    }
    const ReloadPlan plan = planReload(current, scheduler.runningChecks(), *next);
    // Every probe is built before anything changes: a check that cannot start refuses the reload.
    std::vector<std::unique_ptr<Probe>> probes;
    for (const CheckConfig* c : plan.start) {
      auto probe = registry.create(*c);
      if (!probe) {
        reload_ok.set(0);
        logger->error("reload refused: check {}: {}; keeping the running configuration", c->name,
                      probe.error().describe());
        return;
      }
      probes.push_back(std::move(*probe));
    }
    for (const auto& name : plan.restart_only) {
      logger->warn("reload: {} changed; it takes effect at the next start", name);
    }
    for (const auto& name : plan.stop) {
      scheduler.remove(name);
    }
    for (std::size_t i = 0; i < plan.start.size(); ++i) {
      scheduler.add(scheduledCheck(*plan.start[i]), std::move(probes[i]));
    }
    presence.checksChanged(scheduler.size(), next->config_hash);
    logger->info("config reloaded from {}: {} checks kept, {} started, {} stopped (changed checks "
                 "count as stopped and started)",
                 config_path, plan.keep.size(), plan.start.size(), plan.stop.size());
    // Only the checks and the registration change; the other settings stay as started.
    current.config_hash = next->config_hash;
    current.include_files = next->include_files;
    reload_ok.set(1);
    ::malloc_trim(0);  // as after the start
  };

  on_bus_up = [&](bool) {
    logger->info("NATS connection up: registering again and retrying held results");
    presence.reregister();
    pipeline.retryNow();
  };

  logger->info("vitals-agent {} starting: agent {} boot {}, {} checks, NATS {}", VITALS_VERSION,
               cfg.agent_id, boot_id, scheduler.size(), cfg.nats.url);
  presence.start();
  pipeline.start();
  std::function<void()> trim = [&] {
    ::malloc_trim(0);
    timers.scheduleAfter(clock.steadyNow(), kTrimEvery, trim);
  };
  timers.scheduleAfter(clock.steadyNow(), kTrimEvery, trim);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) {
          return;
        }
        signals.async_wait(on_signal);
        if (sig == SIGHUP) {
          if (!stopping.load()) {
            logger->info("SIGHUP: reloading {}", config_path);
            reload();
          }
          return;
        }
        if (stopping.exchange(true)) {
          logger->warn("second stop signal: exiting without waiting");
          io.stop();
          return;
        }
        logger->info("stopping (signal {}): flushing results for up to {} ms", sig,
                     kDrainTime.count());
        scheduler.stop();
        command_sub.reset();  // no new commands; running actions finish or time out
        const SteadyTime now = clock.steadyNow();
        // Whatever happens on the bus, we are gone after drain + deregistration + a margin.
        timers.scheduleAfter(now, kDrainTime + 2 * cfg.nats.publish_timeout + 1s, [&] {
          logger->warn("clean stop took too long; exiting");
          io.stop();
        });
        pipeline.drain(now + kDrainTime, [&](std::size_t unsent) {
          if (unsent > 0) {
            logger->warn("{} results were not published before stopping{}", unsent,
                         cfg.spool.dir.empty() ? " (lost: no spool.dir)"
                                               : "; they stay in the spool for the next start");
          }
          presence.stop([&](bool) { io.stop(); });
        });
      };
  signals.async_wait(on_signal);

  io.run();

  // Join the workers before anything they reference goes away.
  command_sub.reset();
  action_queue.join();
  publish_queue.join();
  probe_queue.join();
  logger->info("vitals-agent stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (int rc = parseArgs(argc, argv, args); rc >= 0) {
    return rc;
  }
  // One malloc arena for every thread: each arena keeps its own free pages resident, and the
  // helpers (publisher, NATS.c, the listener) allocate little. malloc_trim then reaches all free
  // memory (it does not shrink a thread arena's top; docs/benchmarks.md).
  ::mallopt(M_ARENA_MAX, 1);
  // Fixed thresholds: glibc otherwise raises them after a large block is freed (the config file
  // text, the checks vector), and an arena then keeps up to twice that resident when idle.
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 256 * 1024);
  const std::string hostname = hostName();
  config::Problems problems;
  LoadOptions options;
  options.hostname = hostname;
  auto cfg = loadConfigCompact(args.config, options, problems);
  if (!cfg) {
    std::cerr << problems.format();
    std::cerr << "config invalid: " << problems.list().size()
              << (problems.list().size() == 1 ? " problem\n" : " problems\n");
    return 1;
  }
  if (args.check_config) {
    std::cout << "config OK: " << cfg->checks.size()
              << (cfg->checks.size() == 1 ? " check" : " checks");
    if (!cfg->include_files.empty()) {
      std::cout << " (" << cfg->include_files.size() << " include file"
                << (cfg->include_files.size() == 1 ? "" : "s") << ")";
    }
    std::cout << "\n";
    return 0;
  }
  log::LogOptions lo;
  lo.level = args.log_level.empty() ? cfg->log.level : args.log_level;
  lo.format = cfg->log.format;
  auto logger = log::makeLogger("agent", lo);
  try {
    return run(std::move(*cfg), args.config, hostname, logger);
  } catch (const std::exception& e) {
    logger->critical("fatal: {}", e.what());
    return 1;
  }
}
