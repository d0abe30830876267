#include "agent/publish/agent_presence.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "common/model/codec.hpp"
#include "common/nats/subjects.hpp"
#include "common/time/backoff.hpp"

namespace vitals::agent {

AgentPresence::AgentPresence(PresenceSettings settings, Clock& clock, Timers& timers,
                             Random& random, BusPublisher& publisher, WorkQueue& queue,
                             std::function<PresenceCounters()> counters, metrics::Registry& metrics,
                             std::shared_ptr<spdlog::logger> logger)
    : settings_(std::move(settings)),
      clock_(clock),
      timers_(timers),
      random_(random),
      publisher_(publisher),
      queue_(queue),
      counters_(std::move(counters)),
      logger_(std::move(logger)),
      id_prefix_(settings_.agent_id + "." + settings_.boot_id + "."),
      heartbeats_failed_(metrics.counter("vitals_agent_heartbeats_failed_total",
                                         "Heartbeats the bus did not store (not retried)")),
      registrations_failed_(metrics.counter("vitals_agent_registration_failures_total",
                                            "Failed attempts to publish the registration")) {}

AgentPresence::~AgentPresence() {
  alive_.reset();
  timers_.cancel(heartbeat_timer_);
  timers_.cancel(registration_retry_);
}

Registration AgentPresence::buildRegistration(bool with_checks) const {
  Registration reg;
  reg.agent_id = settings_.agent_id;
  reg.boot_id = settings_.boot_id;
  reg.hostname = settings_.hostname;
  reg.version = settings_.version;
  if (with_checks && settings_.checks) {
    reg.checks = settings_.checks();
  }
  reg.sent_at = clock_.now();
  reg.config_hash = settings_.config_hash;
  reg.labels = settings_.labels;
  reg.actions = settings_.actions;
  reg.action_specs = settings_.action_specs;
  return reg;
}

void AgentPresence::publish(std::string subject, std::string payload, std::string msg_id,
                            std::function<void(Result<PublishAck>)> done) {
  std::weak_ptr<bool> alive = alive_;
  runOffLoop<Result<PublishAck>>(
      queue_,
      [&publisher = publisher_, subject = std::move(subject), payload = std::move(payload),
       msg_id = std::move(msg_id)] { return publisher.publish(subject, payload, msg_id); },
      [alive, done = std::move(done)](Result<PublishAck> ack) {
        if (!alive.expired()) {
          done(std::move(ack));
        }
      },
      [](const std::string& what) -> Result<PublishAck> {
        return Error{"publish.exception", what, {}};
      });
}

void AgentPresence::start() {
  stopped_ = false;
  registration_n_ = 1;
  publishRegistration();
  next_heartbeat_ = clock_.steadyNow();
  heartbeat();
}

void AgentPresence::reregister() {
  if (stopped_) {
    return;
  }
  ++registration_n_;
  registration_failures_ = 0;
  timers_.cancel(registration_retry_);
  registration_retry_ = 0;
  publishRegistration();  // if one is on the way, its completion publishes this one
}

void AgentPresence::checksChanged(std::size_t check_count, std::string config_hash) {
  settings_.check_count = check_count;
  settings_.config_hash = std::move(config_hash);
  reregister();
}

void AgentPresence::publishRegistration() {
  if (registration_publishing_ || stopped_) {
    return;
  }
  registration_publishing_ = true;
  const std::uint64_t n = registration_n_;
  const Registration reg = buildRegistration(true);
  publish(subjects::agentRegister(settings_.agent_id), codec::encodeRegistration(reg),
          id_prefix_ + "reg." + std::to_string(n),
          [this, n](Result<PublishAck> ack) { onRegistrationPublished(n, ack); });
}

void AgentPresence::onRegistrationPublished(std::uint64_t n, const Result<PublishAck>& ack) {
  registration_publishing_ = false;
  if (stopped_) {
    return;
  }
  if (ack.ok()) {
    ++registrations_stored_;
    registration_failures_ = 0;
    logger_->info("registered as agent {} (boot {}, {} checks)", settings_.agent_id,
                  settings_.boot_id, settings_.check_count);
    if (n != registration_n_) {
      publishRegistration();  // a newer one was asked for meanwhile
    }
    return;
  }
  ++registration_failures_;
  registrations_failed_.inc();
  if (registration_failures_ == 1) {
    logger_->warn("cannot publish the registration ({}); retrying", ack.error().describe());
  }
  // Exponential backoff with +-20% jitter; the same n (and so the same message id) is retried.
  const Backoff backoff{withSpreadJitter(
      BackoffPolicy{.initial = settings_.retry_min, .max = settings_.retry_max}, 0.2)};
  const auto delay = backoff.delay(registration_failures_, random_);
  std::weak_ptr<bool> alive = alive_;
  registration_retry_ = timers_.scheduleAfter(clock_.steadyNow(), delay, [this, alive] {
    if (alive.expired()) {
      return;
    }
    registration_retry_ = 0;
    publishRegistration();
  });
}

void AgentPresence::scheduleHeartbeat() {
  next_heartbeat_ += settings_.heartbeat_interval;
  std::weak_ptr<bool> alive = alive_;
  heartbeat_timer_ = timers_.scheduleAt(next_heartbeat_, [this, alive] {
    if (alive.expired()) {
      return;
    }
    heartbeat_timer_ = 0;
    heartbeat();
  });
}

void AgentPresence::heartbeat() {
  if (stopped_) {
    return;
  }
  scheduleHeartbeat();
  if (heartbeat_publishing_) {
    // The previous one is still waiting for the bus; a queue of stale heartbeats helps nobody.
    heartbeats_failed_.inc();
    return;
  }
  const PresenceCounters counters = counters_ ? counters_() : PresenceCounters{};
  Heartbeat hb;
  hb.agent_id = settings_.agent_id;
  hb.boot_id = settings_.boot_id;
  hb.version = settings_.version;
  hb.check_count = static_cast<std::uint32_t>(settings_.check_count);
  hb.sent_at = clock_.now();
  hb.interval = settings_.heartbeat_interval;
  hb.last_seq = counters.last_seq;
  hb.spooled = counters.buffered;
  const std::uint64_t n = ++heartbeat_n_;
  heartbeat_publishing_ = true;
  publish(subjects::agentHeartbeat(settings_.agent_id), codec::encodeHeartbeat(hb),
          id_prefix_ + "hb." + std::to_string(n), [this](Result<PublishAck> ack) {
            heartbeat_publishing_ = false;
            if (!ack.ok()) {
              heartbeats_failed_.inc();
              logger_->debug("heartbeat not stored: {}", ack.error().describe());
            }
          });
}

void AgentPresence::stop(std::function<void(bool)> done) {
  stopped_ = true;
  timers_.cancel(heartbeat_timer_);
  heartbeat_timer_ = 0;
  timers_.cancel(registration_retry_);
  registration_retry_ = 0;
  const Registration reg = buildRegistration(false);
  publish(subjects::agentDeregister(settings_.agent_id), codec::encodeRegistration(reg),
          id_prefix_ + "dereg", [this, done = std::move(done)](Result<PublishAck> ack) {
            if (ack.ok()) {
              logger_->info("deregistered agent {}", settings_.agent_id);
            } else {
              logger_->warn("cannot publish the deregistration: {}", ack.error().describe());
            }
            if (done) {
              done(ack.ok());
            }
          });
}

}  // namespace vitals::agent
