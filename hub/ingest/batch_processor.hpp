#pragma once
// The heart of ingest: turns one fetch into one EventStore commit and settles every message.
// Malformed and forged messages are terminated at once (never redelivered); the others are
// acked only after their commit, and nak'd when the commit failed. Single-threaded (the ingest
// thread).
#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/ingest/message_source.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/event_store.hpp"

namespace vitals::hub::ingest {

// The metric names are part of the interface (tests and dashboards use them).
struct IngestMetrics {
  explicit IngestMetrics(metrics::Registry& registry);
  metrics::Counter& messages;       // vitals_ingest_messages_total
  metrics::Counter& results;        // vitals_ingest_results_total (rows newly inserted)
  metrics::Counter& duplicates;     // vitals_ingest_duplicates_total
  metrics::Counter& malformed;      // vitals_ingest_malformed_total
  metrics::Counter& rejected;       // vitals_ingest_rejected_total
  metrics::Counter& batches;        // vitals_ingest_batches_total (committed transactions)
  metrics::Counter& db_errors;      // vitals_ingest_db_errors_total (failed commits)
  metrics::Counter& settle_errors;  // vitals_ingest_settle_errors_total (ack/nak/term failed)
  metrics::Gauge& last_commit;      // vitals_ingest_last_commit_seconds (unix time)
  metrics::Gauge& commit_duration;  // vitals_ingest_commit_duration_seconds (last commit)
  metrics::Gauge& lag;              // vitals_ingest_lag_seconds (oldest result of last commit)
};

class BatchProcessor {
 public:
  BatchProcessor(store::EventStore& store, state::HubState& state, metrics::Registry& registry,
                 const Clock& clock, std::shared_ptr<spdlog::logger> logger);

  // Called on the ingest thread after every commit, once the state took the batch (the status
  // tracker finds transitions here). Set before the loop starts.
  void setCommitHook(std::function<void(const store::IngestBatch&)> hook) {
    commit_hook_ = std::move(hook);
  }

  // Committed messages go to `sink` to be acked (on its thread) instead of being acked here,
  // one by one, before the next commit. Unset: acked on the ingest thread. Before the loop
  // starts; the sink outlives the processor's use.
  void setAckSink(AckSink* sink) { ack_sink_ = sink; }

  // Stores and settles one fetch. With an ack sink, the committed messages are moved out of
  // `messages` (their slots are left empty). Returns the database error when a commit failed (the
  // unsettled messages were nak'd; the caller backs off and reconnects).
  Status process(MessageList& messages);

 private:
  struct Pending {
    InboundMessage* msg;
    DecodedMessage decoded;
    std::size_t index;  // in the fetched MessageList
  };
  Status commitAll(MessageList& messages, std::vector<Pending>& pending);
  void ackAll(MessageList& messages, const std::vector<Pending>& pending);
  Status commitOneByOne(std::vector<Pending>& pending);
  // Moves the items' results into one batch (their moved-from vectors keep their sizes).
  store::IngestBatch buildBatch(const std::vector<Pending*>& items) const;
  static void returnResults(store::IngestBatch& batch, const std::vector<Pending*>& items);
  void settle(InboundMessage& msg, Status (InboundMessage::*how)(), const char* what);
  void refuse(Pending& p, const Error& error);
  void committed(const store::IngestBatch& batch, const store::CommitReport& report,
                 SteadyTime started);

  store::EventStore& store_;
  state::HubState& state_;
  IngestMetrics metrics_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  std::function<void(const store::IngestBatch&)> commit_hook_;
  AckSink* ack_sink_ = nullptr;
};

}  // namespace vitals::hub::ingest
