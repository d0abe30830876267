// Every protobuf message the hub accepts from agents, through the hub's own decoders (first byte
// selects the decoder; deregistrations are Registration messages). Invariant: whatever a decoder
// accepts re-encodes to bytes that decode to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/model/codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/quiet_protobuf.hpp"

namespace {

using namespace vitals;


bool same(const CheckResult& a, const CheckResult& b) {
  return a.agent_id == b.agent_id && a.boot_id == b.boot_id && a.seq == b.seq &&
         a.service == b.service && a.check == b.check && a.kind == b.kind &&
         a.status == b.status && a.raw_status == b.raw_status && a.latency == b.latency &&
         a.message == b.message && a.details == b.details && a.observed_at == b.observed_at &&
         a.failure_kind == b.failure_kind && a.attempt == b.attempt &&
         a.consecutive_failures == b.consecutive_failures && a.flapping == b.flapping;
}

bool same(const ResultBatch& a, const ResultBatch& b) {
  if (a.agent_id != b.agent_id || a.boot_id != b.boot_id || a.results.size() != b.results.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.results.size(); ++i) {
    if (!same(a.results[i], b.results[i])) {
      return false;
    }
  }
  return true;
}

bool same(const CheckSpec& a, const CheckSpec& b) {
  return a.name == b.name && a.service == b.service && a.kind == b.kind && a.target == b.target &&
         a.interval == b.interval && a.timeout == b.timeout && a.retries == b.retries &&
         a.degraded_latency == b.degraded_latency;
}

bool same(const Registration& a, const Registration& b) {
  if (a.agent_id != b.agent_id || a.boot_id != b.boot_id || a.hostname != b.hostname ||
      a.version != b.version || a.actions != b.actions || a.sent_at != b.sent_at ||
      a.config_hash != b.config_hash || a.labels != b.labels ||
      a.checks.size() != b.checks.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.checks.size(); ++i) {
    if (!same(a.checks[i], b.checks[i])) {
      return false;
    }
  }
  return true;
}

bool same(const Heartbeat& a, const Heartbeat& b) {
  return a.agent_id == b.agent_id && a.boot_id == b.boot_id && a.version == b.version &&
         a.check_count == b.check_count && a.sent_at == b.sent_at && a.interval == b.interval &&
         a.last_seq == b.last_seq && a.spooled == b.spooled;
}

template <typename Encode, typename Decode>
void roundTrip(std::string_view bytes, Encode encode, Decode decode) {
  auto first = decode(bytes);
  if (!first) {
    FUZZ_CHECK(!first.error().code.empty(), "a refusal has an error code");
    return;
  }
  const std::string again = encode(*first);
  auto second = decode(again);
  FUZZ_CHECK(second.ok(), "an accepted value re-encodes to something the decoder accepts");
  FUZZ_CHECK(same(*first, *second), "the round trip keeps the value");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vitals::fuzz::quietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      roundTrip(bytes, codec::encodeBatch, codec::decodeBatch);
      if (auto batch = codec::decodeBatch(bytes); batch && !batch->results.empty()) {
        FUZZ_CHECK(!codec::batchMessageId(*batch).empty(), "a batch has a message id");
      }
      break;
    case 1:
      roundTrip(bytes, codec::encodeRegistration, codec::decodeRegistration);
      break;
    case 2:
      roundTrip(bytes, codec::encodeHeartbeat, codec::decodeHeartbeat);
      break;
    default:
      roundTrip(bytes, codec::encodeCheckResult, codec::decodeCheckResult);
      break;
  }
  return 0;
}
