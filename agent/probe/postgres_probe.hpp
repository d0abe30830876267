#pragma once
// postgres: connect with libpq, run SELECT 1 (or the configured query inside a READ ONLY
// transaction), measure the latency. Blocking libpq calls run on the worker pool, never on the
// loop; connect_timeout and statement_timeout follow the check's timeout. libpq-fe.h stays in
// postgres_probe.cpp.
#include <memory>
#include <string>

#include "agent/config/kind_specs.hpp"
#include "agent/probe/probe.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

std::unique_ptr<Probe> makePostgresProbe(PostgresCheckSpec spec, Clock& clock, WorkQueue& queue);

// Pure: libpq's multi-line error text as one line ("FATAL:  role ..." without the padding).
std::string oneLine(const std::string& text);

}  // namespace vitals::agent
