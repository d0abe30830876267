#pragma once
// Events that arrive on NATS (vitals.events.<source>, JSON body as for POST /api/v1/events).
// The subscription callback only queues the message (NATS.c thread); one worker thread runs
// them through the EventProcessor in arrival order, and answers on the reply subject when the
// sender used request/reply. A full queue drops the newest message (counted and answered).
#include <spdlog/logger.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/metrics/metrics.hpp"
#include "common/error/result.hpp"
#include "hub/events/event_processor.hpp"

namespace vitals::hub::events {

struct BusEvent {
  std::string subject;  // vitals.events.<source>
  std::string data;
  std::string reply;  // empty = no answer wanted
};

class BusEventListener {
 public:
  using PublishFn = std::function<Status(const std::string& subject, std::string_view data)>;

  BusEventListener(EventProcessor& processor, std::string role, PublishFn publish,
                   metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger,
                   std::size_t max_queue = 1000);
  ~BusEventListener();
  BusEventListener(const BusEventListener&) = delete;
  BusEventListener& operator=(const BusEventListener&) = delete;

  void start();
  void stop();  // after the event in progress
  // From the subscription callback (any thread); never blocks on the processor.
  void enqueue(BusEvent event);
  // Runs one event now, on the caller's thread (the worker; tests).
  void process(const BusEvent& event);

 private:
  void loop();
  EventProcessor& processor_;
  std::string role_;
  PublishFn publish_;
  metrics::Counter& dropped_;
  std::shared_ptr<spdlog::logger> logger_;
  std::size_t max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<BusEvent> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

// The <source> token of vitals.events.<source>; empty when the subject is not one.
std::string eventSource(std::string_view subject);

}  // namespace vitals::hub::events
