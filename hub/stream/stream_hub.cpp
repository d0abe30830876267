#include "hub/stream/stream_hub.hpp"

#include <algorithm>
#include <charconv>

namespace vitals::hub::stream {

struct Subscription::State {
  EventFilter filter;
  auth::Role role = auth::Role::Readonly;
  std::string start_id;
  // Everything below is guarded by the hub's mutex.
  std::deque<std::shared_ptr<const StreamEvent>> queue;
  std::size_t limit = 0;  // the queue length at which the client is dropped
  std::optional<std::string> reset;
  bool dropped = false;
  bool closed = false;
  bool waiting = false;
  std::condition_variable cv;
};

Result<EventId> parseEventId(std::string_view text) {
  const auto bad = [&](const std::string& why) -> Result<EventId> {
    return Error{"stream.bad_last_event_id",
                 "Last-Event-ID \"" + std::string(text.substr(0, 64)) + "\" " + why +
                     " (expected \"<epoch>-<sequence>\" as sent in an event's id)",
                 {}};
  };
  const auto dash = text.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) {
    return bad("is malformed");
  }
  EventId id;
  id.epoch = std::string(text.substr(0, dash));
  if (id.epoch.size() > 32 || !std::all_of(id.epoch.begin(), id.epoch.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return bad("has a malformed epoch");
  }
  const auto digits = text.substr(dash + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id.seq);
  if (ec != std::errc{} || end != digits.data() + digits.size()) {
    return bad("has a malformed sequence number");
  }
  return id;
}

std::string sseFrame(const StreamEvent& event) {
  std::string out;
  out.reserve(event.json.size() + event.id.size() + event.kind.size() + 24);
  out += "id: ";
  out += event.id;
  out += "\nevent: ";
  out += event.kind;
  out += "\ndata: ";
  out += event.json;  // one line: JSON text escapes control characters
  out += "\n\n";
  return out;
}

std::string newEpoch(auth::SecureRandom& random, const Clock& clock) {
  std::uint8_t bytes[4] = {};
  if (!random.fill(bytes, sizeof bytes).ok()) {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(clock.now().time_since_epoch())
            .count();
    for (int i = 0; i < 4; ++i) {
      bytes[i] = static_cast<std::uint8_t>(us >> (8 * i));
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

Subscription::Subscription(StreamHub& hub, std::unique_ptr<State> state)
    : hub_(hub), state_(std::move(state)) {}

Subscription::~Subscription() { hub_.unsubscribe(state_.get()); }

const std::string& Subscription::startId() const { return state_->start_id; }

Subscription::Batch Subscription::take() {
  Batch out;
  std::lock_guard lock(hub_.mutex_);
  auto& s = *state_;
  out.reset = std::exchange(s.reset, std::nullopt);
  out.dropped = s.dropped;
  out.closed = s.closed;
  out.events.assign(std::make_move_iterator(s.queue.begin()),
                    std::make_move_iterator(s.queue.end()));
  s.queue.clear();
  s.limit = hub_.settings_.client_queue;
  return out;
}

void Subscription::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(hub_.mutex_);
  auto& s = *state_;
  const auto ready = [&] { return !s.queue.empty() || s.reset || s.dropped || s.closed; };
  if (ready()) {
    return;
  }
  s.waiting = true;
  s.cv.wait_for(lock, timeout, ready);
  s.waiting = false;
}

StreamHub::StreamHub(const Clock& clock, std::string epoch, StreamSettings settings,
                     metrics::Registry& registry)
    : clock_(clock),
      epoch_(std::move(epoch)),
      settings_(settings),
      events_total_(
          registry.counter("vitals_stream_events_total", "Events published on the live stream")),
      dropped_total_(registry.counter(
          "vitals_stream_dropped_clients_total",
          "Stream clients dropped because they fell behind (their queue was full)")),
      clients_gauge_(registry.gauge("vitals_stream_clients", "Connected stream clients")) {}

StreamHub::~StreamHub() { shutdown(); }

void StreamHub::publish(std::string_view kind, std::string_view service, nlohmann::json data,
                        auth::Role readable_by) {
  // Serialize outside the lock; only the id is added under it.
  const auto dump = [](const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string tail =
      ",\"kind\":" + dump(std::string(kind)) + ",\"service\":" + dump(std::string(service)) +
      ",\"at\":" + dump(formatRfc3339(clock_.now())) + ",\"data\":" + dump(data) + "}";
  auto event = std::make_shared<StreamEvent>();
  event->kind = kind;
  event->service = service;
  event->readable_by = readable_by;
  event->published = clock_.steadyNow();
  std::lock_guard lock(mutex_);
  if (closed_) {
    return;
  }
  event->seq = ++last_seq_;
  event->id = idOf(event->seq);
  event->json = "{\"id\":\"" + event->id + "\"" + tail;
  event->sse = sseFrame(*event);
  std::shared_ptr<const StreamEvent> shared = std::move(event);
  ring_.push_back(shared);
  while (ring_.size() > settings_.ring_capacity) {
    ring_.pop_front();
  }
  events_total_.inc();
  for (auto* s : subscribers_) {
    if (s->dropped || s->closed || !auth::roleAllows(s->role, readable_by) ||
        !s->filter.matches(shared->kind, shared->service)) {
      continue;
    }
    if (s->queue.size() >= s->limit) {
      s->dropped = true;
      s->queue.clear();
      dropped_total_.inc();
    } else {
      s->queue.push_back(shared);
    }
    if (s->waiting) {
      s->cv.notify_one();
    }
  }
}

Result<std::unique_ptr<Subscription>> StreamHub::subscribe(EventFilter filter, auth::Role role,
                                                           std::string_view last_event_id) {
  std::optional<EventId> resume;
  if (!last_event_id.empty()) {
    auto parsed = parseEventId(last_event_id);
    if (!parsed.ok()) {
      return parsed.error();
    }
    resume = std::move(*parsed);
  }
  auto state = std::make_unique<Subscription::State>();
  state->filter = std::move(filter);
  state->role = role;
  std::lock_guard lock(mutex_);
  if (closed_) {
    return Error{"stream.closed", "the hub is shutting down", {}};
  }
  if (subscribers_.size() >= settings_.max_clients) {
    return Error{"stream.busy",
                 "this hub already serves " + std::to_string(settings_.max_clients) +
                     " stream clients; retry later",
                 {}};
  }
  state->start_id = idOf(last_seq_);
  if (resume) {
    const std::uint64_t first = ring_.empty() ? last_seq_ + 1 : ring_.front()->seq;
    if (resume->epoch != epoch_) {
      state->reset = "the hub restarted (events of " + resume->epoch + " are gone; this is " +
                     epoch_ + "): reload the state";
    } else if (resume->seq > last_seq_) {
      return Error{"stream.bad_last_event_id",
                   "Last-Event-ID " + std::string(last_event_id) +
                       " is ahead of this hub's newest event " + idOf(last_seq_),
                   {}};
    } else if (resume->seq + 1 < first) {
      state->reset = "the events after " + std::string(last_event_id) +
                     " are no longer kept (the hub keeps the last " +
                     std::to_string(settings_.ring_capacity) + "): reload the state";
    } else {
      for (auto it = ring_.begin() + static_cast<std::ptrdiff_t>(resume->seq + 1 - first);
           it != ring_.end(); ++it) {
        const auto& e = **it;
        if (auth::roleAllows(role, e.readable_by) && state->filter.matches(e.kind, e.service)) {
          state->queue.push_back(*it);
        }
      }
    }
  }
  // The backlog of a resume is allowed on top of the usual queue.
  state->limit = settings_.client_queue + state->queue.size();
  subscribers_.push_back(state.get());
  clients_gauge_.set(static_cast<double>(subscribers_.size()));
  return std::unique_ptr<Subscription>(new Subscription(*this, std::move(state)));
}

void StreamHub::unsubscribe(Subscription::State* state) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), state),
                     subscribers_.end());
  clients_gauge_.set(static_cast<double>(subscribers_.size()));
}

void StreamHub::shutdown() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (auto* s : subscribers_) {
    s->closed = true;
    s->cv.notify_all();
  }
}

std::string StreamHub::lastId() const {
  std::lock_guard lock(mutex_);
  return idOf(last_seq_);
}

std::size_t StreamHub::clients() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

}  // namespace vitals::hub::stream
