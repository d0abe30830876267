#include "hub/replica/job_lease.hpp"

namespace vitals::hub::replica {

std::int64_t jobKey(std::string_view job) {
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  mix("vitals.job.");
  mix(job);
  return static_cast<std::int64_t>(h & 0x7fffffffffffffffULL);
}

JobLease::JobLease(std::string replica_id, std::vector<std::string> jobs, LockSession& session,
                   const Clock& clock, metrics::Registry& r, std::shared_ptr<spdlog::logger> logger)
    : replica_id_(std::move(replica_id)),
      session_(session),
      clock_(clock),
      logger_(std::move(logger)),
      acquired_(r.counter("vitals_replica_lease_acquired_total",
                          "Once-per-site jobs this replica took over")),
      lost_(r.counter("vitals_replica_lease_lost_total",
                      "Once-per-site jobs this replica gave up (database session lost)")),
      errors_(r.counter("vitals_replica_lease_errors_total",
                        "Lease rounds that could not reach the database")),
      held_gauge_(r.gauge("vitals_replica_jobs_held", "Once-per-site jobs held by this replica")) {
  for (auto& j : jobs) {
    JobHolding h;
    h.job = j;
    jobs_.emplace(std::move(j), std::move(h));
  }
}

bool JobLease::holds(std::string_view job) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job);
  return it != jobs_.end() && it->second.held;
}

std::vector<JobHolding> JobLease::holdings() const {
  std::lock_guard lock(mu_);
  std::vector<JobHolding> out;
  for (const auto& [name, h] : jobs_) {
    out.push_back(h);
  }
  return out;
}

void JobLease::loseAll(const std::string& why) {
  std::vector<std::string> lost;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, h] : jobs_) {
      if (h.held) {
        h.held = false;
        h.since.reset();
        lost.push_back(name);
      }
    }
  }
  held_gauge_.set(0);
  if (lost.empty()) {
    return;
  }
  lost_.inc(lost.size());
  logger_->warn("replica {} gave up {} job(s): {}", replica_id_, lost.size(), why);
  for (const auto& j : lost) {
    if (on_lost_) {
      on_lost_(j);
    }
  }
}

void JobLease::tick() {
  if (open_) {
    if (auto s = session_.ping(); !s.ok()) {
      errors_.inc();
      open_ = false;
      session_.close();
      loseAll("lease session lost: " + s.error().describe());
    }
  }
  if (!open_) {
    if (auto s = session_.open(); !s.ok()) {
      errors_.inc();
      logger_->debug("lease session cannot open: {}", s.error().describe());
      return;
    }
    open_ = true;
  }
  std::vector<std::string> wanted;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, h] : jobs_) {
      if (!h.held) {
        wanted.push_back(name);
      }
    }
  }
  for (const auto& job : wanted) {
    auto got = session_.tryLock(jobKey(job));
    if (!got.ok()) {
      errors_.inc();
      open_ = false;
      session_.close();
      loseAll("lease session lost: " + got.error().describe());
      return;
    }
    if (!got.value()) {
      continue;
    }
    if (auto s = session_.recordHolder(job, replica_id_); !s.ok()) {
      logger_->warn("cannot record the holder of job {}: {}", job, s.error().describe());
    }
    // The new holder loads what it needs from the database before it starts the job.
    if (on_acquired_) {
      on_acquired_(job);
    }
    std::size_t held = 0;
    {
      std::lock_guard lock(mu_);
      auto& h = jobs_.at(job);
      h.held = true;
      h.since = clock_.now();
      for (const auto& [name, other] : jobs_) {
        held += other.held ? 1 : 0;
      }
    }
    held_gauge_.set(static_cast<double>(held));
    acquired_.inc();
    logger_->info("replica {} now runs job {}", replica_id_, job);
  }
}

void JobLease::release() {
  {
    std::lock_guard lock(mu_);
    for (auto& [name, h] : jobs_) {
      h.held = false;
      h.since.reset();
    }
  }
  held_gauge_.set(0);
  if (open_) {
    session_.close();
    open_ = false;
  }
}

void LeaseRenewer::start() {
  stopped_ = false;
  if (!timer_) {
    run();
  }
}

void LeaseRenewer::stop() {
  stopped_ = true;
  if (timer_) {
    timers_.cancel(*timer_);
    timer_.reset();
  }
}

void LeaseRenewer::run() {
  try {
    lease_.tick();  // nothing may escape the event loop
  } catch (const std::exception&) {
  }
  timer_ = timers_.scheduleAfter(clock_.steadyNow(), interval_, [this] {
    timer_.reset();
    if (!stopped_) {
      run();
    }
  });
}

}  // namespace vitals::hub::replica
