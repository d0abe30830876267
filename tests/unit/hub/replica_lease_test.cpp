// JobLease on a fake lock server (the PostgreSQL advisory-lock semantics: one session per key,
// locks gone with the session) and ManualTime: one holder per job, takeover when the holder's
// session dies, no double holding when the holder loses the database.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "common/log/log.hpp"
#include "common/time/manual_time.hpp"
#include "hub/replica/job_lease.hpp"

using namespace vitals;
using namespace vitals::hub::replica;
using namespace std::chrono_literals;

namespace {

// PostgreSQL as the leases see it: which session holds which key; reachable or not.
struct FakeLockServer {
  bool up = true;
  int next_session = 0;
  std::set<int> open_sessions;
  std::map<std::int64_t, int> owner;
  void drop(int session) {
    open_sessions.erase(session);
    for (auto it = owner.begin(); it != owner.end();) {
      it = it->second == session ? owner.erase(it) : std::next(it);
    }
  }
};

class FakeLockSession final : public LockSession {
 public:
  explicit FakeLockSession(FakeLockServer& server) : server_(server) {}
  Status open() override {
    if (!server_.up) {
      return Error{"db.unavailable", "refused", {}};
    }
    id_ = ++server_.next_session;
    server_.open_sessions.insert(id_);
    return okStatus();
  }
  Status ping() override {
    return server_.up && server_.open_sessions.count(id_) ? okStatus()
                                                          : Status(Error{"db.unavailable", "", {}});
  }
  Result<bool> tryLock(std::int64_t key) override {
    if (!server_.up || server_.open_sessions.count(id_) == 0) {
      return Error{"db.unavailable", "gone", {}};
    }
    auto [it, inserted] = server_.owner.try_emplace(key, id_);
    return inserted || it->second == id_;
  }
  Status recordHolder(std::string_view job, std::string_view holder) override {
    holders[std::string(job)] = std::string(holder);
    return okStatus();
  }
  void close() override { server_.drop(id_); }
  // The process died: the server drops its session (its locks go with it).
  void kill() { server_.drop(id_); }
  std::map<std::string, std::string> holders;

 private:
  FakeLockServer& server_;
  int id_ = 0;
};

std::shared_ptr<spdlog::logger> quiet() {
  return log::makeLogger("test", log::LogOptions{"off", log::Format::Text});
}

const std::vector<std::string> kJobs{"sweeper", "partitions"};

}  // namespace

TEST_CASE("job keys are stable, positive and distinct per job", "[hub][unit][replica]") {
  CHECK(jobKey("sweeper") == jobKey("sweeper"));
  CHECK(jobKey("sweeper") != jobKey("partitions"));
  CHECK(jobKey("sweeper") > 0);
  CHECK(jobKey("summary") > 0);
}

TEST_CASE("of two replicas only one holds each job", "[hub][unit][replica]") {
  ManualTime time;
  FakeLockServer server;
  FakeLockSession sa(server), sb(server);
  metrics::Registry ra, rb;
  JobLease a("a", kJobs, sa, time, ra, quiet());
  JobLease b("b", kJobs, sb, time, rb, quiet());
  a.tick();
  b.tick();
  for (const auto& job : kJobs) {
    CHECK(a.holds(job));
    CHECK_FALSE(b.holds(job));
  }
  CHECK(sa.holders.at("sweeper") == "a");
  b.tick();  // renewals change nothing while the holder lives
  a.tick();
  CHECK(a.holds("sweeper"));
  CHECK_FALSE(b.holds("sweeper"));
  CHECK_FALSE(a.holds("unknown-job"));
}

TEST_CASE("when the holder dies the other replica takes every job at its next round",
          "[hub][unit][replica]") {
  ManualTime time;
  FakeLockServer server;
  FakeLockSession sa(server), sb(server);
  metrics::Registry ra, rb;
  JobLease a("a", kJobs, sa, time, ra, quiet());
  JobLease b("b", kJobs, sb, time, rb, quiet());
  std::vector<std::string> taken;
  b.onAcquired([&](std::string_view job) {
    // The new holder loads its state first: the job does not run before that.
    CHECK_FALSE(b.holds(job));
    taken.emplace_back(job);
  });
  a.tick();
  b.tick();
  REQUIRE(taken.empty());
  sa.kill();
  b.tick();
  CHECK(taken == std::vector<std::string>{"partitions", "sweeper"});
  CHECK(b.holds("sweeper"));
  CHECK(b.holds("partitions"));
  CHECK(sb.holders.at("sweeper") == "b");
  // The old holder (were it only stalled, not dead) finds out at its next round.
  a.tick();
  CHECK_FALSE(a.holds("sweeper"));
  CHECK(ra.render().find("vitals_replica_lease_lost_total 2") != std::string::npos);
}

TEST_CASE("a holder that loses the database stops holding before anyone else can take over",
          "[hub][unit][replica]") {
  ManualTime time;
  FakeLockServer server;
  FakeLockSession sa(server);
  metrics::Registry ra;
  JobLease a("a", kJobs, sa, time, ra, quiet());
  std::vector<std::string> lost;
  a.onLost([&](std::string_view job) { lost.emplace_back(job); });
  a.tick();
  REQUIRE(a.holds("sweeper"));
  server.up = false;  // the server still has the session: nobody else could lock yet
  a.tick();
  CHECK_FALSE(a.holds("sweeper"));
  CHECK(lost.size() == 2);
  a.tick();  // still down: stays without jobs, counts the errors
  CHECK_FALSE(a.holds("sweeper"));
  // The failed ping and the failed reopen of this round, and the failed reopen of the next.
  CHECK(ra.render().find("vitals_replica_lease_errors_total 3") != std::string::npos);
  server.up = true;
  a.tick();  // back: takes them again (its old session's locks are gone)
  CHECK(a.holds("sweeper"));
}

TEST_CASE("release lets the jobs go for the next replica", "[hub][unit][replica]") {
  ManualTime time;
  FakeLockServer server;
  FakeLockSession sa(server), sb(server);
  metrics::Registry ra, rb;
  JobLease a("a", kJobs, sa, time, ra, quiet());
  JobLease b("b", kJobs, sb, time, rb, quiet());
  a.tick();
  a.release();
  CHECK_FALSE(a.holds("sweeper"));
  b.tick();
  CHECK(b.holds("sweeper"));
}

TEST_CASE("the renewer ticks at once and then every interval", "[hub][unit][replica]") {
  ManualTime time;
  FakeLockServer server;
  FakeLockSession sa(server), sb(server);
  metrics::Registry ra, rb;
  JobLease a("a", kJobs, sa, time, ra, quiet());
  JobLease b("b", kJobs, sb, time, rb, quiet());
  LeaseRenewer ra_renew(a, time, time, 1000ms);
  LeaseRenewer rb_renew(b, time, time, 1000ms);
  ra_renew.start();
  rb_renew.start();
  CHECK(a.holds("sweeper"));
  sa.kill();
  ra_renew.stop();
  time.advance(999ms);
  CHECK_FALSE(b.holds("sweeper"));
  time.advance(1ms);
  CHECK(b.holds("sweeper"));
  const auto since = b.holdings().front().since;
  REQUIRE(since.has_value());
  CHECK(*since == time.now());
}
