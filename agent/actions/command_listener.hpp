#pragma once
// Listens for the hub's commands on vitals.cmd.<agent>.<verb>: decodes each request, hands it to
// the CommandHandler and publishes the reply to the request's reply subject. An undecodable
// request is refused (REJECTED, with the reason) and audited.
//
// Threads: messages arrive on NATS.c's thread and are handed to the loop thread at once through
// `post`; decoding, handling and replying run there. stop() (loop thread) ends the subscription;
// a message already handed over is dropped, and running actions finish or time out.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/actions/command_handler.hpp"
#include "common/error/result.hpp"
#include "common/nats/nats_client.hpp"

namespace vitals::agent {

class CommandListener {
 public:
  using Post = std::function<void(std::function<void()>)>;
  using Publish = std::function<Status(const std::string& subject, std::string_view data)>;
  using Subscribe = std::function<Result<std::unique_ptr<nats::Subscription>>(
      const std::string& subject, nats::Subscription::Handler handler)>;

  CommandListener(std::string agent_id, CommandHandler& handler, Post post, Publish publish,
                  std::shared_ptr<spdlog::logger> logger);
  CommandListener(const CommandListener&) = delete;
  CommandListener& operator=(const CommandListener&) = delete;

  // Subscribes to vitals.cmd.<agent>.>. On failure (logged) commands are not answered.
  Status start(const Subscribe& subscribe);
  // Loop thread: no new commands from now on.
  void stop();

  // Any thread: what the subscription calls with each message.
  void deliver(const nats::Subscription::Message& message);

 private:
  void handle(const nats::Subscription::Message& message);  // loop thread
  void reply(const std::string& reply_to, const CommandReply& r);

  std::string agent_id_;
  CommandHandler& handler_;
  Post post_;
  Publish publish_;
  std::shared_ptr<spdlog::logger> logger_;
  std::atomic<bool> stopped_{false};
  std::unique_ptr<nats::Subscription> subscription_;
};

}  // namespace vitals::agent
