#include "agent/publish/result_pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "common/model/codec.hpp"
#include "common/nats/subjects.hpp"

namespace vitals::agent {
namespace {

using std::chrono::milliseconds;

milliseconds backoff(milliseconds min, milliseconds max, std::uint32_t failures, Random& random) {
  const int exponent =
      static_cast<int>(std::min<std::uint32_t>(failures == 0 ? 0 : failures - 1, 30));
  const double base = std::min(static_cast<double>(min.count()) * std::ldexp(1.0, exponent),
                               static_cast<double>(max.count()));
  const double factor = 0.8 + 0.4 * random.uniform();  // +-20%: agents don't retry in step
  return milliseconds{static_cast<std::int64_t>(base * factor)};
}

}  // namespace

ResultPipeline::ResultPipeline(PipelineSettings settings, Clock& clock, Timers& timers,
                               Random& random, BusPublisher& publisher, WorkQueue& queue,
                               metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger)
    : settings_(std::move(settings)),
      clock_(clock),
      timers_(timers),
      random_(random),
      publisher_(publisher),
      queue_(queue),
      logger_(std::move(logger)),
      subject_(subjects::agentResults(settings_.agent_id)),
      results_total_(metrics.counter("vitals_agent_results_total", "Check results produced")),
      published_total_(metrics.counter("vitals_agent_results_published_total",
                                       "Check results stored by JetStream")),
      batches_total_(metrics.counter("vitals_agent_batches_published_total",
                                     "Result batches stored by JetStream")),
      dropped_counter_(metrics.counter(
          "vitals_agent_results_dropped_total",
          "Unsent results dropped because more than publish.max_buffered were held")),
      failures_total_(metrics.counter("vitals_agent_publish_failures_total",
                                      "Failed attempts to publish a result batch")),
      buffered_gauge_(metrics.gauge("vitals_agent_results_buffered",
                                    "Results held in memory, waiting to be published")) {
  settings_.max_batch = std::max<std::size_t>(settings_.max_batch, 1);
  settings_.max_buffered = std::max(settings_.max_buffered, settings_.max_batch);
}

ResultPipeline::~ResultPipeline() {
  alive_.reset();
  timers_.cancel(delay_timer_);
  timers_.cancel(retry_timer_);
  timers_.cancel(drain_timer_);
}

std::size_t ResultPipeline::buffered() const {
  return pending_.size() + (batch_ ? batch_->count : 0);
}

void ResultPipeline::updateGauge() { buffered_gauge_.set(static_cast<double>(buffered())); }

void ResultPipeline::add(CheckResult result) {
  result.agent_id = settings_.agent_id;
  result.boot_id = settings_.boot_id;
  result.seq = ++last_seq_;
  results_total_.inc();
  pending_.push_back(Pending{std::move(result), clock_.steadyNow()});
  // The batch being published is never touched (its bytes and id must stay the same); the
  // oldest results behind it go first.
  while (buffered() > settings_.max_buffered && !pending_.empty()) {
    const std::uint64_t seq = pending_.front().result.seq;
    pending_.pop_front();
    ++dropped_total_;
    ++dropped_in_outage_;
    dropped_counter_.inc();
    if (dropped_in_outage_ == 1) {
      logger_->warn(
          "result buffer full ({} results): dropping the oldest unsent results "
          "(first dropped seq {})",
          settings_.max_buffered, seq);
    }
  }
  updateGauge();
  maybeSend();
}

void ResultPipeline::maybeSend() {
  if (batch_ || pending_.empty()) {
    return;
  }
  const SteadyTime now = clock_.steadyNow();
  const SteadyTime due = pending_.front().added + settings_.max_delay;
  if (pending_.size() >= settings_.max_batch || draining_ || now >= due) {
    formBatch();
    publishBatch();
    return;
  }
  if (delay_timer_ == 0) {
    std::weak_ptr<bool> alive = alive_;
    delay_timer_ = timers_.scheduleAt(due, [this, alive] {
      if (alive.expired()) {
        return;
      }
      delay_timer_ = 0;
      maybeSend();
    });
  }
}

void ResultPipeline::formBatch() {
  timers_.cancel(delay_timer_);
  delay_timer_ = 0;
  ResultBatch rb;
  rb.agent_id = settings_.agent_id;
  rb.boot_id = settings_.boot_id;
  const std::size_t n = std::min(settings_.max_batch, pending_.size());
  rb.results.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    rb.results.push_back(std::move(pending_.front().result));
    pending_.pop_front();
  }
  Batch b;
  b.count = n;
  b.first_seq = rb.results.front().seq;
  b.last_seq = rb.results.back().seq;
  b.msg_id = codec::batchMessageId(rb);
  b.payload = std::make_shared<const std::string>(codec::encodeBatch(rb));
  batch_ = std::move(b);
}

void ResultPipeline::publishBatch() {
  if (!batch_ || publishing_) {
    return;
  }
  publishing_ = true;
  std::weak_ptr<bool> alive = alive_;
  runOffLoop<Result<PublishAck>>(
      queue_,
      [&publisher = publisher_, subject = subject_, payload = batch_->payload,
       id = batch_->msg_id] { return publisher.publish(subject, *payload, id); },
      [this, alive](Result<PublishAck> ack) {
        if (!alive.expired()) {
          onPublished(ack);
        }
      },
      [](const std::string& what) -> Result<PublishAck> {
        return Error{"publish.exception", what, {}};
      });
}

void ResultPipeline::onPublished(const Result<PublishAck>& ack) {
  publishing_ = false;
  if (!batch_) {
    return;
  }
  if (ack.ok()) {
    published_total_.inc(batch_->count);
    batches_total_.inc();
    if (outage_) {
      logger_->info(
          "publishing results again after {} failed attempts; {} results held, {} "
          "dropped meanwhile",
          failures_in_row_, buffered() - batch_->count, dropped_in_outage_);
    }
    logger_->debug("published results {}..{} (msg id {}{})", batch_->first_seq, batch_->last_seq,
                   batch_->msg_id, ack->duplicate ? ", duplicate" : "");
    outage_ = false;
    failures_in_row_ = 0;
    dropped_in_outage_ = 0;
    batch_.reset();
    updateGauge();
    maybeSend();
    finishDrainIfDone();
    return;
  }
  ++failures_in_row_;
  failures_total_.inc();
  if (!outage_) {
    outage_ = true;
    logger_->warn("cannot publish results to {} ({}); holding {} results and retrying", subject_,
                  ack.error().describe(), buffered());
  } else {
    logger_->debug("publish attempt {} failed: {}", failures_in_row_, ack.error().describe());
  }
  const auto delay = backoff(settings_.retry_min, settings_.retry_max, failures_in_row_, random_);
  std::weak_ptr<bool> alive = alive_;
  retry_timer_ = timers_.scheduleAfter(clock_.steadyNow(), delay, [this, alive] {
    if (alive.expired()) {
      return;
    }
    retry_timer_ = 0;
    publishBatch();
  });
}

void ResultPipeline::retryNow() {
  if (batch_ && !publishing_ && retry_timer_ != 0) {
    timers_.cancel(retry_timer_);
    retry_timer_ = 0;
    publishBatch();
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
  maybeSend();
  finishDrainIfDone();
}

void ResultPipeline::finishDrainIfDone() {
  if (draining_ && drain_done_ && buffered() == 0) {
    timers_.cancel(drain_timer_);
    drain_timer_ = 0;
    auto done = std::move(drain_done_);
    drain_done_ = nullptr;
    done(0);
  }
}

}  // namespace vitals::agent
