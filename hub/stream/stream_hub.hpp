#pragma once
// The live stream's core: an in-memory ring of the last N events with monotonic ids, and the
// subscriptions of connected clients (SSE, the dashboard), each with a bounded queue.
//
// Ids are "<epoch>-<seq>": epoch is chosen when the hub starts (a restart means a new epoch),
// seq counts from 1. A client resuming with Last-Event-ID gets every later event still in the
// ring, in order, with no duplicate; when the id is from another epoch or older than the ring,
// it gets a "reset" first (reload your state) and then the live events, never a silent gap.
//
// publish() never waits for a client: it appends to the ring and to each matching client's
// queue under one short lock. A client whose queue is full is dropped (it is told so and can
// resume with its last id) rather than slowing the publisher or the other clients.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/stream/event_filter.hpp"
#include "hub/stream/event_publisher.hpp"

namespace vitals::hub::stream {

struct StreamEvent {
  std::uint64_t seq = 0;
  std::string id;  // "<epoch>-<seq>"
  std::string kind;
  std::string service;
  auth::Role readable_by = auth::Role::Readonly;
  // {"id","kind","service","at","data"}: what a client receives, serialized once.
  std::string json;
  std::string sse;  // the Server-Sent Events frame (sseFrame), built once for every client
  SteadyTime published{};
};

struct StreamSettings {
  std::size_t ring_capacity = 10000;  // events kept for resuming
  std::size_t client_queue = 1000;    // events queued for one client before it is dropped
  std::size_t max_clients = 256;      // more subscriptions are refused (stream.busy)
};

// A parsed Last-Event-ID.
struct EventId {
  std::string epoch;
  std::uint64_t seq = 0;
};
// "3f2a9c01-42" -> {"3f2a9c01", 42}; "stream.bad_last_event_id" when malformed.
Result<EventId> parseEventId(std::string_view text);

// "id: <id>\nevent: <kind>\ndata: <json>\n\n"
std::string sseFrame(const StreamEvent& event);

// A fresh epoch: 8 lowercase hex characters from the CSPRNG (from the clock if it fails).
std::string newEpoch(auth::SecureRandom& random, const Clock& clock);

class StreamHub;

// One client's view of the stream. Owned by the client's thread; destroying it unsubscribes.
class Subscription {
 public:
  struct Batch {
    // Set on the first take() after a resume that could not be honoured: the reason.
    std::optional<std::string> reset;
    std::vector<std::shared_ptr<const StreamEvent>> events;  // in id order
    // The client fell behind (queue full) and is dropped: nothing more will come.
    bool dropped = false;
    bool closed = false;  // the hub is shutting down
  };
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Everything queued since the last call; never blocks.
  Batch take();
  // Blocks the calling thread (an HTTP worker) until something is queued, the subscription
  // ends, or the timeout passes. Unit tests use take() only.
  void wait(std::chrono::milliseconds timeout);
  // The id of the newest event the hub had published when the subscription started.
  const std::string& startId() const;

  struct State;

 private:
  friend class StreamHub;
  Subscription(StreamHub& hub, std::unique_ptr<State> state);
  StreamHub& hub_;
  std::unique_ptr<State> state_;
};

class StreamHub final : public EventPublisher {
 public:
  // epoch: a short token unique to this process run (e.g. 8 random hex characters); clock
  // stamps events ("at"). Metrics: vitals_stream_events_total, vitals_stream_clients,
  // vitals_stream_dropped_clients_total.
  StreamHub(const Clock& clock, std::string epoch, StreamSettings settings,
            metrics::Registry& registry);
  ~StreamHub() override;

  void publish(std::string_view kind, std::string_view service, nlohmann::json data,
               auth::Role readable_by = auth::Role::Readonly) override;

  // A new client with its filter and role. last_event_id: "" for live events only; else the
  // events after it (or a reset, see above). Errors: "stream.bad_last_event_id" (malformed, or
  // ahead of this hub's newest event), "stream.busy" (max_clients reached), "stream.closed".
  Result<std::unique_ptr<Subscription>> subscribe(EventFilter filter, auth::Role role,
                                                  std::string_view last_event_id);

  // Ends every subscription (their next take() says closed) and refuses new ones.
  void shutdown();

  const std::string& epoch() const { return epoch_; }
  std::string lastId() const;
  std::size_t clients() const;

 private:
  friend class Subscription;
  void unsubscribe(Subscription::State* state);
  std::string idOf(std::uint64_t seq) const { return epoch_ + "-" + std::to_string(seq); }

  const Clock& clock_;
  const std::string epoch_;
  const StreamSettings settings_;
  metrics::Counter& events_total_;
  metrics::Counter& dropped_total_;
  metrics::Gauge& clients_gauge_;

  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<const StreamEvent>> ring_;
  std::uint64_t last_seq_ = 0;
  std::vector<Subscription::State*> subscribers_;
  bool closed_ = false;
};

}  // namespace vitals::hub::stream
