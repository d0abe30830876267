#pragma once
// A delivery channel. send() blocks for at most the configured timeout and never throws; it is
// called from that channel's own sender thread only.
#include <chrono>
#include <string>

#include "hub/notify/notification.hpp"

namespace vitals::hub::notify {

struct DeliveryOutcome {
  bool delivered = false;
  bool retryable = true;  // when not delivered: false = permanent (e.g. HTTP 400), give up
  int http_status = 0;    // 0 = none (SMTP, or no response)
  std::string error;      // empty when delivered
  std::chrono::milliseconds duration{0};
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual DeliveryOutcome send(const Notification& n) = 0;
};

}  // namespace vitals::hub::notify
