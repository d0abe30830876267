#include "agent/probe/socket_io.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vitals::agent {
namespace {

int msLeft(Clock& clock, SteadyTime deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.steadyNow()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// Waits for events on fd; 1 when ready, 0 on timeout, -1 on error (errno set).
int waitFor(int fd, short events, Clock& clock, SteadyTime deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, msLeft(clock, deadline));
    if (rc < 0 && errno == EINTR) {
      continue;
    }
    return rc;
  }
}

// Non-blocking connect of fd to addr, finished within deadline. 0 or an errno.
int finishConnect(int fd, const sockaddr* addr, socklen_t len, Clock& clock, SteadyTime deadline) {
  if (::connect(fd, addr, len) == 0) {
    return 0;
  }
  if (errno != EINPROGRESS && errno != EAGAIN) {
    return errno;
  }
  const int rc = waitFor(fd, POLLOUT, clock, deadline);
  if (rc == 0) {
    return ETIMEDOUT;
  }
  if (rc < 0) {
    return errno;
  }
  int err = 0;
  socklen_t elen = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) {
    return errno;
  }
  return err;
}

Error connectError(int err, const std::string& where) {
  if (err == ECONNREFUSED) {
    return Error{"connect.refused", "connection refused", where};
  }
  if (err == ETIMEDOUT) {
    return Error{"connect.timeout", "connect timed out", where};
  }
  return Error{"connect.failed", std::string("cannot connect: ") + std::strerror(err), where};
}

}  // namespace

SocketFd::~SocketFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

SocketFd& SocketFd::operator=(SocketFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Result<SocketFd> connectTcp(const std::string& host, std::uint16_t port, Clock& clock,
                            SteadyTime deadline) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (gai != 0 || res == nullptr) {
    return Error{"connect.resolve", std::string("cannot resolve: ") + ::gai_strerror(gai), host};
  }
  int last = ECONNREFUSED;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    SocketFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         ai->ai_protocol));
    if (fd.get() < 0) {
      last = errno;
      continue;
    }
    last = finishConnect(fd.get(), ai->ai_addr, ai->ai_addrlen, clock, deadline);
    if (last == 0) {
      ::freeaddrinfo(res);
      return fd;
    }
    if (last == ETIMEDOUT) {
      break;
    }
  }
  ::freeaddrinfo(res);
  return connectError(last, where);
}

Result<SocketFd> connectUnix(const std::string& path, Clock& clock, SteadyTime deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return Error{"connect.failed", "socket path too long", path};
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  SocketFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return connectError(errno, path);
  }
  const int err =
      finishConnect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr, clock,
                    deadline);
  if (err != 0) {
    return connectError(err, path);
  }
  return fd;
}

Status sendAll(const SocketFd& fd, std::string_view data, Clock& clock, SteadyTime deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int rc = waitFor(fd.get(), POLLOUT, clock, deadline);
      if (rc == 0) {
        return Error{"io.timeout", "send timed out", ""};
      }
      if (rc > 0) {
        continue;
      }
    }
    return Error{"io.failed", std::string("send failed: ") + std::strerror(errno), ""};
  }
  return okStatus();
}

Status receiveSome(const SocketFd& fd, std::string& out, std::size_t max, Clock& clock,
                   SteadyTime deadline) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd.get(), buf, std::min(sizeof buf, max == 0 ? sizeof buf : max), 0);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return okStatus();
    }
    if (n == 0) {
      return Error{"io.closed", "connection closed by the peer", ""};
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const int rc = waitFor(fd.get(), POLLIN, clock, deadline);
      if (rc == 0) {
        return Error{"io.timeout", "no answer in time", ""};
      }
      if (rc > 0) {
        continue;
      }
    }
    if (errno == ECONNRESET) {
      return Error{"io.closed", "connection reset by the peer", ""};
    }
    return Error{"io.failed", std::string("receive failed: ") + std::strerror(errno), ""};
  }
}

}  // namespace vitals::agent
