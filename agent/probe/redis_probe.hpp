#pragma once
// redis: AUTH (optional), PING, and optionally the replication role from INFO replication, over
// a plain socket speaking RESP (a small blocking client on the worker pool).
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/kind_specs.hpp"
#include "agent/probe/probe.hpp"
#include "common/error/result.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

// One RESP reply: simple string, error, integer or bulk string (arrays are not needed here).
struct RespReply {
  enum class Type { Simple, Error, Integer, Bulk, Nil, Array };
  Type type = Type::Simple;
  std::string text;  // the string, error text or integer digits
};

// Pure: a command as a RESP array of bulk strings.
std::string respCommand(const std::vector<std::string>& args);
// Pure: parses one reply from the start of buffer. nullopt while incomplete; consumed is set to
// the reply's length. An unparsable buffer gives an Error reply "protocol error".
std::optional<RespReply> parseRespReply(std::string_view buffer, std::size_t& consumed);
// Pure: the value of `key:` in INFO text ("role" -> "master"); "" if absent.
std::string infoField(std::string_view info, std::string_view key);

// Reads a secret from its file or environment variable (one trailing newline dropped).
Result<std::string> readSecretSource(const SecretSource& source);

std::unique_ptr<Probe> makeRedisProbe(RedisCheckSpec spec, Clock& clock, WorkQueue& queue);

}  // namespace vitals::agent
