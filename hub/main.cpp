// vitals-hub: arguments, signals, the configuration; hub/app/hub_app.hpp builds and runs the
// rest (its members are the subsystems in start-up order; destruction is the shutdown).
#include <malloc.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "common/log/log.hpp"
#include "hub/app/hub_app.hpp"
#include "hub/auth/keys_command.hpp"
#include "hub/config/hub_config.hpp"
#include "hub/notify/curl_notifiers.hpp"

namespace {

using namespace vitals;

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
  // Response bodies of megabytes (the service list at 10,000 services) are mmapped and handed
  // back when freed. Left to glibc's sliding threshold, which rises to the largest block freed,
  // they come from the API threads' arenas and stay resident: 90 -> 240 MB after 100 lists.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  if (argc > 1 && std::string(argv[1]) == "keys") {
    return hub::auth::runKeysCommand(std::vector<std::string>(argv + 2, argv + argc), std::cout,
                                     std::cerr);
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
  auto app = hub::app::HubApp::create(*cfg, logger);
  if (!app.ok()) {
    logger->error("{}", app.error().message);
    return 1;
  }
  const auto started = app.value()->start(
      [&signals](std::chrono::milliseconds wait) { return waitForSignal(signals, wait); });
  if (started == hub::app::HubApp::Started::Running) {
    waitForSignal(signals, std::chrono::milliseconds{-1});
    logger->info("shutting down");
  }
  app.value().reset();  // the shutdown: members in reverse order
  if (started == hub::app::HubApp::Started::Running) {
    logger->info("stopped");
  }
  return started == hub::app::HubApp::Started::Failed ? 1 : 0;
}
