#include "agent/probe/heartbeat_probe.hpp"

#include "common/asio/asio.hpp"
#include "common/time/duration_format.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

std::string ago(SteadyTime then, SteadyTime now) {
  return formatDuration(duration_cast<milliseconds>(now - then) / 1000 * 1000);
}

class HeartbeatProbe final : public Probe {
 public:
  HeartbeatProbe(std::string check, HeartbeatCheckSpec spec, HeartbeatBoard& board,
                 boost::asio::io_context& io, Clock& clock)
      : check_(std::move(check)),
        spec_(spec),
        board_(board),
        io_(io),
        clock_(clock),
        since_(clock.steadyNow()) {
    board_.expect(check_);
  }
  std::string_view kind() const override { return "heartbeat"; }
  std::string target() const override { return "push within " + formatDuration(spec_.ttl); }
  void run(std::chrono::milliseconds, Done done) override {
    auto o = evaluateHeartbeat(spec_, board_.last(check_), clock_.steadyNow(), since_);
    boost::asio::post(io_, [done = std::move(done), o = std::move(o)]() mutable {
      done(std::move(o));
    });
  }

 private:
  std::string check_;
  HeartbeatCheckSpec spec_;
  HeartbeatBoard& board_;
  boost::asio::io_context& io_;
  Clock& clock_;
  SteadyTime since_;
};

}  // namespace

void HeartbeatBoard::expect(const std::string& check) {
  std::lock_guard<std::mutex> lock(mu_);
  pushes_.try_emplace(check);
}

bool HeartbeatBoard::push(const std::string& check, HeartbeatPush push) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pushes_.find(check);
  if (it == pushes_.end()) {
    return false;
  }
  it->second = std::move(push);
  return true;
}

std::optional<HeartbeatPush> HeartbeatBoard::last(const std::string& check) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pushes_.find(check);
  return it == pushes_.end() ? std::nullopt : it->second;
}

ProbeOutcome evaluateHeartbeat(const HeartbeatCheckSpec& spec,
                               const std::optional<HeartbeatPush>& last, SteadyTime now,
                               SteadyTime watching_since) {
  ProbeOutcome o;
  o.details["ttl"] = formatDuration(spec.ttl);
  if (!last) {
    if (now - watching_since < spec.ttl) {
      o.raw_status = HealthStatus::Unknown;
      o.message = "no push yet (waiting up to " + formatDuration(spec.ttl) + ")";
      return o;
    }
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Timeout;
    o.message = "no push received in " + ago(watching_since, now);
    return o;
  }
  o.details["last_push_age"] = ago(last->at, now);
  if (now - last->at > spec.ttl) {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Timeout;
    o.message = "last push " + ago(last->at, now) + " ago (ttl " + formatDuration(spec.ttl) + ")";
    if (!last->message.empty()) {
      o.details["last_message"] = last->message;
    }
    return o;
  }
  o.raw_status = last->status;
  if (last->status == HealthStatus::Down) {
    o.failure_kind = FailureKind::Unexpected;
  }
  o.message = last->message.empty() ? "pushed " + ago(last->at, now) + " ago" : last->message;
  return o;
}

std::unique_ptr<Probe> makeHeartbeatProbe(const std::string& check, HeartbeatCheckSpec spec,
                                          HeartbeatBoard& board, boost::asio::io_context& io,
                                          Clock& clock) {
  return std::make_unique<HeartbeatProbe>(check, spec, board, io, clock);
}

}  // namespace vitals::agent
