#include "agent/reload/api_checks.hpp"

#include <spdlog/spdlog.h>

#include "common/net/target_guard.hpp"

namespace vitals::agent {
namespace {

// "url: must be ...; port: ..." (the key first: what the API caller has to fix).
std::string describe(const config::Problems& problems) {
  std::string out;
  for (const auto& p : problems.list()) {
    out += (out.empty() ? "" : "; ") + (p.path.empty() ? p.message : p.path + ": " + p.message);
  }
  return out;
}

// A literal address the guard blocks is refused now; a name is judged at every run (it may
// resolve differently later), so "not resolved yet" passes here.
std::string guardRefusal(const CheckConfig& check) {
  net::StaticResolver none;
  auto judge = [&](const net::GuardPolicy& policy) -> std::string {
    net::TargetGuard guard(policy, none);
    Result<net::PinnedTarget> r = net::PinnedTarget{};
    std::string key;
    if (const auto* http = std::get_if<HttpCheckSpec>(&check.spec)) {
      r = guard.checkUrl(http->url);
      key = "url";
    } else if (const auto* tcp = std::get_if<TcpCheckSpec>(&check.spec)) {
      r = guard.checkHostPort(tcp->host, tcp->port);
      key = "host";
    }
    if (!r.ok() && r.error().code != "target.unresolved") {
      return key + ": refused by the SSRF guard: " + r.error().message;
    }
    return "";
  };
  if (const auto* http = std::get_if<HttpCheckSpec>(&check.spec); http && http->restrict_targets) {
    return judge(*http->restrict_targets);
  }
  if (const auto* tcp = std::get_if<TcpCheckSpec>(&check.spec); tcp && tcp->restrict_targets) {
    return judge(*tcp->restrict_targets);
  }
  return "";
}

}  // namespace

ApiChecks::ApiChecks(ProbeScheduler& scheduler, const ProbeRegistry& probes,
                     std::shared_ptr<const net::GuardPolicy> allowlist, LoadOptions options,
                     Changed changed, std::shared_ptr<spdlog::logger> logger)
    : scheduler_(scheduler),
      probes_(probes),
      allowlist_(std::move(allowlist)),
      options_(std::move(options)),
      changed_(std::move(changed)),
      logger_(std::move(logger)) {}

std::set<std::string> ApiChecks::names() const {
  std::set<std::string> out;
  for (const auto& [name, digest] : owned_) {
    out.insert(name);
  }
  return out;
}

Result<ApiChecks::Built> ApiChecks::build(const ApiCheckDef& def) const {
  auto fail = [](std::string why) { return Error{"check.invalid", std::move(why), {}}; };
  config::Problems problems;
  auto check =
      parseApiCheck(def.definition, "api check " + def.name, allowlist_, options_, problems);
  if (!check) {
    return fail(describe(problems));
  }
  if (check->name != def.name) {
    return fail("name: must be \"" + def.name + "\" (the name the check is stored under), got \"" +
                check->name + "\"");
  }
  if (scheduler_.contains(def.name) && !owns(def.name)) {
    return fail("name: a check named \"" + def.name +
                "\" is defined in the agent's config file; a check from the API never "
                "overrides it");
  }
  if (auto why = guardRefusal(*check); !why.empty()) {
    return fail(why);
  }
  Built out{std::move(*check), nullptr};
  // An unchanged running check keeps its probe: nothing to build.
  if (auto it = owned_.find(def.name);
      it == owned_.end() || !sameDefinition(it->second, definitionDigest(out.config))) {
    auto probe = probes_.create(out.config);
    if (!probe.ok()) {
      return fail(probe.error().describe());
    }
    out.probe = std::move(probe.value());
  }
  return out;
}

std::vector<ApiCheckOutcome> ApiChecks::apply(const std::vector<ApiCheckDef>& checks,
                                              bool dry_run) {
  std::vector<ApiCheckOutcome> out;
  std::set<std::string> wanted;
  bool changed = false;
  for (const auto& def : checks) {
    ApiCheckOutcome o;
    o.name = def.name;
    if (!wanted.insert(def.name).second) {
      o.error = "name: \"" + def.name + "\" appears twice in the set";
      out.push_back(std::move(o));
      continue;
    }
    auto built = build(def);
    if (!built.ok()) {
      o.error = built.error().message;
      logger_->warn("api check {} refused: {}", def.name, o.error);
      if (!dry_run && owns(def.name)) {
        // What runs must be what the hub shows: the old definition stops.
        scheduler_.remove(def.name);
        owned_.erase(def.name);
        changed = true;
      }
      out.push_back(std::move(o));
      continue;
    }
    o.applied = true;
    out.push_back(std::move(o));
    if (dry_run) {
      continue;
    }
    if (!built->probe) {
      continue;  // unchanged: keeps its state and schedule
    }
    if (owns(def.name)) {
      scheduler_.remove(def.name);
    }
    const DefinitionDigest digest = definitionDigest(built->config);
    scheduler_.add(scheduledCheck(built->config), std::move(built->probe));
    owned_[def.name] = digest;
    changed = true;
    logger_->info("api check {} ({} {}) started", def.name, built->config.kind,
                  built->config.target());
  }
  if (dry_run) {
    return out;
  }
  for (auto it = owned_.begin(); it != owned_.end();) {
    if (wanted.count(it->first) == 0) {
      logger_->info("api check {} removed", it->first);
      scheduler_.remove(it->first);
      it = owned_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (changed && changed_) {
    changed_(scheduler_.size());
  }
  return out;
}

void ApiChecks::displace(const std::string& name) {
  if (owned_.erase(name) != 0) {
    scheduler_.remove(name);
    logger_->warn("api check {} stopped: the config file now defines a check of that name", name);
  }
}

}  // namespace vitals::agent
