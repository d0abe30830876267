#pragma once
// Small blocking socket helpers with deadlines (poll-based), for probes that run on the worker
// pool and speak a simple protocol (redis RESP, HTTP/1.0 over a unix socket). Every call gives
// up at `deadline`; errors are values.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

// An open socket; closed on destruction.
class SocketFd {
 public:
  SocketFd() = default;
  explicit SocketFd(int fd) : fd_(fd) {}
  ~SocketFd();
  SocketFd(SocketFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  SocketFd& operator=(SocketFd&& o) noexcept;
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// Error codes: "connect.refused", "connect.timeout", "connect.resolve", "connect.failed".
Result<SocketFd> connectTcp(const std::string& host, std::uint16_t port, Clock& clock,
                            SteadyTime deadline);
Result<SocketFd> connectUnix(const std::string& path, Clock& clock, SteadyTime deadline);
// "io.timeout", "io.closed", "io.failed".
Status sendAll(const SocketFd& fd, std::string_view data, Clock& clock, SteadyTime deadline);
// Reads what is available (at least one byte) into out, up to max bytes; "io.closed" at EOF.
Status receiveSome(const SocketFd& fd, std::string& out, std::size_t max, Clock& clock,
                   SteadyTime deadline);

}  // namespace vitals::agent
