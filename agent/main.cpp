// vitals-agent: arguments, memory settings, the configuration; agent/app/agent_app.hpp builds
// and runs the rest (its members are the subsystems in start-up order; destruction is the
// shutdown).
#include <malloc.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "agent/app/agent_app.hpp"
#include "agent/config/config_loader.hpp"
#include "agent/enroll/enroll_command.hpp"
#include "common/log/log.hpp"

namespace {

using namespace vitals;
using namespace vitals::agent;

const char* const kUsage =
    "usage: vitals-agent --config FILE [--check-config] [--log-level LEVEL]\n"
    "       vitals-agent enroll --hub URL --token TOKEN [...]   (see enroll --help)\n"
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

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "enroll") {
    return enroll::runEnroll(std::vector<std::string>(argv + 2, argv + argc),
                             enroll::systemEnrollDeps(hostName()), std::cout, std::cerr);
  }
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
  auto cfg = app::loadConfigCompact(args.config, options, problems);
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
    auto agent = app::AgentApp::create(std::move(*cfg), args.config, hostname, logger);
    if (!agent.ok()) {
      logger->critical("{}", agent.error().message);
      return 1;
    }
    agent.value()->run();
    agent.value().reset();  // the shutdown: members in reverse order, worker pools joined first
  } catch (const std::exception& e) {
    logger->critical("fatal: {}", e.what());
    return 1;
  }
  logger->info("vitals-agent stopped");
  return 0;
}
