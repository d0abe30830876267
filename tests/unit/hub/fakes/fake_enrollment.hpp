#pragma once
// An in-memory EnrollmentStore that decides like PgEnrollmentStore (judgeToken, then the id and
// key checks, then spend + record + audit, all or nothing), and an IdentityPublisher that keeps
// what it was given.
#include <map>
#include <mutex>
#include <set>

#include "hub/enroll/enrollment.hpp"

namespace vitals::test {

class FakeEnrollmentStore final : public hub::enroll::EnrollmentStore {
 public:
  Result<hub::enroll::TokenRecord> insertToken(const hub::enroll::NewToken& t,
                                               SystemTime now) override {
    std::lock_guard lock(mu_);
    if (!available) {
      return Error{"db.unavailable", "fake store down", {}};
    }
    hub::enroll::TokenRecord r;
    r.id = next_id_++;
    r.prefix = t.prefix;
    r.hash = t.hash;
    r.labels = t.labels;
    r.creator = t.creator;
    r.created_at = now;
    r.expires_at = t.expires_at;
    tokens[r.hash] = r;
    return r;
  }
  Result<std::vector<hub::enroll::TokenRecord>> listTokens() override {
    std::lock_guard lock(mu_);
    std::vector<hub::enroll::TokenRecord> out;
    for (const auto& [h, t] : tokens) {
      out.push_back(t);
    }
    return out;
  }
  Result<hub::enroll::EnrolledAgent> enroll(const hub::enroll::EnrollRequest& req,
                                            SystemTime now) override {
    std::lock_guard lock(mu_);
    ++enroll_calls;
    if (!available) {
      return Error{"db.unavailable", "fake store down", {}};
    }
    std::optional<hub::enroll::TokenRecord> token;
    if (auto it = tokens.find(req.token_hash); it != tokens.end()) {
      token = it->second;
    }
    if (auto verdict = hub::enroll::judgeToken(token, now); !verdict.ok()) {
      return verdict.error();
    }
    if (enrolled.count(req.agent_id) != 0 || reporting.count(req.agent_id) != 0) {
      return Error{"enroll.agent_exists", "agent exists", {}};
    }
    for (const auto& [id, a] : enrolled) {
      if (a.nkey == req.nkey) {
        return Error{"enroll.nkey_exists", "key taken", {}};
      }
    }
    auto& t = tokens[req.token_hash];
    t.used_at = now;
    t.used_by = req.agent_id;
    hub::enroll::EnrolledAgent a;
    a.agent_id = req.agent_id;
    a.nkey = req.nkey;
    a.hostname = req.hostname;
    a.labels = t.labels;
    a.token_id = t.id;
    a.enrolled_at = now;
    enrolled[a.agent_id] = a;
    audit.push_back("agent.enroll " + a.agent_id + " by token:" + std::to_string(t.id));
    return a;
  }
  Result<hub::enroll::EnrolledAgent> revoke(const std::string& agent_id, const std::string& actor,
                                            SystemTime now) override {
    std::lock_guard lock(mu_);
    auto it = enrolled.find(agent_id);
    if (it == enrolled.end()) {
      return Error{"enroll.no_such_agent", "no enrolled agent " + agent_id, {}};
    }
    if (!it->second.revoked_at) {
      it->second.revoked_at = now;
      it->second.revoked_by = actor;
    }
    audit.push_back("agent.revoke " + agent_id + " by " + actor);
    return it->second;
  }
  Result<std::vector<hub::enroll::EnrolledAgent>> agents() override {
    std::lock_guard lock(mu_);
    std::vector<hub::enroll::EnrolledAgent> out;
    for (const auto& [id, a] : enrolled) {
      out.push_back(a);
    }
    return out;
  }

  bool available = true;
  int enroll_calls = 0;
  std::map<std::string, hub::enroll::TokenRecord> tokens;  // by hash
  std::map<std::string, hub::enroll::EnrolledAgent> enrolled;
  std::set<std::string> reporting;  // ids in the `agents` table (reporting without enrollment)
  std::vector<std::string> audit;

 private:
  std::mutex mu_;
  std::int64_t next_id_ = 1;
};

class FakeIdentityPublisher final : public hub::enroll::IdentityPublisher {
 public:
  Status publish(const std::vector<hub::enroll::EnrolledAgent>& active) override {
    ++calls;
    last.clear();
    for (const auto& a : active) {
      last.push_back(a.agent_id);
    }
    if (fail) {
      return Error{"enroll.reload", "reload failed (fake)", {}};
    }
    return okStatus();
  }
  int calls = 0;
  bool fail = false;
  std::vector<std::string> last;  // agent ids of the last publish
};

}  // namespace vitals::test
