#include "agent/probe/http_probe.hpp"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <ctime>
#include <regex>

#include <nlohmann/json.hpp>

#include "agent/config/config_loader.hpp"

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


// The leaf certificate seen in a TLS handshake, captured from OpenSSL's verification (which
// runs on every handshake, also with verification off; then its verdict is ignored).
struct TlsCapture {
  bool seen = false;
  SystemTime not_after{};
  std::string subject;
  int verify_error = 0;
};

int captureCertificate(X509_STORE_CTX* ctx, void* arg) {
  auto* capture = static_cast<TlsCapture*>(arg);
  const int ok = X509_verify_cert(ctx);
  capture->verify_error = ok == 1 ? 0 : X509_STORE_CTX_get_error(ctx);
  if (X509* leaf = X509_STORE_CTX_get0_cert(ctx); leaf != nullptr && !capture->seen) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) == 1) {
      capture->seen = true;
      capture->not_after = std::chrono::system_clock::from_time_t(::timegm(&tm));
    }
    char name[256] = {};
    X509_NAME_oneline(X509_get_subject_name(leaf), name, sizeof name - 1);
    capture->subject = name;
  }
  return ok == 1 ? 1 : 0;
}

// The value at cond.keys in doc, as text: a string as itself, anything else as compact JSON.
std::optional<std::string> jsonValue(const nlohmann::json& doc, const JsonCondition& cond) {
  const nlohmann::json* at = &doc;
  for (const auto& key : cond.keys) {
    if (key.size() > 2 && key.front() == '[') {
      const auto index = std::stoul(key.substr(1, key.size() - 2));
      if (!at->is_array() || index >= at->size()) {
        return std::nullopt;
      }
      at = &(*at)[index];
    } else {
      if (!at->is_object() || !at->contains(key)) {
        return std::nullopt;
      }
      at = &(*at)[key];
    }
  }
  return at->is_string() ? at->get<std::string>() : at->dump();
}

bool isRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Where a Location header points, relative to the current request. "" with spec filled, or an
// error message.
std::string followLocation(const HttpCheckSpec& current, const std::string& location,
                           HttpCheckSpec& next) {
  next = current;
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) {
    next.url = location;
    return parseHttpUrl(location, next);
  }
  if (location.rfind("//", 0) == 0) {
    next.url = current.scheme + ":" + location;
    return parseHttpUrl(next.url, next);
  }
  std::string path = location;
  if (path.empty() || path[0] != '/') {
    const std::string base = current.path.substr(0, current.path.find('?'));
    path = base.substr(0, base.rfind('/') + 1) + path;
  }
  next.path = path;
  next.url = current.scheme + "://" + hostPort(current) + path;
  return "";
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
  if (spec.body_regex) {
    bool found = false;
    try {
      found = std::regex_search(body.begin(), body.end(), std::regex(*spec.body_regex));
    } catch (const std::exception&) {
      // A pathological body can exhaust the regex engine: report it as not matching.
    }
    if (!found) {
      o.raw_status = HealthStatus::Down;
      o.failure_kind = FailureKind::Unexpected;
      o.message = "HTTP " + std::to_string(status) + " but the body does not match /" +
                  *spec.body_regex + "/";
      return withUrl(std::move(o), spec);
    }
  }
  if (spec.json) {
    const auto doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    std::optional<std::string> value;
    if (!doc.is_discarded()) {
      value = jsonValue(doc, *spec.json);
    }
    if (!value || *value != spec.json->equals) {
      o.raw_status = HealthStatus::Down;
      o.failure_kind = FailureKind::Unexpected;
      o.message = "HTTP " + std::to_string(status) + " but " + spec.json->path + " is " +
                  (doc.is_discarded() ? std::string("unreadable (body is not JSON)")
                   : !value           ? std::string("missing")
                                      : "\"" + value->substr(0, 100) + "\"") +
                  ", expected \"" + spec.json->equals + "\"";
      if (value) {
        o.details["json_value"] = value->substr(0, 200);
      }
      return withUrl(std::move(o), spec);
    }
  }
  o.raw_status = HealthStatus::Healthy;
  o.message = "HTTP " + std::to_string(status) + " in " + formatLatency(latency);
  return withUrl(std::move(o), spec);
}

ProbeOutcome applyCertExpiry(ProbeOutcome o, const HttpCheckSpec& spec, SystemTime not_after,
                             SystemTime now) {
  using Days = std::chrono::duration<double, std::ratio<86400>>;
  const double days_left = std::chrono::duration_cast<Days>(not_after - now).count();
  o.details["cert_not_after"] = formatRfc3339(not_after);
  o.details["cert_days_left"] = std::to_string(static_cast<long long>(std::floor(days_left)));
  if (not_after <= now) {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Unexpected;
    o.message = "TLS certificate expired on " + formatRfc3339(not_after);
  } else if (days_left < static_cast<double>(spec.cert_warn_days) &&
             o.raw_status == HealthStatus::Healthy) {
    o.raw_status = HealthStatus::Degraded;
    o.message = "TLS certificate expires in " +
                std::to_string(static_cast<long long>(std::floor(days_left))) + " days (" +
                formatRfc3339(not_after) + "); " + o.message;
  }
  return o;
}

namespace {

// One request/response exchange.
struct Exchange {
  bool answered = false;
  int status = 0;
  std::string location;
  std::string body;
  httplib::Error error = httplib::Error::Success;
  bool over_time = false;
  long verify_result = 0;
};

Exchange sendOnce(const HttpCheckSpec& spec, Clock& clock, SteadyTime deadline,
                  std::chrono::milliseconds timeout, TlsCapture* capture) {
  Exchange ex;
  httplib::Client cli(spec.scheme + "://" + hostPort(spec));
  if (!cli.is_valid()) {
    ex.error = httplib::Error::Connection;
    return ex;
  }
  cli.set_connection_timeout(timeout);
  cli.set_read_timeout(timeout);
  cli.set_write_timeout(timeout);
  cli.set_keep_alive(false);
  cli.set_follow_location(false);  // redirects are followed (or judged) here
  if (spec.scheme == "https") {
    cli.enable_server_certificate_verification(spec.tls_verify);
    if (!spec.ca_file.empty()) {
      cli.set_ca_cert_path(spec.ca_file);
    }
    if (capture != nullptr && cli.ssl_context() != nullptr) {
      SSL_CTX_set_cert_verify_callback(cli.ssl_context(), captureCertificate, capture);
    }
  }

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
  // Keep at most kMaxHttpBody, and stop a body that keeps coming past the deadline (read
  // timeouts only bound each read).
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (clock.steadyNow() > deadline) {
      ex.over_time = true;
      return false;
    }
    if (ex.body.size() < kMaxHttpBody) {
      ex.body.append(data, std::min(n, kMaxHttpBody - ex.body.size()));
    }
    return true;
  };
  auto res = cli.send(req);
  if (res) {
    ex.answered = true;
    ex.status = res->status;
    ex.location = res->get_header_value("Location");
  } else {
    ex.error = res.error();
    if (spec.scheme == "https") {
      ex.verify_result = cli.get_openssl_verify_result();
    }
  }
  return ex;
}

ProbeOutcome failedExchange(const HttpCheckSpec& spec, const Exchange& ex,
                            std::chrono::microseconds latency, std::chrono::milliseconds timeout,
                            const TlsCapture& capture) {
  const std::string where = hostPort(spec);
  const std::string after = config::formatDuration(timeout);
  switch (ex.error) {
    case httplib::Error::Connection: {
      const auto left =
          std::max(timeout - std::chrono::duration_cast<std::chrono::milliseconds>(latency),
                   std::chrono::milliseconds{100});
      const int err = connectErrno(spec, std::min(left, std::chrono::milliseconds{1000}));
      if (err == ECONNREFUSED) {
        return ProbeOutcome::down(FailureKind::Refused, latency, "connection refused");
      }
      if (err == ETIMEDOUT) {
        return ProbeOutcome::down(FailureKind::Timeout, latency,
                                  "connect to " + where + " timed out");
      }
      if (err == 0) {
        // Connectable now but the request failed: it went away and came back, or reset us.
        return ProbeOutcome::down(FailureKind::Unexpected, latency,
                                  "connection to " + where + " failed");
      }
      return ProbeOutcome::down(FailureKind::Refused, latency,
                                "cannot connect to " + where + ": " + std::strerror(err));
    }
    case httplib::Error::ConnectionTimeout:
      return ProbeOutcome::down(FailureKind::Timeout, latency,
                                "connect to " + where + " timed out after " + after);
    case httplib::Error::Read:
      // A read timeout fires at the deadline give or take poll's millisecond rounding.
      if (latency + std::chrono::milliseconds{5} >= timeout) {
        return ProbeOutcome::down(FailureKind::Timeout, latency,
                                  "no complete answer after " + after);
      }
      return ProbeOutcome::down(FailureKind::Unexpected, latency,
                                "connection closed before a complete answer");
    case httplib::Error::Canceled:
      if (ex.over_time) {
        return ProbeOutcome::down(FailureKind::Timeout, latency,
                                  "body still arriving after " + after);
      }
      break;
    case httplib::Error::SSLServerVerification: {
      const long code = capture.verify_error != 0 ? capture.verify_error : ex.verify_result;
      std::string msg = "TLS: certificate verification failed";
      if (code != 0) {
        msg += std::string(": ") + X509_verify_cert_error_string(code);
      } else {
        msg += ": the certificate does not match host " + spec.host;
      }
      return ProbeOutcome::down(FailureKind::Unexpected, latency, msg);
    }
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
      return ProbeOutcome::down(FailureKind::Unexpected, latency,
                                "TLS: " + httplib::to_string(ex.error));
    default:
      break;
  }
  return ProbeOutcome::down(FailureKind::Error, latency,
                            "HTTP request failed: " + httplib::to_string(ex.error));
}

}  // namespace

ProbeOutcome performHttpCheck(const HttpCheckSpec& spec, Clock& clock,
                              std::chrono::milliseconds timeout) {
  const SteadyTime start = clock.steadyNow();
  const SteadyTime deadline = start + timeout;
  TlsCapture capture;  // of the configured target (the first hop)
  HttpCheckSpec current = spec;
  std::uint32_t redirects = 0;
  for (;;) {
    const auto left = std::max(
        std::chrono::ceil<std::chrono::milliseconds>(deadline - clock.steadyNow()),
        std::chrono::milliseconds{1});
    Exchange ex = sendOnce(current, clock, deadline, left, redirects == 0 ? &capture : nullptr);
    const auto latency = duration_cast<microseconds>(clock.steadyNow() - start);
    ProbeOutcome o;
    if (!ex.answered) {
      o = failedExchange(current, ex, latency, timeout, capture);
    } else if (spec.follow_redirects && isRedirect(ex.status) && !ex.location.empty()) {
      if (redirects >= spec.max_redirects) {
        o = ProbeOutcome::down(FailureKind::Unexpected, latency,
                               "more than " + std::to_string(spec.max_redirects) +
                                   " redirects (last to " + ex.location + ")");
      } else {
        HttpCheckSpec next;
        if (auto err = followLocation(current, ex.location, next); !err.empty()) {
          o = ProbeOutcome::down(FailureKind::Unexpected, latency,
                                 "bad redirect to \"" + ex.location + "\": " + err);
        } else {
          if (ex.status == 303) {
            next.method = "GET";
          }
          current = std::move(next);
          ++redirects;
          continue;
        }
      }
    } else {
      o = evaluateHttpResponse(current, ex.status, ex.body, latency);
    }
    if (redirects > 0) {
      o.details["redirects"] = std::to_string(redirects);
      o.details["final_url"] = current.url;
    }
    if (capture.seen) {
      o = applyCertExpiry(std::move(o), spec, capture.not_after, clock.now());
    }
    return withUrl(std::move(o), spec);
  }
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
