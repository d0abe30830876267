#pragma once
// The one interface the hub's producers call to put an event on the live stream (SSE and the
// dashboard): status changes, incidents, repairs and approvals, pre-flight changes, agents.
#include <nlohmann/json.hpp>
#include <string_view>

#include "hub/auth/api_key.hpp"

namespace vitals::hub::stream {

// Event kinds a client can filter on (kinds=). Control events ("reset", "dropped") are not
// filterable and always sent.
inline constexpr std::string_view kKinds[] = {"status",    "incident", "repair",    "approval",
                                              "preflight", "agent",    "federation"};
bool isKnownKind(std::string_view kind);

class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // Called on the producer's thread (ingest, sweeper, alert or repair workers), possibly with
  // the producer's lock held: never blocks on a client and never throws. service is "" for
  // events about no one service (agents, pre-flight). data is the event's JSON payload.
  // readable_by: the lowest role that may receive the event.
  virtual void publish(std::string_view kind, std::string_view service, nlohmann::json data,
                       auth::Role readable_by = auth::Role::Readonly) = 0;
};

}  // namespace vitals::hub::stream
