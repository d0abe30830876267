#include "hub/notify/sender.hpp"

#include "hub/notify/backoff.hpp"

namespace vitals::hub::notify {

AttemptRecord decideAttempt(const DeliveryOutcome& outcome, int attempts, const RetryPolicy& retry,
                            std::chrono::system_clock::time_point now, Random& random) {
  AttemptRecord a;
  a.outcome = outcome;
  a.at = now;
  if (outcome.delivered) {
    a.result = AttemptResult::Delivered;
  } else if (!outcome.retryable || attempts >= retry.max_attempts) {
    a.result = AttemptResult::Failed;
  } else {
    a.result = AttemptResult::Retry;
    a.next_attempt_at = now + retryDelay(attempts, retry, random);
  }
  return a;
}

std::chrono::milliseconds claimLease(std::chrono::milliseconds timeout) {
  return timeout * 2 + std::chrono::seconds{5};
}

namespace {

// Random is not thread-safe: the workers share one behind a lock.
class LockedRandom final : public Random {
 public:
  LockedRandom(Random& inner, std::mutex& mu) : inner_(inner), mu_(mu) {}
  double uniform() override {
    std::lock_guard lock(mu_);
    return inner_.uniform();
  }
  std::uint64_t next64() override {
    std::lock_guard lock(mu_);
    return inner_.next64();
  }

 private:
  Random& inner_;
  std::mutex& mu_;
};

}  // namespace

Sender::Sender(StoreFactory stores, const Clock& clock, Random& random, NotifySettings settings,
               metrics::Registry& registry, std::shared_ptr<spdlog::logger> logger)
    : stores_(std::move(stores)),
      clock_(clock),
      random_(random),
      settings_(std::move(settings)),
      registry_(registry),
      logger_(std::move(logger)) {}

Sender::~Sender() { stop(); }

void Sender::addChannel(const std::string& name, std::unique_ptr<Notifier> notifier) {
  auto w = std::make_unique<Worker>();
  w->name = name;
  w->notifier = std::move(notifier);
  w->store = stores_();
  const std::string label = "channel=\"" + name + "\"";
  w->delivered = &registry_.counter("vitals_notify_delivered_total",
                                    "Notifications delivered", label);
  w->retried = &registry_.counter("vitals_notify_retries_total",
                                  "Failed delivery attempts that will be retried", label);
  w->failed = &registry_.counter("vitals_notify_failed_total",
                                 "Notifications given up (permanent error or out of attempts)",
                                 label);
  w->store_errors = &registry_.counter(
      "vitals_notify_store_errors_total",
      "Outbox reads/writes that failed (the channel waits and tries again)", label);
  workers_.push_back(std::move(w));
}

void Sender::start() {
  std::lock_guard lock(mu_);
  if (started_) {
    return;
  }
  started_ = true;
  for (auto& w : workers_) {
    Worker* raw = w.get();
    w->thread = std::thread([this, raw] { loop(*raw); });
  }
}

void Sender::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) {
    if (w->thread.joinable()) {
      w->thread.join();
    }
  }
}

void Sender::wake() {
  {
    std::lock_guard lock(mu_);
    ++wake_seq_;
  }
  cv_.notify_all();
}

Result<int> Sender::runOnce(const std::string& channel) {
  for (auto& w : workers_) {
    if (w->name == channel) {
      return pass(*w);
    }
  }
  return Error{"notify.channel", "no such channel", channel};
}

Result<int> Sender::pass(Worker& w) {
  auto rows = w.store->claim(w.name, clock_.now(), claimLease(settings_.timeout), 1);
  if (!rows.ok()) {
    return rows.error();
  }
  LockedRandom random(random_, random_mu_);
  for (const auto& row : rows.value()) {
    DeliveryOutcome outcome;
    nlohmann::json payload = nlohmann::json::parse(row.payload, nullptr, false);
    auto n = notificationFromJson(payload);
    if (!n.ok()) {
      outcome.retryable = false;
      outcome.error = n.error().message;
    } else {
      try {
        outcome = w.notifier->send(n.value());
      } catch (const std::exception& e) {  // a notifier must not throw; never lose the row
        outcome.error = std::string("notifier threw: ") + e.what();
      }
    }
    const auto record = decideAttempt(outcome, row.attempts, settings_.retry, clock_.now(), random);
    switch (record.result) {
      case AttemptResult::Delivered:
        w.delivered->inc();
        logger_->debug("notification {} delivered on {} (attempt {})", row.idempotency_key,
                       w.name, row.attempts);
        break;
      case AttemptResult::Retry:
        w.retried->inc();
        logger_->warn("notification {} on {} failed (attempt {}), retrying: {}",
                      row.idempotency_key, w.name, row.attempts, outcome.error);
        break;
      case AttemptResult::Failed:
        w.failed->inc();
        logger_->error("notification {} on {} given up after {} attempts: {}",
                       row.idempotency_key, w.name, row.attempts, outcome.error);
        break;
    }
    if (auto s = w.store->finish(row.id, record); !s.ok()) {
      // The row stays claimed and is re-sent after its lease: at least once, never lost.
      return s.error();
    }
  }
  return static_cast<int>(rows->size());
}

void Sender::loop(Worker& w) {
  int store_failures = 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        return;
      }
    }
    auto handled = pass(w);
    std::chrono::milliseconds wait = settings_.poll_interval;
    if (!handled.ok()) {
      w.store_errors->inc();
      ++store_failures;
      LockedRandom random(random_, random_mu_);
      wait = std::max(wait, retryDelay(store_failures,
                                       RetryPolicy{std::chrono::milliseconds{500},
                                                   std::chrono::seconds{30}, 0},
                                       random));
      logger_->warn("notification channel {}: outbox unavailable, retrying in {} ms: {}", w.name,
                    wait.count(), handled.error().describe());
    } else {
      store_failures = 0;
      if (handled.value() > 0) {
        continue;  // more may be due
      }
    }
    std::unique_lock lock(mu_);
    const auto seq = wake_seq_;
    cv_.wait_for(lock, wait, [&] { return stopping_ || wake_seq_ != seq; });
  }
}

}  // namespace vitals::hub::notify
