#include "tests/support/fixture.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/pg_query.hpp"

namespace vitals::test {

Fixture Fixture::load() {
  const char* run = std::getenv("VITALS_TEST_RUN");
  if (run == nullptr) {
    throw std::runtime_error("VITALS_TEST_RUN is not set: run integration tests through ctest");
  }
  std::ifstream in(std::string(run) + "/fixture.env");
  if (!in) {
    throw std::runtime_error(std::string("no fixture at ") + run +
                             "/fixture.env: did fixture.services.start run?");
  }
  std::map<std::string, std::string> kv;
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) {
      kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  Fixture f;
  f.run_dir = kv["run_dir"];
  f.nats_url = kv["nats_url"];
  f.nats_port = std::stoi(kv["nats_port"]);
  f.nats_monitor_port = std::stoi(kv["nats_monitor_port"]);
  f.nats_conf = kv["nats_conf"];
  f.pg_port = std::stoi(kv["pg_port"]);
  f.pg_conninfo = kv["pg_conninfo"];
  f.redis_port = std::stoi(kv["redis_port"]);
  return f;
}

std::string Fixture::freshDatabase(const std::string& name) const {
  query(pg_conninfo, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  query(pg_conninfo, "CREATE DATABASE " + name);
  return "host=127.0.0.1 port=" + std::to_string(pg_port) + " user=postgres dbname=" + name;
}

std::string Fixture::workDir(const std::string& name) const {
  const std::string dir = run_dir + "/work/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

int freeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool waitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return cond();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) {
    throw std::runtime_error("cannot write " + path);
  }
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
std::mutex& keysMutex() {
  static std::mutex mu;
  return mu;
}
std::map<int, std::string>& keysByPort() {
  static std::map<int, std::string> keys;
  return keys;
}
}  // namespace

void setApiKey(int port, const std::string& key) {
  std::lock_guard lock(keysMutex());
  keysByPort()[port] = key;
}

std::string apiKey(int port) {
  std::lock_guard lock(keysMutex());
  auto it = keysByPort().find(port);
  return it == keysByPort().end() ? std::string() : it->second;
}

HttpReply httpRequest(int port, const std::string& method, const std::string& path,
                      const std::string& body, const std::optional<std::string>& key) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(5, 0);
  httplib::Headers headers;
  const std::string k = key ? *key : apiKey(port);
  if (!k.empty()) {
    headers.emplace("Authorization", "Bearer " + k);
  }
  httplib::Result res = [&] {
    if (method == "GET") {
      return cli.Get(path.c_str(), headers);
    }
    if (method == "POST") {
      return cli.Post(path.c_str(), headers, body, "application/json");
    }
    if (method == "PUT") {
      return cli.Put(path.c_str(), headers, body, "application/json");
    }
    if (method == "PATCH") {
      return cli.Patch(path.c_str(), headers, body, "application/json");
    }
    if (method == "DELETE") {
      return cli.Delete(path.c_str(), headers, body, "application/json");
    }
    throw std::runtime_error("httpRequest: unsupported method " + method);
  }();
  if (!res) {
    return {};
  }
  HttpReply reply{res->status, res->body, {}};
  for (const auto& [name, value] : res->headers) {
    reply.headers[name] = value;
  }
  return reply;
}

HttpReply httpGet(int port, const std::string& path) { return httpRequest(port, "GET", path); }

double metricValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

}  // namespace vitals::test
