// The `notify:` section of the hub config: channels, secrets from files, strict validation.
#include <catch2/catch.hpp>

#include "hub/config/hub_config.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;

namespace {

ConfigSources files(std::map<std::string, std::string> content) {
  ConfigSources s;
  s.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  s.read_file = [content](const std::string& path) -> Result<std::string> {
    auto it = content.find(path);
    if (it == content.end()) {
      return Error{"io", "no such file or not readable", path};
    }
    return it->second;
  };
  return s;
}

struct Parsed {
  std::optional<HubConfig> config;
  std::string problems;
};

Parsed parse(const std::string& yaml) {
  config::Problems problems;
  Parsed p;
  p.config = parseHubConfig(
      yaml, "hub.yaml",
      files({{"/s/new", "new-secret\n"}, {"/s/old", "old-secret"}, {"/s/mail", "pw"}}), problems);
  p.problems = problems.format();
  return p;
}

}  // namespace

TEST_CASE("notify channels of all three types are read with their secrets", "[hub][unit][notify]") {
  const auto p = parse(R"(
notify:
  timeout: 3s
  retry_initial: 1s
  retry_max: 1m
  max_attempts: 5
  poll_interval: 200ms
  channels:
    ops-webhook: {type: webhook, url: "https://hooks.example.com/x", secret_file: /s/new,
                  secondary_secret_file: /s/old}
    team-slack: {type: slack, url: "https://hooks.slack.com/services/T/B/C"}
    oncall-mail:
      type: email
      smtp_url: smtp://127.0.0.1:2525
      from: vitals@example.com
      to: [a@example.com, b@example.com]
      username: vitals
      password_file: /s/mail
      starttls: true
)");
  REQUIRE(p.problems.empty());
  REQUIRE(p.config);
  const auto& n = p.config->notify;
  CHECK(n.timeout == 3s);
  CHECK(n.poll_interval == 200ms);
  CHECK(n.retry.initial == 1s);
  CHECK(n.retry.max == 1min);
  CHECK(n.retry.max_attempts == 5);
  REQUIRE(n.channels.size() == 3);
  const auto& w = n.channels.at("ops-webhook");
  CHECK(w.type == notify::ChannelType::Webhook);
  CHECK(w.secret == "new-secret");  // trailing newline trimmed
  CHECK(w.previous_secret == "old-secret");
  CHECK(n.channels.at("team-slack").type == notify::ChannelType::Slack);
  const auto& m = n.channels.at("oncall-mail");
  CHECK(m.type == notify::ChannelType::Email);
  CHECK(m.to == std::vector<std::string>{"a@example.com", "b@example.com"});
  CHECK(m.password == "pw");
  CHECK(m.starttls);
}

TEST_CASE("no notify section means no channels", "[hub][unit][notify]") {
  const auto p = parse("hub_id: h1\n");
  REQUIRE(p.config);
  CHECK(p.config->notify.channels.empty());
}

TEST_CASE("bad notify channels are all reported with their paths", "[hub][unit][notify]") {
  const auto p = parse(R"(
notify:
  retry_initial: 10s
  retry_max: 1s
  channels:
    a: {type: webhook, url: "ftp://x", secret_file: /s/missing}
    b: {type: slack}
    c: {type: pager}
    d: {type: email, smtp_url: "http://x", from: nobody, to: ["x y@z"], password_file: /s/mail}
    e: {type: webhook, url: "http://x"}
    f: {type: slack, url: "http://x", colour: red}
)");
  CHECK_FALSE(p.config);
  const auto& s = p.problems;
  CHECK(s.find("notify.retry_max: must not be shorter") != std::string::npos);
  CHECK(s.find("notify.channels.a.url: must be an http:// or https:// URL") != std::string::npos);
  CHECK(s.find("notify.channels.a.secret_file: cannot read \"/s/missing\"") != std::string::npos);
  CHECK(s.find("notify.channels.b.url: is required") != std::string::npos);
  CHECK(s.find("notify.channels.c.type: must be webhook, slack or email") != std::string::npos);
  CHECK(s.find("notify.channels.d.smtp_url: must be smtp://") != std::string::npos);
  CHECK(s.find("notify.channels.d.from: must be an email address") != std::string::npos);
  CHECK(s.find("notify.channels.d.to: \"x y@z\" is not an email address") != std::string::npos);
  CHECK(s.find("notify.channels.d.password_file: is set but username is not") != std::string::npos);
  CHECK(s.find("notify.channels.e.secret_file: is required") != std::string::npos);
  CHECK(s.find("notify.channels.f.colour: unknown key") != std::string::npos);
}
