#pragma once
// CommandRequest/CommandReply protobuf <-> Command/CommandReply. The request's verb must agree
// with the subject's verb token (or be unspecified).
#include <string>
#include <string_view>

#include "agent/actions/command.hpp"
#include "common/error/result.hpp"

namespace vitals::agent {

// subject_verb: the last token of the subject the request came on ("run-action", ...).
Result<Command> decodeCommand(std::string_view bytes, std::string_view subject_verb);
std::string encodeCommandReply(const CommandReply& reply);

}  // namespace vitals::agent
