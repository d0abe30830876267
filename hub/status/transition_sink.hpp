#pragma once
// Where recorded transitions go in-process: the NATS publisher today, the alert engine later.
#include <vector>

#include "hub/policy/transition.hpp"

namespace vitals::hub::status {

// Called after the transitions are committed to PostgreSQL, in order, on the thread that found
// them (ingest or sweeper), with the tracker's lock held: implementations must be quick (queue
// the work) and must not call back into the tracker. Must not throw.
class TransitionSink {
 public:
  virtual ~TransitionSink() = default;
  virtual void onTransitions(const std::vector<policy::Transition>& transitions) = 0;
};

}  // namespace vitals::hub::status
