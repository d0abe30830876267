// vitalsctl nats-config for hub identities: a hub publishes only its own hub.<id> subjects.
#include <catch2/catch.hpp>

#include "ctl/nats_config.hpp"

using namespace vitals;

TEST_CASE("a hub identity may publish only hub.<its id>.> and hub.global.health on hub.*",
          "[hub][unit][nats][federation]") {
  ctl::NatsConfigRequest r;
  r.hub_id = "site-a";
  const auto pub = ctl::hubPublishAllow(r);
  CHECK(std::find(pub.begin(), pub.end(), "hub.site-a.>") != pub.end());
  CHECK(std::find(pub.begin(), pub.end(), "hub.global.health") != pub.end());
  CHECK(std::find(pub.begin(), pub.end(), "hub.>") == pub.end());
  for (const auto& s : pub) {
    INFO(s);
    CHECK((s.rfind("hub.", 0) != 0 || s == "hub.site-a.>" || s == "hub.global.health"));
  }
  const auto sub = ctl::hubSubscribeAllow(r);
  CHECK(std::find(sub.begin(), sub.end(), "hub.>") != sub.end());  // hears every hub
}

TEST_CASE("a hub identity may publish and hear its replica group's state sync, not another's",
          "[hub][unit][nats][replica]") {
  ctl::NatsConfigRequest r;
  r.hub_id = "site-a";
  const auto pub = ctl::hubPublishAllow(r);
  const auto sub = ctl::hubSubscribeAllow(r);
  CHECK(std::find(pub.begin(), pub.end(), "vitals.hub.site-a.state") != pub.end());
  CHECK(std::find(sub.begin(), sub.end(), "vitals.hub.site-a.state") != sub.end());
  for (const auto& s : pub) {
    INFO(s);
    CHECK((s.rfind("vitals.hub.", 0) != 0 || s == "vitals.hub.site-a.state"));
  }
}
