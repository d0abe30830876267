// The `actions:` and `services:` config sections: argv templates, parameter patterns, limits,
// and every problem reported with file:line.
#include <catch2/catch.hpp>

#include "agent/config/actions_reader.hpp"
#include "agent/config/config_loader.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

struct Loaded {
  std::optional<AgentConfig> config;
  config::Problems problems;
};

Loaded load(const std::string& yaml) {
  Loaded out;
  LoadOptions o;
  o.hostname = "web-01";
  out.config = parseAgentConfig("agent_id: web-01\n" + yaml, "agent.yaml", o, out.problems);
  return out;
}

bool hasProblem(const Loaded& l, const std::string& text) {
  return l.problems.format().find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("actions and services are read with their defaults and limits", "[agent][unit]") {
  auto l = load(R"(actions:
  restart-web:
    argv: [/usr/sbin/service, web, restart]
  kill-one:
    argv: [/bin/kill, "-{signal}", "{pid}"]
    timeout: 5s
    params: {signal: "^(HUP|TERM)$", pid: "^[0-9]{1,7}$"}
    max_concurrent: 2
    cooldown: 1m
    max_output: 2048
services:
  web: {log_file: /var/log/web.log}
)");
  INFO(l.problems.format());
  REQUIRE(l.config);
  REQUIRE(l.config->actions.size() == 2);
  const ActionConfig& kill = l.config->actions[0];  // sorted by name
  CHECK(kill.name == "kill-one");
  CHECK(kill.timeout == 5s);
  CHECK(kill.max_concurrent == 2);
  CHECK(kill.cooldown == 1min);
  CHECK(kill.max_output == 2048);
  REQUIRE(kill.params.size() == 2);
  CHECK(kill.params[0].name == "pid");
  REQUIRE(kill.argv_template.size() == 3);
  REQUIRE(kill.argv_template[1].size() == 2);
  CHECK_FALSE(kill.argv_template[1][0].is_param);
  CHECK(kill.argv_template[1][1].is_param);
  const ActionConfig& web = l.config->actions[1];
  CHECK(web.timeout == 30s);
  CHECK(web.max_concurrent == 1);
  CHECK(web.cooldown == 0s);
  CHECK(web.max_output == 64 * 1024);
  CHECK(l.config->services.at("web").log_file == "/var/log/web.log");
}

TEST_CASE("action config problems name file, line and what is wrong", "[agent][unit]") {
  auto l = load(R"(actions:
  a:
    argv: [/bin/echo, "{who}"]
  b:
    argv: ["{prog}", x]
    params: {prog: "^x$"}
  c:
    argv: [/bin/echo, "{name"]
  d:
    timeout: 5s
  e:
    argv: [/bin/echo, "{p}"]
    params: {p: "([a-z"}
  f:
    argv: [/bin/echo]
    params: {unused: "^x$"}
    bogus: 1
  "bad name":
    argv: [/bin/true]
  g:
    argv: [/bin/echo]
    max_concurrent: 0
services:
  web: {log_file: relative.log}
  api: {}
)");
  INFO(l.problems.format());
  CHECK_FALSE(l.config);
  CHECK(hasProblem(l, "agent.yaml:4: actions.a.argv: argv[1]: unknown placeholder {who}"));
  CHECK(hasProblem(l, "actions.b.argv: argv[0] (the program) must not contain placeholders"));
  CHECK(hasProblem(l, "actions.c.argv: argv[1]: unterminated placeholder"));
  CHECK(hasProblem(l, "actions.d.argv: is required"));
  CHECK(hasProblem(l, "actions.e.params.p: invalid regex"));
  CHECK(hasProblem(l, "actions.f.params: parameter unused is not used in argv"));
  CHECK(hasProblem(l, "actions.f.bogus: unknown key"));
  CHECK(hasProblem(l, "action names must contain only letters"));
  CHECK(hasProblem(l, "actions.g.max_concurrent"));
  CHECK(hasProblem(l, "services.web.log_file: must be an absolute path"));
  CHECK(hasProblem(l, "services.api.log_file: is required"));
}

TEST_CASE("argv templates: placeholders anywhere in an item, doubled braces are literal",
          "[agent][unit]") {
  std::string error;
  auto pieces = parseArgvTemplate("--name={name}.{{x}}", error);
  REQUIRE(pieces);
  REQUIRE(pieces->size() == 3);
  CHECK((*pieces)[0].text == "--name=");
  CHECK((*pieces)[1].is_param);
  CHECK((*pieces)[1].text == "name");
  CHECK((*pieces)[2].text == ".{x}");
  CHECK_FALSE(parseArgvTemplate("a}b", error));
  CHECK_FALSE(parseArgvTemplate("{}", error));
  CHECK_FALSE(parseArgvTemplate("{a b}", error));
  auto empty = parseArgvTemplate("", error);
  REQUIRE(empty);
  CHECK(empty->size() == 1);
}
