#include "agent/publish/result_pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "common/model/codec.hpp"
#include "common/nats/subjects.hpp"
#include "common/time/backoff.hpp"

namespace vitals::agent {
ResultPipeline::ResultPipeline(PipelineSettings settings, Clock& clock, Timers& timers,
                               Random& random, BusPublisher& publisher, WorkQueue& queue,
                               Spool& spool, metrics::Registry& metrics,
                               std::shared_ptr<spdlog::logger> logger)
    : settings_(std::move(settings)),
      clock_(clock),
      timers_(timers),
      random_(random),
      publisher_(publisher),
      queue_(queue),
      spool_(spool),
      logger_(std::move(logger)),
      subject_(subjects::agentResults(settings_.agent_id)),
      results_total_(metrics.counter("vitals_agent_results_total", "Check results produced")),
      published_total_(metrics.counter("vitals_agent_results_published_total",
                                       "Check results stored by JetStream")),
      batches_total_(metrics.counter("vitals_agent_batches_published_total",
                                     "Result batches stored by JetStream")),
      dropped_counter_(metrics.counter(
          "vitals_agent_spool_dropped_total",
          "Unsent results dropped because the spool was full (or could not be written)")),
      failures_total_(metrics.counter("vitals_agent_publish_failures_total",
                                      "Failed attempts to publish a result batch")),
      spool_errors_(metrics.counter("vitals_agent_spool_write_errors_total",
                                    "Batches that could not be written to the spool")),
      buffered_gauge_(metrics.gauge("vitals_agent_results_buffered",
                                    "Results not yet stored by JetStream (batching + spool)")),
      spool_bytes_(metrics.gauge("vitals_agent_spool_bytes", "Bytes held by the spool")),
      spool_batches_(
          metrics.gauge("vitals_agent_spool_batches", "Batches in the spool, not yet stored")) {
  settings_.max_batch = std::max<std::size_t>(settings_.max_batch, 1);
  settings_.drain_rate = std::max<std::uint32_t>(settings_.drain_rate, 1);
  backlog_ = !spool_.empty();
  updateGauges();
}

ResultPipeline::~ResultPipeline() {
  alive_.reset();
  timers_.cancel(delay_timer_);
  timers_.cancel(retry_timer_);
  timers_.cancel(pace_timer_);
  timers_.cancel(drain_timer_);
}

std::size_t ResultPipeline::buffered() const {
  return pending_.size() + static_cast<std::size_t>(spool_.results());
}

void ResultPipeline::updateGauges() {
  buffered_gauge_.set(static_cast<double>(buffered()));
  spool_bytes_.set(static_cast<double>(spool_.bytes()));
  spool_batches_.set(static_cast<double>(spool_.batches()));
}

void ResultPipeline::start() {
  if (!spool_.empty()) {
    logger_->info("spool holds {} results in {} batches from an earlier run: publishing them first",
                  spool_.results(), spool_.batches());
  }
  pump();
}

void ResultPipeline::add(CheckResult result) {
  result.agent_id = settings_.agent_id;
  result.boot_id = settings_.boot_id;
  result.seq = ++last_seq_;
  results_total_.inc();
  pending_.push_back(Pending{std::move(result), clock_.steadyNow()});
  maybeBatch();
}

void ResultPipeline::maybeBatch() {
  while (pending_.size() >= settings_.max_batch) {
    spoolBatch(settings_.max_batch);
  }
  if (!pending_.empty()) {
    const SteadyTime due = pending_.front().added + settings_.max_delay;
    if (draining_ || clock_.steadyNow() >= due) {
      spoolBatch(pending_.size());
    } else if (delay_timer_ == 0) {
      std::weak_ptr<bool> alive = alive_;
      delay_timer_ = timers_.scheduleAt(due, [this, alive] {
        if (alive.expired()) {
          return;
        }
        delay_timer_ = 0;
        maybeBatch();
      });
    }
  }
  updateGauges();
  pump();
}

void ResultPipeline::spoolBatch(std::size_t n) {
  timers_.cancel(delay_timer_);
  delay_timer_ = 0;
  ResultBatch rb;
  rb.agent_id = settings_.agent_id;
  rb.boot_id = settings_.boot_id;
  rb.results.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    rb.results.push_back(std::move(pending_.front().result));
    pending_.pop_front();
  }
  const std::string msg_id = codec::batchMessageId(rb);
  auto appended =
      spool_.append(msg_id, codec::encodeBatch(rb), static_cast<std::uint32_t>(rb.results.size()));
  if (!appended) {
    spool_errors_.inc();
    logger_->error("cannot spool results {}..{}: {}", rb.results.front().seq, rb.results.back().seq,
                   appended.error().describe());
    countDropped(rb.results.size(), "the spool could not be written");
    return;
  }
  if (appended->dropped_results > 0) {
    countDropped(appended->dropped_results,
                 "the spool is full (" + std::to_string(spool_.bytes()) + " bytes)");
  }
}

void ResultPipeline::countDropped(std::uint64_t results, const std::string& why) {
  dropped_total_ += results;
  dropped_counter_.inc(results);
  if (dropped_in_episode_ == 0) {
    logger_->warn(
        "dropping the oldest unsent results: {}; counted in "
        "vitals_agent_spool_dropped_total (logged once until the spool drains)",
        why);
  }
  dropped_in_episode_ += results;
}

void ResultPipeline::pump() {
  if (publishing_ || retry_timer_ != 0 || pace_timer_ != 0) {
    return;
  }
  auto front = spool_.front();
  if (!front) {
    if (backlog_) {
      backlog_ = false;
      if (dropped_in_episode_ > 0) {
        logger_->warn("spool drained; {} results were dropped while it was full",
                      dropped_in_episode_);
      }
      dropped_in_episode_ = 0;
    }
    finishDrainIfDone();
    return;
  }
  publishing_ = true;
  std::weak_ptr<bool> alive = alive_;
  auto payload = std::make_shared<const std::string>(std::move(front->payload));
  runOffLoop<Result<PublishAck>>(
      queue_,
      [&publisher = publisher_, subject = subject_, payload, id = front->msg_id] {
        return publisher.publish(subject, *payload, id);
      },
      [this, alive, id = front->id, results = front->results,
       msg_id = front->msg_id](Result<PublishAck> ack) {
        if (!alive.expired()) {
          onPublished(id, results, msg_id, ack);
        }
      },
      [](const std::string& what) -> Result<PublishAck> {
        return Error{"publish.exception", what, {}};
      });
}

void ResultPipeline::onPublished(std::uint64_t id, std::uint32_t results, const std::string& msg_id,
                                 const Result<PublishAck>& ack) {
  publishing_ = false;
  std::weak_ptr<bool> alive = alive_;
  if (ack.ok()) {
    // false when the spool dropped this batch meanwhile to make room: it is stored anyway.
    (void)spool_.pop(id);
    published_total_.inc(results);
    batches_total_.inc();
    if (outage_) {
      logger_->info(
          "publishing results again after {} failed attempts; {} results in the spool, {} "
          "dropped meanwhile",
          failures_in_row_, spool_.results(), dropped_in_episode_);
    }
    logger_->debug("published batch {} ({} results{})", msg_id, results,
                   ack->duplicate ? ", duplicate" : "");
    outage_ = false;
    failures_in_row_ = 0;
    updateGauges();
    if (backlog_ && !spool_.empty()) {
      // Pace the backlog so a returning agent does not flood the bus and the hub.
      const auto gap = std::chrono::microseconds{1'000'000 / settings_.drain_rate};
      pace_timer_ = timers_.scheduleAfter(clock_.steadyNow(), gap, [this, alive] {
        if (alive.expired()) {
          return;
        }
        pace_timer_ = 0;
        pump();
      });
      return;
    }
    pump();
    return;
  }
  ++failures_in_row_;
  failures_total_.inc();
  backlog_ = true;
  if (!outage_) {
    outage_ = true;
    logger_->warn("cannot publish results to {} ({}); spooling {} results and retrying", subject_,
                  ack.error().describe(), buffered());
  } else {
    logger_->debug("publish attempt {} failed: {}", failures_in_row_, ack.error().describe());
  }
  // +-20%: agents don't retry in step
  const Backoff backoff{withSpreadJitter(
      BackoffPolicy{.initial = settings_.retry_min, .max = settings_.retry_max}, 0.2)};
  const auto delay = backoff.delay(failures_in_row_, random_);
  retry_timer_ = timers_.scheduleAfter(clock_.steadyNow(), delay, [this, alive] {
    if (alive.expired()) {
      return;
    }
    retry_timer_ = 0;
    pump();
  });
}

void ResultPipeline::retryNow() {
  if (retry_timer_ != 0) {
    timers_.cancel(retry_timer_);
    retry_timer_ = 0;
    pump();
  }
}

void ResultPipeline::drain(SteadyTime deadline, std::function<void(std::size_t)> done) {
  draining_ = true;
  drain_done_ = std::move(done);
  std::weak_ptr<bool> alive = alive_;
  drain_timer_ = timers_.scheduleAt(deadline, [this, alive] {
    if (alive.expired()) {
      return;
    }
    drain_timer_ = 0;
    if (drain_done_) {
      auto done = std::move(drain_done_);
      drain_done_ = nullptr;
      done(buffered());
    }
  });
  maybeBatch();
  finishDrainIfDone();
}

void ResultPipeline::finishDrainIfDone() {
  if (draining_ && drain_done_ && buffered() == 0 && !publishing_) {
    timers_.cancel(drain_timer_);
    drain_timer_ = 0;
    auto done = std::move(drain_done_);
    drain_done_ = nullptr;
    done(0);
  }
}

}  // namespace vitals::agent
