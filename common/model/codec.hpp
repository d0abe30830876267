#pragma once
// Protobuf <-> domain conversion for the agent->hub messages. Decoding validates: a payload
// that parses but breaks the contract (missing ids, seq 0, unknown status) is an Error.
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "common/model/check_result.hpp"

namespace vitals::codec {

std::string encodeBatch(const ResultBatch& batch);
Result<ResultBatch> decodeBatch(std::string_view bytes);

std::string encodeRegistration(const Registration& reg);
Result<Registration> decodeRegistration(std::string_view bytes);

std::string encodeHeartbeat(const Heartbeat& hb);
Result<Heartbeat> decodeHeartbeat(std::string_view bytes);

// One result on its own (command replies carry fresh results this way). Unlike a batch, the id
// (agent, boot, seq) may be empty: a result answered directly has not been numbered yet.
std::string encodeCheckResult(const CheckResult& result);
Result<CheckResult> decodeCheckResult(std::string_view bytes);

// JetStream message id of a batch: "<agent>.<boot>.<first seq>".
std::string batchMessageId(const ResultBatch& batch);

}  // namespace vitals::codec
