#pragma once
// TCP connect probe, asynchronous on the loop's io_context (resolve + connect, no worker
// thread). Asio stays in tcp_probe.cpp.
#include <memory>

#include "agent/config/agent_config.hpp"
#include "agent/probe/probe.hpp"
#include "common/time/clock.hpp"

namespace boost::asio {
class io_context;
}

namespace vitals::agent {

// io and clock must outlive the probe and its runs.
std::unique_ptr<Probe> makeTcpProbe(boost::asio::io_context& io, Clock& clock, TcpCheckSpec spec);

}  // namespace vitals::agent
