#pragma once
// Follows an append-only table (incident timelines, the audit trail) and puts each new row on
// the live stream. Every replica tails the shared database, so every replica's stream carries
// every incident and repair event, whichever replica's engine made it.
//
// Row ids come from a sequence: a transaction that took a smaller id may commit after one with a
// larger id. The tail therefore keeps a watermark (every id at or below it is handled) and the
// ids it published above it; a gap below a published id is waited for up to `gap_timeout` (a
// rolled-back transaction leaves one for good), so a late commit is published, not skipped.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/stream/event_publisher.hpp"

namespace vitals::hub::stream {

struct TailRow {
  std::int64_t id = 0;
  std::string kind;     // a stream kind: "incident", "repair", "approval"; "" = not an event
  std::string service;  // for the services= filter; "" for none
  nlohmann::json data;
  auth::Role readable_by = auth::Role::Readonly;
};

class TailSource {
 public:
  virtual ~TailSource() = default;
  // Rows with id > after, in id order, at most `limit`.
  virtual Result<std::vector<TailRow>> after(std::int64_t after, int limit) = 0;
  // The newest id now (0 for an empty table): where a tail starts, so history is not replayed.
  virtual Result<std::int64_t> newestId() = 0;
};

struct TailSettings {
  int batch = 500;
  std::chrono::milliseconds gap_timeout{5000};
};

class TableTail {
 public:
  TableTail(TailSource& source, EventPublisher& publisher, const Clock& clock,
            TailSettings settings = {})
      : source_(source), publisher_(publisher), clock_(clock), settings_(settings) {}

  // One round: publishes the rows committed since the last round. The first successful round
  // only finds where the table ends. Errors (database away) leave the position unchanged.
  Status poll();

  std::int64_t watermark() const { return watermark_.value_or(0); }
  std::size_t pendingAboveWatermark() const { return published_.size(); }

 private:
  void advance();

  TailSource& source_;
  EventPublisher& publisher_;
  const Clock& clock_;
  TailSettings settings_;
  std::optional<std::int64_t> watermark_;
  std::set<std::int64_t> published_;                // ids > watermark already published
  std::map<std::int64_t, SteadyTime> gap_seen_at_;  // missing id -> when first missed
};

}  // namespace vitals::hub::stream
