// The exec probe's output parser (evaluatePluginResult: message from the first line up to '|',
// perfdata after '|', long output) on arbitrary plugin output and exit codes. Invariants: the
// exit code maps to the documented status, the message is one line, perfdata has no line breaks,
// nothing grows beyond the output, and the outcome survives the agent->hub encoding (the hub
// must be able to decode whatever a plugin printed); the perfdata parser survives it too.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>

#include "agent/probe/exec_probe.hpp"
#include "common/model/codec.hpp"
#include "common/text/perfdata.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/quiet_protobuf.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vitals::fuzz::quietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  using namespace vitals;
  agent::ProcessResult r;
  r.started = true;
  r.exit_code = data[0] % 5;           // 0..3 and "anything else"
  r.signal = (data[1] & 0x80) != 0 ? 9 : 0;
  r.truncated = (data[1] & 0x40) != 0;
  r.output.assign(reinterpret_cast<const char*>(data) + 2, size - 2);

  const agent::ProbeOutcome o = agent::evaluatePluginResult(r);
  FUZZ_CHECK(o.message.find('\n') == std::string::npos, "the message is one line");
  if (r.signal == 0) {
    switch (r.exit_code) {
      case 0:
        FUZZ_CHECK(o.raw_status == HealthStatus::Healthy, "exit 0 is healthy");
        break;
      case 1:
        FUZZ_CHECK(o.raw_status == HealthStatus::Degraded, "exit 1 is degraded");
        break;
      case 2:
        FUZZ_CHECK(o.raw_status == HealthStatus::Down, "exit 2 is down");
        break;
      default:
        FUZZ_CHECK(o.raw_status == HealthStatus::Unknown, "exit 3+ is unknown");
        break;
    }
    FUZZ_CHECK(o.message.find('|') == std::string::npos, "perfdata is not in the message");
    FUZZ_CHECK(o.message.size() <= r.output.size() + 32, "the message comes from the output");
  } else {
    FUZZ_CHECK(o.raw_status == HealthStatus::Down, "a signal is down");
  }
  if (auto it = o.details.find("perfdata"); it != o.details.end()) {
    FUZZ_CHECK(it->second.find_first_of("\r\n") == std::string::npos, "perfdata is one line");
    FUZZ_CHECK(it->second.size() <= r.output.size(), "perfdata comes from the output");
    // The perfdata parser takes whatever a plugin printed: bounded, labelled, no crash.
    const auto parsed = perfdata::parse(it->second, 16);
    FUZZ_CHECK(parsed.values.size() <= 16, "at most max_items values");
    for (const auto& v : parsed.values) {
      FUZZ_CHECK(!v.label.empty(), "every value has a label");
      FUZZ_CHECK(v.label.size() <= it->second.size(), "labels come from the text");
    }
  }
  if (auto it = o.details.find("long_output"); it != o.details.end()) {
    FUZZ_CHECK(it->second.size() <= r.output.size(), "long output comes from the output");
  }
  FUZZ_CHECK(r.truncated == (o.details.count("output_truncated") == 1),
             "truncation is reported exactly when it happened");

  // What the agent publishes must decode on the hub.
  CheckResult cr;
  cr.agent_id = "a1";
  cr.boot_id = "b1";
  cr.seq = 1;
  cr.service = "svc";
  cr.check = "exec";
  cr.kind = "exec";
  cr.status = o.raw_status;
  cr.raw_status = o.raw_status;
  cr.message = o.message;
  cr.details = o.details;
  cr.failure_kind = o.failure_kind;
  ResultBatch batch{"a1", "b1", {cr}};
  auto decoded = codec::decodeBatch(codec::encodeBatch(batch));
  FUZZ_CHECK(decoded.ok(), "the hub decodes what the exec probe produced");
  FUZZ_CHECK(decoded->results.size() == 1, "one result in, one out");
  const bool ascii = std::none_of(r.output.begin(), r.output.end(),
                                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (ascii) {  // otherwise invalid UTF-8 is replaced by U+FFFD on the way
    FUZZ_CHECK(decoded->results[0].message == cr.message &&
                   decoded->results[0].details == cr.details,
               "message and details reach the hub unchanged");
  }
  return 0;
}
