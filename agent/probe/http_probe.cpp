#include "agent/probe/http_probe.hpp"

#include <httplib.h>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "common/config/yaml_reader.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

std::string expectedText(const HttpCheckSpec& spec) {
  if (spec.expected_status.empty()) {
    return "2xx";
  }
  std::string out;
  for (std::size_t i = 0; i < spec.expected_status.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == spec.expected_status.size() ? " or " : ", ");
    out += std::to_string(spec.expected_status[i]);
  }
  return out;
}

std::string hostPort(const HttpCheckSpec& spec) {
  const bool v6 = spec.host.find(':') != std::string::npos;
  return (v6 ? "[" + spec.host + "]" : spec.host) + ":" + std::to_string(spec.port);
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// httplib reports every failed connect as Error::Connection. To tell "connection refused" (nothing
// listens) from other failures, try one plain connect to the first address and read its errno.
// Returns 0 when that connect succeeded (the target came up meanwhile).
int connectErrno(const HttpCheckSpec& spec, std::chrono::milliseconds wait) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(spec.host.c_str(), std::to_string(spec.port).c_str(), &hints, &res) != 0 ||
      res == nullptr) {
    return EHOSTUNREACH;
  }
  int err = ETIMEDOUT;
  const int fd =
      ::socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, res->ai_protocol);
  if (fd >= 0) {
    if (::connect(fd, res->ai_addr, res->ai_addrlen) == 0) {
      err = 0;
    } else if (errno != EINPROGRESS) {
      err = errno;
    } else {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(wait.count())) == 1) {
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
          err = errno;
        }
      }
    }
    ::close(fd);
  } else {
    err = errno;
  }
  ::freeaddrinfo(res);
  return err;
}

ProbeOutcome withUrl(ProbeOutcome o, const HttpCheckSpec& spec) {
  o.details["url"] = spec.url;
  return o;
}

}  // namespace

bool statusExpected(const HttpCheckSpec& spec, int status) {
  if (spec.expected_status.empty()) {
    return status >= 200 && status <= 299;
  }
  return std::find(spec.expected_status.begin(), spec.expected_status.end(), status) !=
         spec.expected_status.end();
}

ProbeOutcome evaluateHttpResponse(const HttpCheckSpec& spec, int status, std::string_view body,
                                  microseconds latency) {
  ProbeOutcome o;
  o.latency = latency;
  o.details["status_code"] = std::to_string(status);
  if (!statusExpected(spec, status)) {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Unexpected;
    o.message = "expected status " + expectedText(spec) + ", got " + std::to_string(status);
    return withUrl(std::move(o), spec);
  }
  if (spec.body_contains && body.find(*spec.body_contains) == std::string_view::npos) {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Unexpected;
    o.message = "HTTP " + std::to_string(status) + " but the body does not contain \"" +
                *spec.body_contains + "\"";
    return withUrl(std::move(o), spec);
  }
  o.raw_status = HealthStatus::Healthy;
  o.message = "HTTP " + std::to_string(status) + " in " + formatLatency(latency);
  return withUrl(std::move(o), spec);
}

ProbeOutcome performHttpCheck(const HttpCheckSpec& spec, Clock& clock,
                              std::chrono::milliseconds timeout) {
  httplib::Client cli(spec.scheme + "://" + hostPort(spec));
  if (!cli.is_valid()) {
    return withUrl(ProbeOutcome::down(FailureKind::Error, microseconds{0},
                                      "cannot build a client for " + spec.url),
                   spec);
  }
  cli.set_connection_timeout(timeout);
  cli.set_read_timeout(timeout);
  cli.set_write_timeout(timeout);
  cli.set_keep_alive(false);
  cli.set_follow_location(false);  // a redirect is an answer: judge its status

  httplib::Request req;
  req.method = spec.method;
  req.path = spec.path;
  bool has_agent = false;
  for (const auto& [k, v] : spec.headers) {
    req.headers.emplace(k, v);
    has_agent = has_agent || equalsIgnoreCase(k, "User-Agent");
  }
  if (!has_agent) {
    req.headers.emplace("User-Agent", std::string("vitals-agent/") + VITALS_VERSION);
  }

  const SteadyTime start = clock.steadyNow();
  const SteadyTime deadline = start + timeout;
  std::string body;
  bool over_time = false;
  // Keep at most kMaxHttpBody, and stop a body that keeps coming past the deadline (read
  // timeouts only bound each read).
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (clock.steadyNow() > deadline) {
      over_time = true;
      return false;
    }
    if (body.size() < kMaxHttpBody) {
      body.append(data, std::min(n, kMaxHttpBody - body.size()));
    }
    return true;
  };

  auto res = cli.send(req);
  const auto latency = duration_cast<microseconds>(clock.steadyNow() - start);
  if (res) {
    return evaluateHttpResponse(spec, res->status, body, latency);
  }
  const std::string where = hostPort(spec);
  const std::string after = config::formatDuration(timeout);
  switch (res.error()) {
    case httplib::Error::Connection: {
      const auto left =
          std::max(timeout - std::chrono::duration_cast<std::chrono::milliseconds>(latency),
                   std::chrono::milliseconds{100});
      const int err = connectErrno(spec, std::min(left, std::chrono::milliseconds{1000}));
      if (err == ECONNREFUSED) {
        return withUrl(ProbeOutcome::down(FailureKind::Refused, latency, "connection refused"),
                       spec);
      }
      if (err == ETIMEDOUT) {
        return withUrl(
            ProbeOutcome::down(FailureKind::Timeout, latency, "connect to " + where + " timed out"),
            spec);
      }
      if (err == 0) {
        // Connectable now but the request failed: it went away and came back, or reset us.
        return withUrl(ProbeOutcome::down(FailureKind::Unexpected, latency,
                                          "connection to " + where + " failed"),
                       spec);
      }
      return withUrl(ProbeOutcome::down(FailureKind::Refused, latency,
                                        "cannot connect to " + where + ": " + std::strerror(err)),
                     spec);
    }
    case httplib::Error::ConnectionTimeout:
      return withUrl(ProbeOutcome::down(FailureKind::Timeout, latency,
                                        "connect to " + where + " timed out after " + after),
                     spec);
    case httplib::Error::Read:
      if (latency >= timeout) {
        return withUrl(
            ProbeOutcome::down(FailureKind::Timeout, latency, "no complete answer after " + after),
            spec);
      }
      return withUrl(ProbeOutcome::down(FailureKind::Unexpected, latency,
                                        "connection closed before a complete answer"),
                     spec);
    case httplib::Error::Canceled:
      if (over_time) {
        return withUrl(
            ProbeOutcome::down(FailureKind::Timeout, latency, "body still arriving after " + after),
            spec);
      }
      break;
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return withUrl(ProbeOutcome::down(FailureKind::Unexpected, latency,
                                        "TLS: " + httplib::to_string(res.error())),
                     spec);
    default:
      break;
  }
  return withUrl(ProbeOutcome::down(FailureKind::Error, latency,
                                    "HTTP request failed: " + httplib::to_string(res.error())),
                 spec);
}

HttpProbe::HttpProbe(HttpCheckSpec spec, Clock& clock, WorkQueue& queue)
    : spec_(std::make_shared<const HttpCheckSpec>(std::move(spec))), clock_(clock), queue_(queue) {}

void HttpProbe::run(std::chrono::milliseconds timeout, Done done) {
  // The work captures the spec by shared_ptr, not `this`: it may finish after the probe is gone.
  runOffLoop<ProbeOutcome>(
      queue_,
      [spec = spec_, &clock = clock_, timeout] { return performHttpCheck(*spec, clock, timeout); },
      std::move(done),
      [spec = spec_](const std::string& what) {
        return withUrl(
            ProbeOutcome::down(FailureKind::Error, microseconds{0}, "probe failed: " + what),
            *spec);
      });
}

}  // namespace vitals::agent
