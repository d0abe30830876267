#include "hub/ingest/batch_processor.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

#include "common/model/codec.hpp"
#include "common/nats/subjects.hpp"

namespace vitals::hub::ingest {
namespace {

using Verdict = DecodedMessage::Verdict;

DecodedMessage verdict(Verdict v, std::string reason) {
  DecodedMessage d;
  d.verdict = v;
  d.reason = std::move(reason);
  return d;
}

// The payload's agent must be the subject's: NATS permissions bind an agent to its subjects,
// so this is what stops one agent from writing another's history.
std::optional<DecodedMessage> checkAgent(const std::string& payload_agent,
                                         const std::string& subject_agent) {
  if (payload_agent != subject_agent || !subjects::isValidToken(payload_agent)) {
    return verdict(Verdict::Rejected, "payload agent \"" + payload_agent +
                                          "\" does not match subject agent \"" + subject_agent +
                                          "\"");
  }
  return std::nullopt;
}

}  // namespace

DecodedMessage decodeMessage(std::string_view subject, std::string_view data) {
  subjects::AgentSubject s;
  if (!subjects::parseAgentSubject(subject, s)) {
    return verdict(Verdict::Malformed,
                   "subject \"" + std::string(subject) + "\" is not vitals.agent.<agent>.<kind>");
  }
  DecodedMessage d;
  if (s.kind == "results") {
    auto batch = codec::decodeBatch(data);
    if (!batch.ok()) {
      return verdict(Verdict::Malformed, batch.error().message);
    }
    if (auto bad = checkAgent(batch->agent_id, s.agent)) {
      return *bad;
    }
    for (const auto& r : batch->results) {
      // seq is stored as bigint.
      if (r.seq > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return verdict(Verdict::Malformed, "seq " + std::to_string(r.seq) + " out of range");
      }
    }
    d.results = std::move(batch->results);
    return d;
  }
  if (s.kind == "register" || s.kind == "deregister") {
    auto reg = codec::decodeRegistration(data);
    if (!reg.ok()) {
      return verdict(Verdict::Malformed, reg.error().message);
    }
    if (auto bad = checkAgent(reg->agent_id, s.agent)) {
      return *bad;
    }
    if (s.kind == "register") {
      d.catalog = std::move(reg).value();
    } else {
      d.catalog = store::Deregistration{reg->agent_id, reg->boot_id, reg->sent_at};
    }
    return d;
  }
  if (s.kind == "heartbeat") {
    auto hb = codec::decodeHeartbeat(data);
    if (!hb.ok()) {
      return verdict(Verdict::Malformed, hb.error().message);
    }
    if (auto bad = checkAgent(hb->agent_id, s.agent)) {
      return *bad;
    }
    d.catalog = std::move(hb).value();
    return d;
  }
  return verdict(Verdict::Malformed, "unknown message kind \"" + s.kind + "\"");
}

IngestMetrics::IngestMetrics(metrics::Registry& r)
    : messages(r.counter("vitals_ingest_messages_total", "Messages fetched from JetStream")),
      results(r.counter("vitals_ingest_results_total", "Results newly stored in health_checks")),
      duplicates(r.counter("vitals_ingest_duplicates_total",
                           "Results dropped because they were already stored (replays)")),
      malformed(r.counter("vitals_ingest_malformed_total",
                          "Messages that could not be decoded or stored, terminated")),
      rejected(r.counter("vitals_ingest_rejected_total",
                         "Messages whose agent id did not match their subject, terminated")),
      batches(r.counter("vitals_ingest_batches_total", "Committed ingest transactions")),
      db_errors(r.counter("vitals_ingest_db_errors_total",
                          "Failed ingest commits (messages redelivered later)")),
      settle_errors(r.counter("vitals_ingest_settle_errors_total",
                              "ack/nak/term calls that failed (JetStream redelivers)")),
      last_commit(r.gauge("vitals_ingest_last_commit_seconds",
                          "Unix time of the last committed ingest transaction")),
      commit_duration(
          r.gauge("vitals_ingest_commit_duration_seconds", "Duration of the last ingest commit")),
      lag(r.gauge("vitals_ingest_lag_seconds",
                  "Ingest lag: from the oldest result's observation by its agent to the commit "
                  "of its batch (the last commit; agents' clocks skew it)")) {}

BatchProcessor::BatchProcessor(store::EventStore& store, state::HubState& state,
                               metrics::Registry& registry, const Clock& clock,
                               std::shared_ptr<spdlog::logger> logger)
    : store_(store), state_(state), metrics_(registry), clock_(clock), logger_(std::move(logger)) {}

void BatchProcessor::settle(InboundMessage& msg, Status (InboundMessage::*how)(),
                            const char* what) {
  if (auto s = (msg.*how)(); !s.ok()) {
    metrics_.settle_errors.inc();
    logger_->debug("{} of a message on {} failed: {}", what, msg.subject(), s.error().describe());
  }
}

Status BatchProcessor::process(MessageList& messages) {
  metrics_.messages.inc(messages.size());
  std::vector<Pending> pending;
  pending.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto& m = messages[i];
    auto decoded = m->takeDecoded();
    switch (decoded.verdict) {
      case Verdict::Malformed:
        metrics_.malformed.inc();
        logger_->warn("malformed message on {} (delivery {}), terminated: {}", m->subject(),
                      m->numDelivered(), decoded.reason);
        settle(*m, &InboundMessage::term, "term");
        break;
      case Verdict::Rejected:
        metrics_.rejected.inc();
        logger_->warn("forged message on {}, terminated: {}", m->subject(), decoded.reason);
        settle(*m, &InboundMessage::term, "term");
        break;
      case Verdict::Accept:
        pending.push_back(Pending{m.get(), std::move(decoded), i});
        break;
    }
  }
  if (pending.empty()) {
    return okStatus();
  }
  return commitAll(messages, pending);
}

void BatchProcessor::ackAll(MessageList& messages, const std::vector<Pending>& pending) {
  if (ack_sink_ == nullptr) {
    for (const auto& p : pending) {
      settle(*p.msg, &InboundMessage::ack, "ack");
    }
    return;
  }
  MessageList committed;
  committed.reserve(pending.size());
  for (const auto& p : pending) {
    committed.push_back(std::move(messages[p.index]));
  }
  ack_sink_->ackCommitted(std::move(committed));
}

store::IngestBatch BatchProcessor::buildBatch(const std::vector<Pending*>& items) const {
  store::IngestBatch batch;
  batch.received_at = clock_.now();
  std::size_t total = 0;
  for (const auto* p : items) {
    total += p->decoded.results.size();
  }
  batch.results.reserve(total);
  for (auto* p : items) {
    if (p->decoded.catalog) {
      batch.catalog.push_back(*p->decoded.catalog);
    }
    // Moved, not copied: results are the bulk of the hub's work. returnResults() gives them
    // back when the batch has to be retried message by message.
    std::move(p->decoded.results.begin(), p->decoded.results.end(),
              std::back_inserter(batch.results));
  }
  return batch;
}

void BatchProcessor::returnResults(store::IngestBatch& batch, const std::vector<Pending*>& items) {
  auto next = batch.results.begin();
  for (auto* p : items) {
    for (auto& r : p->decoded.results) {
      r = std::move(*next++);
    }
  }
}

void BatchProcessor::committed(const store::IngestBatch& batch, const store::CommitReport& report,
                               SteadyTime started) {
  metrics_.batches.inc();
  metrics_.results.inc(report.inserted);
  metrics_.duplicates.inc(report.duplicates);
  metrics_.last_commit.set(std::chrono::duration<double>(clock_.now().time_since_epoch()).count());
  metrics_.commit_duration.set(std::chrono::duration<double>(clock_.steadyNow() - started).count());
  if (!batch.results.empty()) {
    const auto oldest = std::min_element(
        batch.results.begin(), batch.results.end(),
        [](const CheckResult& a, const CheckResult& b) { return a.observed_at < b.observed_at; });
    metrics_.lag.set(
        std::max(0.0, std::chrono::duration<double>(clock_.now() - oldest->observed_at).count()));
  }
  // The same order as the store: catalog first, then results.
  for (const auto& event : batch.catalog) {
    if (const auto* reg = std::get_if<Registration>(&event)) {
      state_.applyRegistration(*reg);
    }
  }
  // Only the newest result of each check can change the state; the rest are history.
  for (const CheckResult* r : store::newestPerCheck(batch.results)) {
    state_.applyResult(*r);
  }
  if (commit_hook_) {
    commit_hook_(batch);
  }
}

void BatchProcessor::refuse(Pending& p, const Error& error) {
  metrics_.malformed.inc();
  logger_->error("message on {} refused by the database, terminated: {}", p.msg->subject(),
                 error.describe());
  settle(*p.msg, &InboundMessage::term, "term");
}

Status BatchProcessor::commitAll(MessageList& messages, std::vector<Pending>& pending) {
  std::vector<Pending*> items;
  for (auto& p : pending) {
    items.push_back(&p);
  }
  auto batch = buildBatch(items);
  const SteadyTime started = clock_.steadyNow();
  auto report = store_.commit(batch);
  if (!report.ok() && report.error().code == "db.data") {
    returnResults(batch, items);
  }
  if (report.ok()) {
    // The state first (transitions reach alerting sooner), then the acks: only now is it safe
    // to let JetStream forget these messages.
    committed(batch, report.value(), started);
    ackAll(messages, pending);
    return okStatus();
  }
  metrics_.db_errors.inc();
  if (report.error().code == "db.data") {
    // Some row is refused and always will be: find it by committing one message at a time,
    // rather than blocking the stream behind it.
    if (pending.size() == 1) {
      refuse(pending.front(), report.error());
      return okStatus();
    }
    logger_->warn("batch of {} messages refused ({}); retrying one by one", pending.size(),
                  report.error().describe());
    return commitOneByOne(pending);
  }
  logger_->warn("ingest commit failed, {} messages will be redelivered: {}", pending.size(),
                report.error().describe());
  for (auto& p : pending) {
    settle(*p.msg, &InboundMessage::nak, "nak");
  }
  return report.error();
}

Status BatchProcessor::commitOneByOne(std::vector<Pending>& pending) {
  for (std::size_t i = 0; i < pending.size(); ++i) {
    auto& p = pending[i];
    const auto batch = buildBatch({&p});
    const SteadyTime started = clock_.steadyNow();
    auto report = store_.commit(batch);
    if (report.ok()) {
      settle(*p.msg, &InboundMessage::ack, "ack");
      committed(batch, report.value(), started);
      continue;
    }
    metrics_.db_errors.inc();
    if (report.error().code == "db.data") {
      refuse(p, report.error());
      continue;
    }
    logger_->warn("ingest commit failed, {} messages will be redelivered: {}", pending.size() - i,
                  report.error().describe());
    for (std::size_t k = i; k < pending.size(); ++k) {
      settle(*pending[k].msg, &InboundMessage::nak, "nak");
    }
    return report.error();
  }
  return okStatus();
}

}  // namespace vitals::hub::ingest
