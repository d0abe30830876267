#include "agent/probe/tcp_probe.hpp"

#include "agent/probe/target_restriction.hpp"

#include <optional>

#include "common/asio/asio.hpp"
#include "common/time/duration_format.hpp"

namespace vitals::agent {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using std::chrono::duration_cast;
using std::chrono::microseconds;

constexpr std::size_t kMaxExpectRead = 4096;

// Control bytes shown as '.', so a binary banner reads in a message.
std::string printable(std::string s) {
  for (char& ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) {
      ch = '.';
    }
  }
  return s;
}

// One run: owns its resolver, socket and deadline timer; kept alive by its pending handlers.
class TcpRun : public std::enable_shared_from_this<TcpRun> {
 public:
  TcpRun(asio::io_context& io, Clock& clock, TcpCheckSpec spec, std::string target,
         std::chrono::milliseconds timeout, Probe::Done done)
      : clock_(clock),
        spec_(std::move(spec)),
        target_(std::move(target)),
        timeout_(timeout),
        done_(std::move(done)),
        io_(io),
        socket_(io),
        timer_(io) {}

  void start() {
    start_ = clock_.steadyNow();
    auto self = shared_from_this();
    timer_.expires_after(timeout_);
    timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) {
        const std::string after = formatDuration(self->timeout_);
        self->finish(ProbeOutcome::down(
            FailureKind::Timeout, self->elapsed(),
            self->connected_ ? "no reply containing \"" + self->spec_.expect + "\" after " + after
                             : "connect to " + self->target_ + " timed out after " + after));
      }
    });
    if (spec_.restrict_targets) {
      guardedConnect(nullptr);  // untrusted target: the SSRF guard picks the address
      return;
    }
    // A literal address needs no resolver: asio resolves on a thread of its own, and the two
    // hand-offs cost more than the connect (bench/agent).
    boost::system::error_code literal_ec;
    const auto literal = asio::ip::make_address(spec_.host, literal_ec);
    if (!literal_ec) {
      socket_.async_connect(tcp::endpoint(literal, spec_.port),
                            [self](const boost::system::error_code& cec) { self->connected(cec); });
      return;
    }
    resolver_.emplace(io_);
    resolver_->async_resolve(
        spec_.host, std::to_string(spec_.port),
        [self](const boost::system::error_code& ec, tcp::resolver::results_type results) {
          if (self->finished_) {
            return;
          }
          if (ec) {
            self->finish(
                ProbeOutcome::down(FailureKind::Error, self->elapsed(),
                                   "cannot resolve " + self->spec_.host + ": " + ec.message()));
            return;
          }
          asio::async_connect(self->socket_, results,
                              [self](const boost::system::error_code& cec, const tcp::endpoint&) {
                                self->connected(cec);
                              });
        });
  }

 private:
  microseconds elapsed() const { return duration_cast<microseconds>(clock_.steadyNow() - start_); }

  // restrict_targets: connect only to the one address the guard allows.
  void guardedConnect(const tcp::resolver::results_type* resolved) {
    auto self = shared_from_this();
    const auto d = restrictTcpTarget(spec_, resolved);
    if (d.kind == TargetDecision::Kind::Connect) {
      socket_.async_connect(d.endpoint,
                            [self](const boost::system::error_code& ec) { self->connected(ec); });
    } else if (d.kind == TargetDecision::Kind::Refuse) {
      asio::post(io_, [self, m = d.message] {
        self->finish(ProbeOutcome::down(FailureKind::Error, self->elapsed(), m));
      });
    } else {
      resolver_.emplace(io_);
      resolver_->async_resolve(
          spec_.host, std::to_string(spec_.port),
          [self](const boost::system::error_code& ec, tcp::resolver::results_type results) {
            if (self->finished_) {
              return;
            }
            if (ec) {
              self->finish(
                  ProbeOutcome::down(FailureKind::Error, self->elapsed(),
                                     "cannot resolve " + self->spec_.host + ": " + ec.message()));
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
    const auto latency = elapsed();
    connected_ = !ec;
    if (!ec && (!spec_.send.empty() || !spec_.expect.empty())) {
      converse();
    } else if (!ec) {
      auto o = ProbeOutcome::healthy(latency,
                                     "connected to " + target_ + " in " + formatLatency(latency));
      finish(std::move(o));
    } else if (ec == asio::error::connection_refused) {
      finish(ProbeOutcome::down(FailureKind::Refused, latency, "connection refused"));
    } else {
      finish(ProbeOutcome::down(FailureKind::Refused, latency,
                                "cannot connect to " + target_ + ": " + ec.message()));
    }
  }

  // send, then read until expect shows up in the first kMaxExpectRead bytes.
  void converse() {
    auto self = shared_from_this();
    if (!spec_.send.empty()) {
      asio::async_write(socket_, asio::buffer(spec_.send),
                        [self](const boost::system::error_code& ec, std::size_t) {
                          if (self->finished_) {
                            return;
                          }
                          if (ec) {
                            self->finish(ProbeOutcome::down(FailureKind::Unexpected,
                                                            self->elapsed(),
                                                            "send failed: " + ec.message()));
                            return;
                          }
                          self->readReply();
                        });
    } else {
      readReply();
    }
  }

  void readReply() {
    if (spec_.expect.empty()) {
      const auto latency = elapsed();
      finish(ProbeOutcome::healthy(latency, "connected to " + target_ + " and sent " +
                                                std::to_string(spec_.send.size()) +
                                                " bytes in " + formatLatency(latency)));
      return;
    }
    const std::size_t old = reply_.size();
    reply_.resize(kMaxExpectRead);
    auto self = shared_from_this();
    socket_.async_read_some(
        asio::buffer(reply_.data() + old, kMaxExpectRead - old),
        [self, old](const boost::system::error_code& ec, std::size_t n) {
          if (self->finished_) {
            return;
          }
          self->reply_.resize(old + n);
          const auto latency = self->elapsed();
          if (self->reply_.find(self->spec_.expect) != std::string::npos) {
            self->finish(ProbeOutcome::healthy(
                latency, "got \"" + self->spec_.expect + "\" in " + formatLatency(latency)));
            return;
          }
          if (ec || self->reply_.size() >= kMaxExpectRead) {
            auto o = ProbeOutcome::down(
                FailureKind::Unexpected, latency,
                "expected \"" + self->spec_.expect + "\" in the reply, got \"" +
                    printable(self->reply_.substr(0, 80)) + "\"" +
                    (ec && ec != asio::error::eof ? " (" + ec.message() + ")" : ""));
            self->finish(std::move(o));
            return;
          }
          self->readReply();
        });
  }

  void finish(ProbeOutcome o) {
    if (finished_) {
      return;
    }
    finished_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    if (resolver_) {
      resolver_->cancel();
    }
    socket_.close(ignored);
    o.details["target"] = target_;
    auto done = std::move(done_);
    done(std::move(o));
  }

  Clock& clock_;
  TcpCheckSpec spec_;
  std::string target_;
  std::chrono::milliseconds timeout_;
  Probe::Done done_;
  asio::io_context& io_;
  std::optional<tcp::resolver> resolver_;  // host names only
  tcp::socket socket_;
  asio::steady_timer timer_;
  SteadyTime start_{};
  std::string reply_;
  bool connected_ = false;
  bool finished_ = false;
};

class TcpProbe final : public Probe {
 public:
  TcpProbe(asio::io_context& io, Clock& clock, TcpCheckSpec spec)
      : io_(io), clock_(clock), spec_(std::move(spec)) {
    const bool v6 = spec_.host.find(':') != std::string::npos;
    target_ = (v6 ? "[" + spec_.host + "]" : spec_.host) + ":" + std::to_string(spec_.port);
  }
  std::string_view kind() const override { return "tcp"; }
  std::string target() const override { return target_; }
  void run(std::chrono::milliseconds timeout, Done done) override {
    std::make_shared<TcpRun>(io_, clock_, spec_, target_, timeout, std::move(done))->start();
  }

 private:
  asio::io_context& io_;
  Clock& clock_;
  TcpCheckSpec spec_;
  std::string target_;
};

}  // namespace

std::unique_ptr<Probe> makeTcpProbe(asio::io_context& io, Clock& clock, TcpCheckSpec spec) {
  return std::make_unique<TcpProbe>(io, clock, std::move(spec));
}

}  // namespace vitals::agent
