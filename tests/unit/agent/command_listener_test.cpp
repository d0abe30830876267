// The command listener with fakes: what it subscribes to, decoding on the loop thread, replies on
// the request's reply subject, refusals of undecodable requests, and stop().
#include <catch2/catch.hpp>

#include <deque>

#include "agent/actions/command_handler.hpp"
#include "agent/actions/command_listener.hpp"
#include "agent/config/actions_reader.hpp"
#include "common/time/manual_time.hpp"
#include "fakes/fake_work_queue.hpp"
#include "fakes/test_logger.hpp"
#include "vitals/v1/command.pb.h"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;

namespace {

class CountingExecutor final : public ActionExecutor {
 public:
  ProcessResult execute(const std::vector<std::string>& argv, std::chrono::milliseconds,
                        std::size_t) override {
    runs.push_back(argv);
    ProcessResult r;
    r.started = true;
    r.exit_code = 0;
    r.output = "restarted\n";
    return r;
  }
  std::vector<std::vector<std::string>> runs;
};

class NoChecks final : public CheckRunner {
 public:
  std::vector<std::string> checksOfService(const std::string&) const override { return {}; }
  bool runNow(const std::string&, bool, Done) override { return false; }
};

struct Published {
  std::string subject;
  vitals::v1::CommandReply reply;
};

struct Rig {
  ManualTime time;
  InlineWorkQueue queue;
  CountingExecutor executor;
  NoChecks checks;
  metrics::Registry metrics;
  std::unique_ptr<CommandHandler> handler;
  std::deque<std::function<void()>> loop;  // what was posted to the loop thread, not yet run
  std::vector<Published> published;
  std::string subscribed;
  nats::Subscription::Handler on_message;
  std::unique_ptr<CommandListener> listener;

  Rig() {
    CommandSettings s;
    s.agent_id = "web-01";
    ActionConfig restart;
    restart.name = "restart";
    restart.argv = {"/bin/true"};
    std::string error;
    restart.argv_template.push_back(*parseArgvTemplate("/bin/true", error));
    s.actions = {restart};
    handler =
        std::make_unique<CommandHandler>(s, time, queue, executor, checks, metrics, quietLogger());
    listener = std::make_unique<CommandListener>(
        "web-01", *handler, [this](std::function<void()> fn) { loop.push_back(std::move(fn)); },
        [this](const std::string& subject, std::string_view data) -> Status {
          Published p;
          p.subject = subject;
          REQUIRE(p.reply.ParseFromArray(data.data(), static_cast<int>(data.size())));
          published.push_back(std::move(p));
          return okStatus();
        },
        quietLogger());
  }

  Status start() {
    return listener->start(
        [this](const std::string& subject,
               nats::Subscription::Handler handler) -> Result<std::unique_ptr<nats::Subscription>> {
          subscribed = subject;
          on_message = std::move(handler);
          return std::unique_ptr<nats::Subscription>{};
        });
  }
  void runLoop() {
    while (!loop.empty()) {
      auto fn = std::move(loop.front());
      loop.pop_front();
      fn();
    }
  }
};

std::string runActionRequest(const std::string& id, const std::string& action) {
  vitals::v1::CommandRequest req;
  req.set_request_id(id);
  req.set_agent_id("web-01");
  req.set_verb(vitals::v1::COMMAND_VERB_RUN_ACTION);
  req.set_action(action);
  req.set_requested_by("test");
  return req.SerializeAsString();
}

}  // namespace

TEST_CASE("the listener subscribes to every command verb of its own agent", "[agent][unit]") {
  Rig rig;
  REQUIRE(rig.start().ok());
  CHECK(rig.subscribed == "vitals.cmd.web-01.>");
}

TEST_CASE("a command is handled on the loop thread and answered on its reply subject",
          "[agent][unit]") {
  Rig rig;
  REQUIRE(rig.start().ok());
  rig.on_message({"vitals.cmd.web-01.run-action", runActionRequest("r1", "restart"), "_INBOX.1"});
  // Nothing happens on the delivering (NATS.c) thread.
  CHECK(rig.executor.runs.empty());
  CHECK(rig.published.empty());

  rig.runLoop();
  REQUIRE(rig.executor.runs.size() == 1);
  CHECK(rig.executor.runs[0] == std::vector<std::string>{"/bin/true"});
  REQUIRE(rig.published.size() == 1);
  CHECK(rig.published[0].subject == "_INBOX.1");
  CHECK(rig.published[0].reply.request_id() == "r1");
  CHECK(rig.published[0].reply.outcome() == vitals::v1::COMMAND_OUTCOME_OK);
}

TEST_CASE("an undecodable command is refused with the reason and runs nothing", "[agent][unit]") {
  Rig rig;
  REQUIRE(rig.start().ok());
  rig.on_message({"vitals.cmd.web-01.run-action", "\xff\xff not protobuf", "_INBOX.2"});
  rig.on_message({"vitals.cmd.web-01.reboot", runActionRequest("r2", "restart"), "_INBOX.3"});
  rig.runLoop();
  CHECK(rig.executor.runs.empty());
  REQUIRE(rig.published.size() == 2);
  CHECK(rig.published[0].subject == "_INBOX.2");
  CHECK(rig.published[0].reply.outcome() == vitals::v1::COMMAND_OUTCOME_REJECTED);
  CHECK_FALSE(rig.published[0].reply.error().empty());
  CHECK(rig.published[1].reply.outcome() == vitals::v1::COMMAND_OUTCOME_REJECTED);
  CHECK_THAT(rig.published[1].reply.error(), Catch::Contains("reboot"));
}

TEST_CASE("a command without a reply subject runs but publishes nothing", "[agent][unit]") {
  Rig rig;
  REQUIRE(rig.start().ok());
  rig.on_message({"vitals.cmd.web-01.run-action", runActionRequest("r3", "restart"), ""});
  rig.runLoop();
  CHECK(rig.executor.runs.size() == 1);
  CHECK(rig.published.empty());
}

TEST_CASE("after stop a command already handed to the loop is dropped unanswered",
          "[agent][unit]") {
  Rig rig;
  REQUIRE(rig.start().ok());
  rig.on_message({"vitals.cmd.web-01.run-action", runActionRequest("r4", "restart"), "_INBOX.4"});
  rig.listener->stop();
  rig.runLoop();
  CHECK(rig.executor.runs.empty());
  CHECK(rig.published.empty());
}

TEST_CASE("a failed subscription is reported to the caller", "[agent][unit]") {
  Rig rig;
  auto st = rig.listener->start(
      [](const std::string& subject,
         nats::Subscription::Handler) -> Result<std::unique_ptr<nats::Subscription>> {
        return Error{"nats", "permissions violation", subject};
      });
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == "permissions violation");
}
