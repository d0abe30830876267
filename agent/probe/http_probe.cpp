#include "agent/probe/http_probe.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>

#include <boost/asio/ssl.hpp>
#include <nlohmann/json.hpp>

#include "agent/probe/http_response_parser.hpp"
#include "agent/probe/target_restriction.hpp"
#include "common/asio/asio.hpp"
#include "common/net/url.hpp"
#include "common/text/ascii.hpp"
#include "common/time/duration_format.hpp"

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

std::string hostPort(const HttpCheckSpec& spec) { return net::hostPort(spec.host, spec.port); }

ProbeOutcome withUrl(ProbeOutcome o, const HttpCheckSpec& spec) {
  o.details["url"] = spec.url;
  return o;
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
  const bool absolute = location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0;
  if (absolute || location.rfind("//", 0) == 0) {
    next.url = absolute ? location : current.scheme + ":" + location;
    auto url = net::parseUrl(next.url);
    if (!url.ok()) {
      return url.error().message;
    }
    next.scheme = url->scheme;
    next.host = url->host;
    next.port = url->port;
    next.path = url->target();
    return "";
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

namespace ssl = boost::asio::ssl;

class TlsContexts {
 public:
  // The client context for spec's trust setup, or null with error set (a ca_file that cannot be
  // read). A ca_file is read again when its modification time changes.
  std::shared_ptr<ssl::context> get(const HttpCheckSpec& spec, std::string& error) {
    const std::string key = spec.tls_verify ? "verify:" + spec.ca_file : std::string("none");
    std::optional<std::filesystem::file_time_type> mtime;
    if (spec.tls_verify && !spec.ca_file.empty()) {
      std::error_code fec;
      const auto t = std::filesystem::last_write_time(spec.ca_file, fec);
      if (!fec) {
        mtime = t;
      }
    }
    if (auto it = contexts_.find(key); it != contexts_.end() && it->second.mtime == mtime) {
      return it->second.context;
    }
    try {
      auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
      boost::system::error_code ec;
      if (spec.tls_verify && spec.ca_file.empty()) {
        ctx->set_default_verify_paths(ec);
        if (ec) {
          error = "TLS: cannot load the system CA store: " + ec.message();
          return nullptr;
        }
      } else if (spec.tls_verify) {
        ctx->load_verify_file(spec.ca_file, ec);
        if (ec) {
          error = "TLS: cannot load ca_file " + spec.ca_file + ": " + ec.message();
          return nullptr;
        }
      }
      contexts_[key] = Entry{ctx, mtime};
      return ctx;
    } catch (const std::exception& e) {
      error = std::string("TLS: cannot create a client context: ") + e.what();
      return nullptr;
    }
  }

 private:
  struct Entry {
    std::shared_ptr<ssl::context> context;  // runs in flight hold it too
    std::optional<std::filesystem::file_time_type> mtime;
  };
  std::map<std::string, Entry> contexts_;
};

std::shared_ptr<TlsContexts> makeTlsContexts() { return std::make_shared<TlsContexts>(); }

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::size_t kReadChunk = 8192;

bool isIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string requestText(const HttpCheckSpec& spec) {
  bool has_agent = false;
  bool has_host = false;
  bool has_accept = false;
  bool has_length = false;
  std::string extra;
  for (const auto& [k, v] : spec.headers) {
    has_agent = has_agent || text::equalsAsciiNoCase(k, "User-Agent");
    has_host = has_host || text::equalsAsciiNoCase(k, "Host");
    has_accept = has_accept || text::equalsAsciiNoCase(k, "Accept");
    has_length = has_length || text::equalsAsciiNoCase(k, "Content-Length");
    extra += k + ": " + v + "\r\n";
  }
  std::string req = spec.method + " " + spec.path + " HTTP/1.1\r\n";
  if (!has_host) {
    const bool default_port =
        (spec.scheme == "http" && spec.port == 80) || (spec.scheme == "https" && spec.port == 443);
    const bool v6 = spec.host.find(':') != std::string::npos;
    req += "Host: " + (v6 ? "[" + spec.host + "]" : spec.host);
    if (!default_port) {
      req += ":" + std::to_string(spec.port);
    }
    req += "\r\n";
  }
  if (!has_agent) {
    req += std::string("User-Agent: vitals-agent/") + VITALS_VERSION + "\r\n";
  }
  if (!has_accept) {
    req += "Accept: */*\r\n";
  }
  req += "Connection: close\r\n";
  if (!has_length && (spec.method == "POST" || spec.method == "PUT" || spec.method == "PATCH")) {
    req += "Content-Length: 0\r\n";
  }
  return req + extra + "\r\n";
}

// One run of an http probe, redirects included: owns its sockets, parser and deadline timer;
// kept alive by its pending handlers. Loop thread only.
class HttpRun : public std::enable_shared_from_this<HttpRun> {
 public:
  HttpRun(asio::io_context& io, Clock& clock, std::shared_ptr<const HttpCheckSpec> spec,
          std::shared_ptr<TlsContexts> tls, std::chrono::milliseconds timeout, Probe::Done done)
      : io_(io),
        clock_(clock),
        spec_(std::move(spec)),
        tls_contexts_(std::move(tls)),
        timeout_(timeout),
        done_(std::move(done)),
        socket_(io),
        timer_(io) {}

  void start() {
    start_ = clock_.steadyNow();
    auto self = shared_from_this();
    timer_.expires_after(timeout_);
    timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) {
        self->timedOut();
      }
    });
    beginHop();
  }

 private:
  enum class Phase { Connecting, Handshake, Waiting, Body };

  const HttpCheckSpec& current() const { return redirected_ ? *redirected_ : *spec_; }
  std::chrono::microseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock_.steadyNow() - start_);
  }
  tcp::socket& lowest() { return tls_ ? tls_->next_layer() : socket_; }
  template <typename F>
  void withStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  // Connects to current(); the first hop runs inside Probe::run, so failures found before any
  // I/O are posted (done is never called from inside run()).
  void beginHop() {
    const HttpCheckSpec& spec = current();
    phase_ = Phase::Connecting;
    parser_.reset();
    parser_.emplace(spec.method == "HEAD", kMaxHttpBody);
    boost::system::error_code ignored;
    lowest().close(ignored);
    tls_.reset();
    if (spec.scheme == "https") {
      std::string error;
      auto ctx = tls_contexts_->get(spec, error);
      if (!ctx) {
        auto self = shared_from_this();
        asio::post(io_, [self, error] {
          self->complete(ProbeOutcome::down(FailureKind::Unexpected, self->elapsed(), error));
        });
        return;
      }
      tls_context_ = std::move(ctx);
      tls_.emplace(io_, *tls_context_);
    }
    if (spec.restrict_targets) {
      guardedConnect(nullptr);  // untrusted target: the SSRF guard picks the address
      return;
    }
    auto self = shared_from_this();
    boost::system::error_code literal_ec;
    const auto literal = asio::ip::make_address(spec.host, literal_ec);
    if (!literal_ec) {
      lowest().async_connect(tcp::endpoint(literal, spec.port),
                             [self](const boost::system::error_code& ec) { self->connected(ec); });
      return;
    }
    // A name: asio resolves on a thread of its own (getaddrinfo blocks).
    if (!resolver_) {
      resolver_.emplace(io_);
    }
    resolver_->async_resolve(
        spec.host, std::to_string(spec.port),
        [self](const boost::system::error_code& ec, tcp::resolver::results_type results) {
          if (self->finished_) {
            return;
          }
          if (ec) {
            self->complete(
                ProbeOutcome::down(FailureKind::Refused, self->elapsed(),
                                   "cannot resolve " + self->current().host + ": " + ec.message()));
            return;
          }
          asio::async_connect(self->lowest(), results,
                              [self](const boost::system::error_code& cec, const tcp::endpoint&) {
                                self->connected(cec);
                              });
        });
  }

  // restrict_targets: every hop (redirects too) connects only where the guard allows.
  void guardedConnect(const tcp::resolver::results_type* resolved) {
    auto self = shared_from_this();
    const auto d = restrictHttpHop(current(), resolved);
    if (d.kind == TargetDecision::Kind::Connect) {
      lowest().async_connect(d.endpoint,
                             [self](const boost::system::error_code& ec) { self->connected(ec); });
    } else if (d.kind == TargetDecision::Kind::Refuse) {
      asio::post(io_, [self, m = d.message] {
        self->complete(ProbeOutcome::down(FailureKind::Error, self->elapsed(), m));
      });
    } else {
      if (!resolver_) {
        resolver_.emplace(io_);
      }
      resolver_->async_resolve(
          current().host, std::to_string(current().port),
          [self](const boost::system::error_code& ec, tcp::resolver::results_type results) {
            if (self->finished_) {
              return;
            }
            if (ec) {
              self->complete(ProbeOutcome::down(
                  FailureKind::Refused, self->elapsed(),
                  "cannot resolve " + self->current().host + ": " + ec.message()));
              return;
            }
            self->guardedConnect(&results);
          });
    }
  }

  void connected(const boost::system::error_code& ec) {
    if (finished_) {
      return;
    }
    if (ec == asio::error::connection_refused) {
      complete(ProbeOutcome::down(FailureKind::Refused, elapsed(), "connection refused"));
      return;
    }
    if (ec) {
      complete(
          ProbeOutcome::down(FailureKind::Refused, elapsed(),
                             "cannot connect to " + hostPort(current()) + ": " + ec.message()));
      return;
    }
    if (!tls_) {
      sendRequest();
      return;
    }
    phase_ = Phase::Handshake;
    const HttpCheckSpec& spec = current();
    SSL* ssl = tls_->native_handle();
    const bool literal = isIpLiteral(spec.host);
    if (!literal) {
      SSL_set_tlsext_host_name(ssl, spec.host.c_str());
    }
    if (spec.tls_verify) {
      if (literal) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), spec.host.c_str());
      } else {
        SSL_set1_host(ssl, spec.host.c_str());
      }
    }
    // Always verify, so the callback sees the chain and the leaf's expiry; without tls_verify
    // its verdict is ignored.
    hop_verify_error_ = 0;
    tls_->set_verify_mode(ssl::verify_peer);
    tls_->set_verify_callback([this, verify = spec.tls_verify, first = redirects_ == 0](
                                  bool preverified, ssl::verify_context& vc) {
      X509_STORE_CTX* store = vc.native_handle();
      if (first && !cert_seen_) {
        if (X509* leaf = X509_STORE_CTX_get0_cert(store); leaf != nullptr) {
          std::tm tm{};
          if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) == 1) {
            cert_seen_ = true;
            cert_not_after_ = std::chrono::system_clock::from_time_t(::timegm(&tm));
          }
        }
      }
      if (!preverified && hop_verify_error_ == 0) {
        hop_verify_error_ = X509_STORE_CTX_get_error(store);
      }
      return verify ? preverified : true;
    });
    auto self = shared_from_this();
    tls_->async_handshake(ssl::stream_base::client, [self](const boost::system::error_code& hec) {
      if (self->finished_) {
        return;
      }
      if (hec) {
        self->complete(self->handshakeFailed(hec));
        return;
      }
      self->sendRequest();
    });
  }

  ProbeOutcome handshakeFailed(const boost::system::error_code& ec) {
    const int code = hop_verify_error_;
    if (code == 0) {
      return ProbeOutcome::down(
          FailureKind::Unexpected, elapsed(),
          "TLS: handshake with " + hostPort(current()) + " failed: " + ec.message());
    }
    std::string msg = "TLS: certificate verification failed: ";
    if (code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      msg += "the certificate does not match host " + current().host;
    } else {
      msg += X509_verify_cert_error_string(code);
    }
    return ProbeOutcome::down(FailureKind::Unexpected, elapsed(), msg);
  }

  void sendRequest() {
    phase_ = Phase::Waiting;
    request_ = requestText(current());
    auto self = shared_from_this();
    withStream([&](auto& stream) {
      asio::async_write(
          stream, asio::buffer(request_), [self](const boost::system::error_code& ec, std::size_t) {
            if (self->finished_) {
              return;
            }
            if (ec) {
              self->complete(ProbeOutcome::down(FailureKind::Unexpected, self->elapsed(),
                                                "sending the request failed: " + ec.message()));
              return;
            }
            self->readMore();
          });
    });
  }

  void readMore() {
    if (!buffer_) {
      buffer_ = std::make_unique<std::array<char, kReadChunk>>();
    }
    auto self = shared_from_this();
    withStream([&](auto& stream) {
      stream.async_read_some(
          asio::buffer(*buffer_),
          [self](const boost::system::error_code& ec, std::size_t n) { self->received(ec, n); });
    });
  }

  void received(const boost::system::error_code& ec, std::size_t n) {
    if (finished_) {
      return;
    }
    auto state = HttpResponseParser::State::NeedMore;
    if (n > 0) {
      state = parser_->feed(std::string_view(buffer_->data(), n));
    }
    if (state == HttpResponseParser::State::NeedMore && ec) {
      // A TLS peer that closes without close_notify is a plain end of stream here.
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
        state = parser_->finish();
      } else {
        complete(ProbeOutcome::down(
            FailureKind::Unexpected, elapsed(),
            "connection closed before a complete answer (" + ec.message() + ")"));
        return;
      }
    }
    if (parser_->headerDone()) {
      phase_ = Phase::Body;
    }
    switch (state) {
      case HttpResponseParser::State::NeedMore:
        readMore();
        return;
      case HttpResponseParser::State::Failed:
        complete(ProbeOutcome::down(FailureKind::Unexpected, elapsed(), parser_->error()));
        return;
      case HttpResponseParser::State::Done:
        responded();
        return;
    }
  }

  void responded() {
    const auto latency = elapsed();
    const HttpCheckSpec& spec = current();
    const int status = parser_->status();
    const std::string& location = parser_->location();
    if (spec_->follow_redirects && isRedirect(status) && !location.empty()) {
      if (redirects_ >= spec_->max_redirects) {
        complete(ProbeOutcome::down(FailureKind::Unexpected, latency,
                                    "more than " + std::to_string(spec_->max_redirects) +
                                        " redirects (last to " + location + ")"));
        return;
      }
      HttpCheckSpec next;
      if (auto err = followLocation(spec, location, next); !err.empty()) {
        complete(ProbeOutcome::down(FailureKind::Unexpected, latency,
                                    "bad redirect to \"" + location + "\": " + err));
        return;
      }
      if (status == 303) {
        next.method = "GET";
      }
      redirected_ = std::move(next);
      ++redirects_;
      beginHop();
      return;
    }
    complete(evaluateHttpResponse(spec, status, parser_->body(), latency));
  }

  void timedOut() {
    if (finished_) {
      return;
    }
    const std::string after = formatDuration(timeout_);
    std::string msg;
    switch (phase_) {
      case Phase::Connecting:
        msg = "connect to " + hostPort(current()) + " timed out after " + after;
        break;
      case Phase::Handshake:
        msg = "TLS handshake with " + hostPort(current()) + " timed out after " + after;
        break;
      case Phase::Waiting:
        msg = "no complete answer after " + after;
        break;
      case Phase::Body:
        msg = "body still arriving after " + after;
        break;
    }
    complete(ProbeOutcome::down(FailureKind::Timeout, elapsed(), msg));
  }

  // Every outcome ends here: redirect and certificate details, the configured URL, done.
  void complete(ProbeOutcome o) {
    if (finished_) {
      return;
    }
    finished_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    if (resolver_) {
      resolver_->cancel();
    }
    lowest().close(ignored);
    if (redirects_ > 0) {
      o.details["redirects"] = std::to_string(redirects_);
      o.details["final_url"] = current().url;
    }
    if (cert_seen_) {
      o = applyCertExpiry(std::move(o), *spec_, cert_not_after_, clock_.now());
    }
    o = withUrl(std::move(o), *spec_);
    auto done = std::move(done_);
    done(std::move(o));
  }

  asio::io_context& io_;
  Clock& clock_;
  std::shared_ptr<const HttpCheckSpec> spec_;
  std::shared_ptr<TlsContexts> tls_contexts_;
  std::chrono::milliseconds timeout_;
  Probe::Done done_;
  tcp::socket socket_;  // plain http
  std::shared_ptr<ssl::context> tls_context_;
  std::optional<ssl::stream<tcp::socket>> tls_;  // https: owns its socket
  std::optional<tcp::resolver> resolver_;        // host names only
  asio::steady_timer timer_;
  std::optional<HttpCheckSpec> redirected_;  // the current hop after a redirect
  std::optional<HttpResponseParser> parser_;
  std::unique_ptr<std::array<char, kReadChunk>> buffer_;
  std::string request_;
  SteadyTime start_{};
  Phase phase_ = Phase::Connecting;
  std::uint32_t redirects_ = 0;
  bool cert_seen_ = false;  // the configured target's leaf certificate (first hop)
  SystemTime cert_not_after_{};
  int hop_verify_error_ = 0;
  bool finished_ = false;
};

class HttpProbe final : public Probe {
 public:
  HttpProbe(asio::io_context& io, Clock& clock, std::shared_ptr<TlsContexts> tls,
            HttpCheckSpec spec)
      : io_(io),
        clock_(clock),
        tls_(std::move(tls)),
        spec_(std::make_shared<const HttpCheckSpec>(std::move(spec))) {}
  std::string_view kind() const override { return "http"; }
  std::string target() const override { return spec_->url; }
  void run(std::chrono::milliseconds timeout, Done done) override {
    std::make_shared<HttpRun>(io_, clock_, spec_, tls_, timeout, std::move(done))->start();
  }

 private:
  asio::io_context& io_;
  Clock& clock_;
  std::shared_ptr<TlsContexts> tls_;
  std::shared_ptr<const HttpCheckSpec> spec_;
};

}  // namespace

std::unique_ptr<Probe> makeHttpProbe(asio::io_context& io, Clock& clock,
                                     std::shared_ptr<TlsContexts> tls, HttpCheckSpec spec) {
  return std::make_unique<HttpProbe>(io, clock, std::move(tls), std::move(spec));
}

}  // namespace vitals::agent
