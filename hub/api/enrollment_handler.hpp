#pragma once
// Agent enrollment over the API (hub/enroll/enrollment.hpp):
//   POST /api/v1/enrollment-tokens      admin: a one-time token (in the answer once, never again)
//   GET  /api/v1/enrollment-tokens      admin: tokens made (never the token or its hash)
//   POST /api/v1/enroll                 no key: the body's token authenticates (Access::Token)
//   POST /api/v1/agents/{id}/revoke     admin: cut the agent's NATS identity off the bus
// Blocking store calls and the nats-server reload run on HTTP threads.
#include <string>

#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/enroll/enrollment.hpp"

namespace vitals::hub::api {

struct EnrollmentInfo {
  std::string hub_id;
  std::string agent_nats_url;  // what enrolled agents connect to (enrollment.agent_nats_url)
};

class EnrollmentHandler {
 public:
  EnrollmentHandler(enroll::Enrollment& enrollment, enroll::EnrollmentStore& store,
                    EnrollmentInfo info, const Clock& clock)
      : enrollment_(enrollment), store_(store), info_(std::move(info)), clock_(clock) {}
  // Body: {"ttl": "1h", "labels": {"site": "east"}} (ttl optional, default 1h; labels optional).
  ApiResponse createToken(const ApiRequest& req) const;
  ApiResponse listTokens(const ApiRequest& req) const;
  // Body: {"token": "ve_...", "agent_id": "web-01", "nkey": "U...", "hostname": "web-01"}.
  ApiResponse enroll(const ApiRequest& req) const;
  ApiResponse revoke(const ApiRequest& req) const;

 private:
  enroll::Enrollment& enrollment_;
  enroll::EnrollmentStore& store_;
  EnrollmentInfo info_;
  const Clock& clock_;
};

}  // namespace vitals::hub::api
