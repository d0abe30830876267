#include "agent/actions/command_listener.hpp"

#include <spdlog/spdlog.h>

#include "agent/actions/command_codec.hpp"
#include "common/nats/subjects.hpp"

namespace vitals::agent {

CommandListener::CommandListener(std::string agent_id, CommandHandler& handler, Post post,
                                 Publish publish, std::shared_ptr<spdlog::logger> logger)
    : agent_id_(std::move(agent_id)),
      handler_(handler),
      post_(std::move(post)),
      publish_(std::move(publish)),
      logger_(std::move(logger)) {}

Status CommandListener::start(const Subscribe& subscribe) {
  const std::string subject = subjects::commandWildcard(agent_id_);
  auto sub = subscribe(subject, [this](const nats::Subscription::Message& m) { deliver(m); });
  if (!sub.ok()) {
    logger_->error("cannot subscribe to {}: {}; commands are not answered", subject,
                   sub.error().describe());
    return sub.error();
  }
  subscription_ = std::move(sub.value());
  return okStatus();
}

void CommandListener::stop() {
  stopped_ = true;
  subscription_.reset();
}

void CommandListener::deliver(const nats::Subscription::Message& message) {
  post_([this, m = message] {
    if (!stopped_.load()) {
      handle(m);
    }
  });
}

void CommandListener::reply(const std::string& reply_to, const CommandReply& r) {
  if (reply_to.empty()) {
    return;
  }
  if (auto sent = publish_(reply_to, encodeCommandReply(r)); !sent.ok()) {
    logger_->warn("command {}: reply not sent: {}", r.request_id, sent.error().describe());
  }
}

void CommandListener::handle(const nats::Subscription::Message& m) {
  const std::string verb = m.subject.substr(m.subject.rfind('.') + 1);
  auto command = decodeCommand(m.data, verb);
  if (!command.ok()) {
    logger_->warn("audit: refused undecodable command on {}: {}", m.subject,
                  command.error().message);
    CommandReply r;
    r.outcome = CommandOutcome::Rejected;
    r.error = command.error().message;
    reply(m.reply, r);
    return;
  }
  handler_.handle(std::move(command.value()),
                  [this, reply_to = m.reply](const CommandReply& r) { reply(reply_to, r); });
}

}  // namespace vitals::agent
