// bench_agent: vitals-agent's footprint and speed next to prometheus-blackbox-exporter (issue 3).
//
// One run:
//  1. local targets on loopback, served by one epoll thread of this process: HTTP ports answer
//     "200 ok" and close, TCP ports accept and close;
//  2. a private nats-server with JetStream and the VITALS stream (the agent publishes for real);
//  3. vitals-agent with --http http checks and --tcp tcp checks, once per --intervals value,
//     measured over --seconds from /proc/<pid> (CPU, VmRSS, VmHWM) and the agent's GET /metrics
//     (results, lateness quantiles);
//  4. blackbox_exporter on the same targets, driven at saturation by --load threads of
//     keep-alive /probe requests (same http/tcp mix), measured the same way.
// Prints one line per run and the ratio of probes per CPU-second.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"

namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

struct Options {
  std::string agent = "vitals-agent";
  std::string exporter = "/usr/bin/prometheus-blackbox-exporter";
  std::string nats_server = "nats-server";
  std::string workdir = "/tmp/vitals-bench-agent";
  int http = 1000;
  int tcp = 1000;
  std::vector<std::string> intervals{"1s", "10s", "100ms"};  // 100ms: 20,000 probes/s asked
  int seconds = 20;
  int load = 32;
  int port_base = 37000;
  bool skip_exporter = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "bench_agent: " << why << "\n"
            << "usage: bench_agent [--agent PATH] [--exporter PATH] [--nats-server PATH]\n"
               "  [--workdir DIR] [--http N] [--tcp N] [--intervals 1s,10s] [--seconds S]\n"
               "  [--load THREADS] [--port-base P] [--no-exporter]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage(a + " needs a value");
      }
      return argv[++i];
    };
    if (a == "--agent") {
      o.agent = next();
    } else if (a == "--exporter") {
      o.exporter = next();
    } else if (a == "--nats-server") {
      o.nats_server = next();
    } else if (a == "--workdir") {
      o.workdir = next();
    } else if (a == "--http") {
      o.http = std::stoi(next());
    } else if (a == "--tcp") {
      o.tcp = std::stoi(next());
    } else if (a == "--intervals") {
      o.intervals.clear();
      std::stringstream ss(next());
      for (std::string item; std::getline(ss, item, ',');) {
        o.intervals.push_back(item);
      }
    } else if (a == "--seconds") {
      o.seconds = std::stoi(next());
    } else if (a == "--load") {
      o.load = std::stoi(next());
    } else if (a == "--port-base") {
      o.port_base = std::stoi(next());
    } else if (a == "--no-exporter") {
      o.skip_exporter = true;
    } else {
      usage("unknown argument " + a);
    }
  }
  return o;
}

// ---- targets ------------------------------------------------------------------------------

constexpr std::size_t kTargetPorts = 16;  // per kind: spreads TIME_WAIT tuples over more ports
// All ports lie in [port_base, port_base + 100): targets scan kScanPorts each (http from the base,
// tcp after them), then nats-server, the agent's listener and the exporter 10 each.
constexpr int kScanPorts = 35;

// One epoll thread. HTTP: read the request head, answer 200 with Connection: close, close.
// TCP: accept and close. Cheap enough that the probers, not the targets, are measured.
class Targets {
 public:
  // Our ports lie in the ephemeral range, so another process's client socket may hold one: a
  // port that cannot be bound is skipped.
  Targets(int http_base, int tcp_base) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    add(stop_fd_);
    for (int port = http_base; http_ports_.size() < kTargetPorts && port < http_base + kScanPorts;
         ++port) {
      if (listen(port, true)) {
        http_ports_.push_back(port);
      }
    }
    for (int port = tcp_base; tcp_ports_.size() < kTargetPorts && port < tcp_base + kScanPorts;
         ++port) {
      if (listen(port, false)) {
        tcp_ports_.push_back(port);
      }
    }
    if (http_ports_.size() < kTargetPorts || tcp_ports_.size() < kTargetPorts) {
      std::cerr << "bench_agent: cannot find free target ports\n";
      std::exit(1);
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~Targets() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  std::uint64_t served() const { return served_.load(); }
  int httpPort(int i) const { return http_ports_[static_cast<std::size_t>(i) % kTargetPorts]; }
  int tcpPort(int i) const { return tcp_ports_[static_cast<std::size_t>(i) % kTargetPorts]; }

 private:
  void add(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }
  bool listen(int port, bool http) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 4096) != 0) {
      ::close(fd);
      return false;
    }
    listeners_[fd] = http;
    add(fd);
    return true;
  }
  void loop() {
    const char kResponse[] =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
        "Connection: close\r\n\r\nok";
    std::vector<epoll_event> events(256);
    char buf[4096];
    for (;;) {
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == stop_fd_) {
          return;
        }
        if (auto l = listeners_.find(fd); l != listeners_.end()) {
          for (;;) {
            const int c = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (c < 0) {
              break;
            }
            if (l->second) {
              conns_[c].clear();
              add(c);
            } else {
              ::close(c);
              served_.fetch_add(1, std::memory_order_relaxed);
            }
          }
          continue;
        }
        auto& head = conns_[fd];
        bool done = false;
        for (;;) {
          const ssize_t r = ::read(fd, buf, sizeof buf);
          if (r > 0) {
            head.append(buf, static_cast<std::size_t>(r));
            continue;
          }
          done = r == 0 || errno != EAGAIN;
          break;
        }
        if (head.find("\r\n\r\n") != std::string::npos) {
          [[maybe_unused]] auto w = ::write(fd, kResponse, sizeof kResponse - 1);
          served_.fetch_add(1, std::memory_order_relaxed);
          done = true;
        }
        if (done) {
          ::close(fd);  // also leaves the epoll set
          conns_.erase(fd);
        }
      }
    }
  }

  int epoll_ = -1;
  int stop_fd_ = -1;
  std::vector<int> http_ports_;
  std::vector<int> tcp_ports_;
  std::map<int, bool> listeners_;  // fd -> is http
  std::unordered_map<int, std::string> conns_;
  std::atomic<std::uint64_t> served_{0};
  std::thread thread_;
};

// First port from `from` that can be bound on 127.0.0.1 now (a client socket of another process
// may hold any port of ours: they lie in the ephemeral range).
int freePort(int from, int count = 10) {
  for (int port = from; port < from + count; ++port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (ok) {
      return port;
    }
  }
  std::cerr << "bench_agent: no free port from " << from << "\n";
  std::exit(1);
}

// ---- processes ----------------------------------------------------------------------------

pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    std::vector<char*> argv;
    for (const auto& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::perror("exec");
    ::_exit(127);
  }
  return pid;
}

void terminate(pid_t pid) {
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return;
    }
    std::this_thread::sleep_for(100ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

struct ProcSample {
  double cpu_seconds = 0;
  long rss_kib = 0;
  long hwm_kib = 0;
  long threads = 0;
};

ProcSample sample(pid_t pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    // Fields after the name start at 3 (state); utime is 14, stime 15.
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) {
        utime = std::stoull(field);
      } else if (i == 15) {
        stime = std::stoull(field);
      }
    }
    s.cpu_seconds =
        static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    auto value = [&](const char* key, long& out) {
      if (line.rfind(key, 0) == 0) {
        out = std::atol(line.c_str() + std::strlen(key));
      }
    };
    value("VmRSS:", s.rss_kib);
    value("VmHWM:", s.hwm_kib);
    value("Threads:", s.threads);
  }
  return s;
}

// The kernel's TCP counters (system-wide: other processes' sockets count too) that tell why a
// loopback connect can fail or take a retransmission: a full accept queue (ListenOverflows),
// SYN retransmissions, TIME_WAIT table overflow, resets.
using NetCounters = std::map<std::string, long long>;

NetCounters readNetCounters() {
  NetCounters out;
  for (const char* file : {"/proc/net/snmp", "/proc/net/netstat"}) {
    std::ifstream f(file);
    std::string names;
    std::string values;
    while (std::getline(f, names) && std::getline(f, values)) {
      std::istringstream n(names);
      std::istringstream v(values);
      std::string prefix;
      std::string value;
      n >> prefix;
      v >> value;
      prefix.pop_back();  // "TcpExt:" -> "TcpExt"
      for (std::string name; n >> name && v >> value;) {
        try {
          out[prefix + "." + name] = std::stoll(value);
        } catch (...) {
        }
      }
    }
  }
  std::ifstream sockstat("/proc/net/sockstat");
  for (std::string line; std::getline(sockstat, line);) {
    if (line.rfind("TCP:", 0) == 0) {
      const auto tw = line.find(" tw ");
      if (tw != std::string::npos) {
        out["sockstat.tw"] = std::atoll(line.c_str() + tw + 4);
      }
    }
  }
  return out;
}

std::string netDelta(const NetCounters& a, const NetCounters& b) {
  static const char* const kShown[] = {"Tcp.ActiveOpens",       "Tcp.AttemptFails",
                                       "Tcp.EstabResets",       "TcpExt.ListenOverflows",
                                       "TcpExt.ListenDrops",    "TcpExt.TCPSynRetrans",
                                       "TcpExt.SyncookiesSent", "TcpExt.TCPTimeWaitOverflow",
                                       "TcpExt.TCPAbortOnData", "TcpExt.TCPChallengeACK"};
  std::string out;
  for (const char* name : kShown) {
    const auto x = a.find(name);
    const auto y = b.find(name);
    if (x == a.end() || y == b.end()) {
      continue;
    }
    out += std::string(out.empty() ? "" : ", ") + (std::strchr(name, '.') + 1) + " " +
           std::to_string(y->second - x->second);
  }
  if (auto tw = b.find("sockstat.tw"); tw != b.end()) {
    out += ", TIME_WAIT now " + std::to_string(tw->second);
  }
  return out;
}

// "check http-12: healthy -> down (connect to 127.0.0.1:37003 timed out after 50ms)" ->
// "connect to ADDR timed out after N": the agent's reasons for checks turning down, counted.
std::string downReasons(const std::string& log) {
  std::map<std::string, int> counts;
  std::ifstream f(log);
  for (std::string line; std::getline(f, line);) {
    const auto arrow = line.find("-> down (");
    if (arrow == std::string::npos) {
      continue;
    }
    std::string reason = line.substr(arrow + 9);
    reason = reason.substr(0, reason.find("\""));
    std::string norm;
    for (std::size_t i = 0; i < reason.size(); ++i) {
      const char c = reason[i];
      if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
        while (i + 1 < reason.size() &&
               (std::isdigit(static_cast<unsigned char>(reason[i + 1])) != 0 ||
                reason[i + 1] == '.' || reason[i + 1] == ':')) {
          ++i;
        }
        norm += 'N';
      } else {
        norm += c;
      }
    }
    ++counts[norm];
  }
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [reason, n] : counts) {
    sorted.emplace_back(n, reason);
  }
  std::sort(sorted.rbegin(), sorted.rend());
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < 4; ++i) {
    out += std::string(out.empty() ? "" : "; ") + std::to_string(sorted[i].first) + "x " +
           sorted[i].second;
  }
  return out.empty() ? "none" : out;
}

// ---- agent --------------------------------------------------------------------------------

struct AgentMetrics {
  double results = 0;
  double published = 0;
  double timeouts = 0;
  double p50 = 0;
  double p99 = 0;
  bool ok = false;
};

AgentMetrics scrapeAgent(int port) {
  AgentMetrics m;
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(2s);
  cli.set_read_timeout(5s);
  auto res = cli.Get("/metrics");
  if (!res || res->status != 200) {
    return m;
  }
  m.ok = true;
  std::istringstream in(res->body);
  for (std::string line; std::getline(in, line);) {
    const auto space = line.rfind(' ');
    if (line.empty() || line[0] == '#' || space == std::string::npos) {
      continue;
    }
    const std::string series = line.substr(0, space);
    const double v = std::strtod(line.c_str() + space + 1, nullptr);
    if (series == "vitals_agent_results_total") {
      m.results = v;
    } else if (series == "vitals_agent_results_published_total") {
      m.published = v;
    } else if (series.rfind("vitals_agent_check_timeouts_total{", 0) == 0) {
      m.timeouts += v;
    } else if (series == "vitals_agent_schedule_lateness_seconds{quantile=\"0.5\"}") {
      m.p50 = v;
    } else if (series == "vitals_agent_schedule_lateness_seconds{quantile=\"0.99\"}") {
      m.p99 = v;
    }
  }
  return m;
}

double median(std::vector<double> v) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Run {
  std::string who;
  std::string interval;
  double seconds = 0;
  double probes = 0;
  double cpu = 0;
  double p50 = -1;
  double p99 = -1;
  ProcSample end;
  double failed = 0;
  long rss_max_kib = 0;  // highest VmRSS of the samples taken every second while measuring
  std::string note;
  std::string kernel;   // TCP counter deltas over the measured time
  std::string reasons;  // why checks turned down (agent log)
};

// Sleeps `seconds`, sampling the process's VmRSS every second; returns the highest.
long sleepSamplingRss(pid_t pid, int seconds) {
  long highest = 0;
  for (int i = 0; i < seconds; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    highest = std::max(highest, sample(pid).rss_kib);
  }
  return highest;
}

void writeAgentConfig(const Options& o, const std::string& path, const std::string& interval,
                      int nats_port, int metrics_port, const Targets& targets) {
  // timeout must be below the interval; half of it, at most 2s.
  const long interval_ms = interval.size() > 2 && interval.substr(interval.size() - 2) == "ms"
                               ? std::stol(interval)
                               : std::stol(interval) * 1000;
  const std::string timeout = std::to_string(std::min(interval_ms / 2, 2000L)) + "ms";
  std::ofstream f(path);
  f << "agent_id: bench\n"
    << "nats: {url: \"nats://127.0.0.1:" << nats_port << "\"}\n"
    << "heartbeat_listen: 127.0.0.1:" << metrics_port << "\n"
    << "log: {level: info, format: json}\n"
    << "spool: {dir: " << o.workdir << "/spool}\n"
    << "defaults: {interval: " << interval << ", timeout: " << timeout << "}\n"
    << "checks:\n";
  for (int i = 0; i < o.http; ++i) {
    f << "  - {name: http-" << i << ", kind: http, url: \"http://127.0.0.1:" << targets.httpPort(i)
      << "/c/" << i << "\"}\n";
  }
  for (int i = 0; i < o.tcp; ++i) {
    f << "  - {name: tcp-" << i << ", kind: tcp, host: 127.0.0.1, port: " << targets.tcpPort(i)
      << "}\n";
  }
}

int countLines(const std::string& path, const std::string& needle) {
  std::ifstream f(path);
  int n = 0;
  for (std::string line; std::getline(f, line);) {
    n += line.find(needle) != std::string::npos ? 1 : 0;
  }
  return n;
}

Run runAgent(const Options& o, const std::string& interval, int nats_port, const Targets& targets) {
  const int metrics_port = freePort(o.port_base + 80);
  const std::string cfg = o.workdir + "/agent-" + interval + ".yaml";
  const std::string log = o.workdir + "/agent-" + interval + ".log";
  std::filesystem::remove_all(o.workdir + "/spool");
  writeAgentConfig(o, cfg, interval, nats_port, metrics_port, targets);
  const pid_t pid = spawn({o.agent, "--config", cfg}, log);
  Run run;
  run.who = "vitals-agent";
  run.interval = interval;
  for (int i = 0; i < 100 && !scrapeAgent(metrics_port).ok; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  // First runs are spread over one interval: let every check run at least once.
  const auto warmup = interval == "10s" ? 12s : 5s;
  std::this_thread::sleep_for(warmup);
  const ProcSample s0 = sample(pid);
  const AgentMetrics m0 = scrapeAgent(metrics_port);
  const NetCounters k0 = readNetCounters();
  const auto t0 = Steady::now();
  std::vector<double> p50s;
  std::vector<double> p99s;
  // Scraped every 5 s: rendering every check's counters costs the agent CPU too.
  AgentMetrics m1;
  for (int left = o.seconds; left > 0; left -= 5) {
    run.rss_max_kib = std::max(run.rss_max_kib, sleepSamplingRss(pid, std::min(left, 5)));
    if (left <= 5) {
      break;
    }
    const AgentMetrics m = scrapeAgent(metrics_port);
    p50s.push_back(m.p50);
    p99s.push_back(m.p99);
  }
  const ProcSample s1 = sample(pid);
  const NetCounters k1 = readNetCounters();
  m1 = scrapeAgent(metrics_port);
  p50s.push_back(m1.p50);
  p99s.push_back(m1.p99);
  run.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  terminate(pid);
  run.probes = m1.results - m0.results;
  run.cpu = s1.cpu_seconds - s0.cpu_seconds;
  run.p50 = median(p50s);
  run.p99 = median(p99s);
  run.end = s1;
  run.rss_max_kib = std::max(run.rss_max_kib, s1.rss_kib);
  run.failed = m1.timeouts - m0.timeouts;
  const int down = countLines(log, "-> down");
  const int healthy = countLines(log, "-> healthy");
  run.note = "published " + std::to_string(static_cast<long>(m1.published - m0.published)) +
             ", checks turned healthy " + std::to_string(healthy) + ", down " +
             std::to_string(down);
  if (!m1.ok) {
    run.note += " (no /metrics: see " + log + ")";
  }
  run.kernel = netDelta(k0, k1);
  run.reasons = downReasons(log);
  return run;
}

// ---- blackbox_exporter --------------------------------------------------------------------

Run runExporter(const Options& o, const Targets& targets) {
  const std::string cfg = o.workdir + "/blackbox.yml";
  {
    std::ofstream f(cfg);
    f << "modules:\n"
         "  http_2xx:\n    prober: http\n    timeout: 2s\n"
         "    http: {preferred_ip_protocol: ip4}\n"
         "  tcp_connect:\n    prober: tcp\n    timeout: 2s\n"
         "    tcp: {preferred_ip_protocol: ip4}\n";
  }
  // Our ports lie in the ephemeral range: a probe's client socket may hold one; try the next.
  pid_t pid = -1;
  int port = 0;
  for (int attempt = 0; attempt < 10 && pid < 0; ++attempt) {
    port = freePort(o.port_base + 90 + attempt, 10 - attempt);
    pid = spawn({o.exporter, "--config.file=" + cfg,
                 "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                o.workdir + "/blackbox.log");
    for (int i = 0; i < 50; ++i) {
      httplib::Client cli("127.0.0.1", port);
      if (auto res = cli.Get("/metrics"); res && res->status == 200) {
        break;
      }
      if (::waitpid(pid, nullptr, WNOHANG) == pid) {
        pid = -1;
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
  if (pid < 0) {
    std::cerr << "bench_agent: blackbox_exporter did not start (see " << o.workdir
              << "/blackbox.log)\n";
    std::exit(1);
  }
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> ok{0};
  std::atomic<std::uint64_t> failed{0};
  std::vector<std::thread> load;
  const int checks = o.http + o.tcp;
  for (int t = 0; t < o.load; ++t) {
    load.emplace_back([&, t] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_read_timeout(5s);
      // Same mix as the agent's checks: o.http http probes per o.tcp tcp probes.
      for (int i = t; !stop.load(); i += o.load) {
        const int k = i % checks;
        const std::string path = k < o.http ? "/probe?module=http_2xx&target=http://127.0.0.1:" +
                                                  std::to_string(targets.httpPort(k)) + "/c/" +
                                                  std::to_string(k)
                                            : "/probe?module=tcp_connect&target=127.0.0.1:" +
                                                  std::to_string(targets.tcpPort(k));
        auto res = cli.Get(path);
        if (res && res->status == 200 && res->body.find("\nprobe_success 1") != std::string::npos) {
          ok.fetch_add(1);
        } else {
          failed.fetch_add(1);
        }
      }
    });
  }
  std::this_thread::sleep_for(3s);
  const ProcSample s0 = sample(pid);
  const std::uint64_t ok0 = ok.load();
  const std::uint64_t failed0 = failed.load();
  const auto t0 = Steady::now();
  const long rss_max = sleepSamplingRss(pid, o.seconds);
  const ProcSample s1 = sample(pid);
  const std::uint64_t ok1 = ok.load();
  const std::uint64_t failed1 = failed.load();
  Run run;
  run.who = "blackbox_exporter";
  run.interval = "saturated";
  run.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  stop = true;
  for (auto& th : load) {
    th.join();
  }
  terminate(pid);
  run.probes = static_cast<double>(ok1 - ok0 + failed1 - failed0);
  run.failed = static_cast<double>(failed1 - failed0);
  run.cpu = s1.cpu_seconds - s0.cpu_seconds;
  run.end = s1;
  run.rss_max_kib = std::max(rss_max, s1.rss_kib);
  run.note = std::to_string(o.load) + " concurrent /probe clients";
  return run;
}

// ---- nats ---------------------------------------------------------------------------------

pid_t startNats(const Options& o, int port) {
  const pid_t pid = spawn({o.nats_server, "-a", "127.0.0.1", "-p", std::to_string(port), "-js",
                           "-sd", o.workdir + "/js"},
                          o.workdir + "/nats.log");
  vitals::nats::ConnectOptions co;
  co.url = "nats://127.0.0.1:" + std::to_string(port);
  co.name = "bench_agent";
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(100ms);
    auto conn = vitals::nats::Connection::connect(co);
    if (!conn || !(*conn)->connected()) {
      continue;
    }
    vitals::nats::StreamConfig sc;
    sc.name = vitals::subjects::kStreamName;
    sc.subjects = {std::string(vitals::subjects::kAgentWildcard)};
    if ((*conn)->ensureStream(sc)) {
      return pid;
    }
  }
  std::cerr << "bench_agent: nats-server did not come up (see " << o.workdir << "/nats.log)\n";
  terminate(pid);
  std::exit(1);
}

void print(const Run& r) {
  const double rate = r.probes / r.seconds;
  std::printf("%-18s %-10s %9.0f %8.2f %9.0f %8s %8s %8.1f %8.1f %8.1f %7ld %7.0f  %s\n",
              r.who.c_str(), r.interval.c_str(), rate, r.cpu, r.cpu > 0 ? r.probes / r.cpu : 0.0,
              r.p50 < 0 ? "-" : std::to_string(static_cast<int>(r.p50 * 1e6)).c_str(),
              r.p99 < 0 ? "-" : std::to_string(static_cast<int>(r.p99 * 1e6)).c_str(),
              static_cast<double>(r.end.rss_kib) / 1024.0,
              static_cast<double>(r.rss_max_kib) / 1024.0,
              static_cast<double>(r.end.hwm_kib) / 1024.0, r.end.threads, r.failed, r.note.c_str());
  if (!r.kernel.empty()) {
    std::printf("  kernel TCP counters while measured (system-wide): %s\n", r.kernel.c_str());
  }
  if (!r.reasons.empty()) {
    std::printf("  checks turned down because: %s\n", r.reasons.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  std::filesystem::create_directories(o.workdir);
  const int http_base = o.port_base;
  const int tcp_base = o.port_base + kScanPorts;
  const int nats_port = freePort(o.port_base + 2 * kScanPorts);
  Targets targets(http_base, tcp_base);
  const pid_t nats = startNats(o, nats_port);

  std::printf("checks: %d http + %d tcp; %d s measured per run (after warm-up)\n", o.http, o.tcp,
              o.seconds);
  std::printf("%-18s %-10s %9s %8s %9s %8s %8s %8s %8s %8s %7s %7s  %s\n", "prober", "interval",
              "probes/s", "CPU-s", "probes/", "late", "late", "VmRSS", "RSS max", "VmHWM",
              "threads", "failed", "notes");
  std::printf("%-18s %-10s %9s %8s %9s %8s %8s %8s %8s %8s %7s %7s\n", "", "", "", "", "CPU-s",
              "p50 us", "p99 us", "end MiB", "MiB", "MiB", "", "");
  std::vector<Run> agent_runs;
  for (const auto& interval : o.intervals) {
    agent_runs.push_back(runAgent(o, interval, nats_port, targets));
    print(agent_runs.back());
  }
  terminate(nats);
  if (o.skip_exporter) {
    return 0;
  }
  const Run bb = runExporter(o, targets);
  print(bb);
  const double bb_eff = bb.cpu > 0 ? bb.probes / bb.cpu : 0;
  for (const auto& r : agent_runs) {
    const double eff = r.cpu > 0 ? r.probes / r.cpu : 0;
    std::printf("ratio (agent %s / blackbox_exporter), probes per CPU-second: %.1fx\n",
                r.interval.c_str(), bb_eff > 0 ? eff / bb_eff : 0.0);
  }
  std::printf("targets served %llu connections\n",
              static_cast<unsigned long long>(targets.served()));
  return 0;
}
