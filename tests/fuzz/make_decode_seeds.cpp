// Writes the fuzz_decode seed corpus: one valid encoding of each message the hub accepts,
// prefixed with the selector byte fuzz_decode reads first. Usage: make_decode_seeds DIR
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "common/model/codec.hpp"
#include "tests/support/sample_result.hpp"

using namespace vitals;

namespace {

// A failing variant of the shared sample: raw status down, more details.
CheckResult sampleResult(std::uint64_t seq) {
  CheckResult r = test::sampleResult(seq);
  r.raw_status = HealthStatus::Down;
  r.message = "HTTP 503 in 123 ms";
  r.details = {{"http.status", "503"}, {"perfdata", "time=0.1s"}};
  return r;
}

void write(const std::string& dir, const std::string& name, char selector,
           const std::string& bytes) {
  std::ofstream(dir + "/" + name, std::ios::binary) << selector << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_decode_seeds DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  write(dir, "batch", 0,
        codec::encodeBatch({"web-01", "b00t", {sampleResult(7), sampleResult(8)}}));
  write(dir, "batch_one", 0, codec::encodeBatch({"db-2", "x", {sampleResult(1)}}));

  Registration reg;
  reg.agent_id = "web-01";
  reg.boot_id = "b00t";
  reg.hostname = "web-01.example.com";
  reg.version = "0.1.0";
  reg.checks = {{"shop-http", "shop", "http", "http://127.0.0.1:8080/health",
                 std::chrono::seconds{30}, std::chrono::seconds{5}, 2, std::chrono::seconds{1}},
                {"disk", "host", "disk", "/", std::chrono::minutes{1}, std::chrono::seconds{5}, 0,
                 std::chrono::milliseconds{0}}};
  reg.actions = {"restart-shop", "tail-log"};
  reg.sent_at = SystemTime{std::chrono::seconds{1'790'000'000}};
  reg.config_hash = "abc123";
  reg.labels = {{"env", "prod"}, {"team", "core"}};
  write(dir, "registration", 1, codec::encodeRegistration(reg));
  Registration dereg;
  dereg.agent_id = "web-01";
  dereg.boot_id = "b00t";
  dereg.sent_at = SystemTime{std::chrono::seconds{1'790'000'100}};
  write(dir, "deregistration", 1, codec::encodeRegistration(dereg));

  Heartbeat hb;
  hb.agent_id = "web-01";
  hb.boot_id = "b00t";
  hb.version = "0.1.0";
  hb.check_count = 2;
  hb.sent_at = SystemTime{std::chrono::seconds{1'790'000'000}};
  hb.interval = std::chrono::seconds{10};
  hb.last_seq = 8;
  hb.spooled = 3;
  write(dir, "heartbeat", 2, codec::encodeHeartbeat(hb));

  CheckResult loose = sampleResult(0);
  loose.agent_id.clear();
  loose.boot_id.clear();
  write(dir, "check_result", 3, codec::encodeCheckResult(loose));
  write(dir, "check_result_numbered", 3, codec::encodeCheckResult(sampleResult(5)));
  return 0;
}
