#include "hub/federation/federation_config.hpp"

#include <set>

#include "common/nats/subjects.hpp"

namespace vitals::hub::federation {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

void readFederationSettings(config::YamlReader& r, const std::string& own_id,
                            FederationSettings& out) {
  out.enabled = r.boolean("enabled", out.enabled);
  out.summary_interval = r.duration("summary_interval", out.summary_interval, 100ms,
                                    milliseconds{std::chrono::hours{1}});
  const bool stale_given = r.has("stale_after");
  out.stale_after = r.duration("stale_after", out.summary_interval * 3, 100ms,
                               milliseconds{std::chrono::hours{24}});
  if (stale_given && out.stale_after <= out.summary_interval) {
    r.problem("stale_after", "must be longer than summary_interval (the default is 3 intervals)");
  }
  if (auto url = r.str("url")) {
    if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
      r.problem("url", "must be an http:// or https:// URL, got \"" + *url + "\"");
    }
    out.url = *url;
  }
  if (auto ids = r.strings("alert_on")) {
    std::set<std::string> seen;
    for (const auto& id : *ids) {
      if (!subjects::isValidToken(id)) {
        r.problem("alert_on", "\"" + id + "\" is not a hub id (letters, digits, '_' and '-')");
      } else if (id == own_id) {
        r.problem("alert_on", "names this hub (\"" + id + "\"): list the remote hubs to watch");
      } else if (!seen.insert(id).second) {
        r.problem("alert_on", "lists \"" + id + "\" twice");
      }
    }
    out.alert_on = *ids;
  }
  out.max_summary_bytes =
      r.integer("max_summary_bytes", out.max_summary_bytes, 1024, std::int64_t{64} << 20);
  out.max_future =
      r.duration("max_future", out.max_future, 1s, milliseconds{std::chrono::hours{24}});
  out.max_age = r.duration("max_age", out.max_age, 1s, milliseconds{std::chrono::hours{24 * 7}});
  if (out.max_age < out.stale_after) {
    r.problem("max_age", "must be at least stale_after");
  }
  r.finish();
}

}  // namespace vitals::hub::federation
