#include "hub/events/bus_event_listener.hpp"

namespace vitals::hub::events {

std::string eventSource(std::string_view subject) {
  constexpr std::string_view kPrefix = "vitals.events.";
  if (subject.substr(0, kPrefix.size()) != kPrefix) {
    return {};
  }
  auto rest = subject.substr(kPrefix.size());
  if (rest.empty() || rest.find('.') != std::string_view::npos) {
    return {};
  }
  return std::string(rest);
}

BusEventListener::BusEventListener(EventProcessor& processor, std::string role,
                                   PublishFn publish, metrics::Registry& metrics,
                                   std::shared_ptr<spdlog::logger> logger, std::size_t max_queue)
    : processor_(processor),
      role_(std::move(role)),
      publish_(std::move(publish)),
      dropped_(metrics.counter("vitals_inbound_events_dropped_total",
                               "Events from NATS dropped because the queue was full")),
      logger_(std::move(logger)),
      max_queue_(max_queue) {}

BusEventListener::~BusEventListener() { stop(); }

void BusEventListener::start() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  if (!worker_.joinable()) {
    worker_ = std::thread([this] { loop(); });
  }
}

void BusEventListener::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void BusEventListener::enqueue(BusEvent event) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() < max_queue_) {
      queue_.push_back(std::move(event));
      cv_.notify_one();
      return;
    }
  }
  dropped_.inc();
  logger_->warn("inbound event queue full; dropped an event from {}", event.subject);
  if (!event.reply.empty()) {
    (void)publish_(event.reply,
                   R"({"error":{"code":"busy","message":"event queue full, retry later"}})");
  }
}

void BusEventListener::loop() {
  for (;;) {
    BusEvent e;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      e = std::move(queue_.front());
      queue_.pop_front();
    }
    process(e);
  }
}

void BusEventListener::process(const BusEvent& event) {
  EventOutcome out;
  const std::string source = eventSource(event.subject);
  try {
    if (source.empty()) {
      out.status = 400;
      out.code = "invalid_subject";
      out.message = "events arrive on vitals.events.<source>";
    } else {
      EventCaller caller{"nats:" + source, role_, "nats:" + source};
      out = processor_.handleBody(event.data, caller);
    }
  } catch (const std::exception& ex) {
    out = EventOutcome{};
    out.status = 500;
    out.code = "internal";
    out.message = "internal error";
    logger_->error("inbound event from {} failed: {}", event.subject, ex.what());
  }
  if (out.status != 200) {
    logger_->warn("inbound event on {} refused ({}): {}", event.subject, out.code, out.message);
  }
  if (!event.reply.empty()) {
    auto body = toJson(out);
    body["status"] = out.status;
    (void)publish_(event.reply, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

}  // namespace vitals::hub::events
