#include "agent/actions/log_tail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vitals::agent {

std::string sanitizeUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    std::size_t len = 0;
    if (c == 0) {
      len = 0;
    } else if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    }
    bool ok = len > 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (s[i + k] & 0xC0) == 0x80;
    }
    if (ok && len == 3) {
      // No overlong forms, no surrogates.
      ok = !(c == 0xE0 && s[i + 1] < 0xA0) && !(c == 0xED && s[i + 1] >= 0xA0);
    } else if (ok && len == 4) {
      ok = !(c == 0xF0 && s[i + 1] < 0x90) && !(c == 0xF4 && s[i + 1] >= 0x90);
    }
    if (ok) {
      out.append(text, i, len);
      i += len;
    } else {
      out += '?';
      i += 1;
    }
  }
  return out;
}

Result<TailResult> tailFile(const std::string& path, std::size_t lines, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error{"logs.open", "cannot open " + path + ": " + std::strerror(errno), path};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{"logs.open", path + " is not a regular file", path};
  }
  // Read blocks backwards until there are lines+1 newlines (the extra one ends the line before
  // the first one we return) or the budget or the file is used up.
  const off_t size = st.st_size;
  std::string tail;  // the last bytes of the file
  off_t pos = size;
  constexpr off_t kBlock = 16 * 1024;
  bool hit_budget = false;
  auto newlines = [&] { return static_cast<std::size_t>(std::count(tail.begin(), tail.end(), '\n')); };
  while (pos > 0) {
    // A trailing '\n' ends the last line; it does not start another one.
    const std::size_t have = newlines() - (!tail.empty() && tail.back() == '\n' ? 1 : 0);
    if (have >= lines) {
      break;
    }
    if (tail.size() >= max_bytes) {
      hit_budget = true;
      break;
    }
    const off_t want = std::min<off_t>({kBlock, pos, static_cast<off_t>(max_bytes - tail.size())});
    std::string block(static_cast<std::size_t>(want), '\0');
    const ssize_t n = ::pread(fd, block.data(), block.size(), pos - want);
    if (n <= 0) {
      break;
    }
    block.resize(static_cast<std::size_t>(n));
    pos -= want;
    tail.insert(0, block);
  }
  ::close(fd);
  if (!tail.empty() && tail.back() == '\n') {
    tail.pop_back();
  }
  TailResult out;
  std::vector<std::string> all;
  std::size_t start = 0;
  for (;;) {
    const auto nl = tail.find('\n', start);
    all.push_back(sanitizeUtf8(tail.substr(start, nl == std::string::npos ? nl : nl - start)));
    if (nl == std::string::npos) {
      break;
    }
    start = nl + 1;
  }
  // The first piece is partial unless we read from the start of the file.
  if (pos > 0 && !all.empty()) {
    all.erase(all.begin());
  }
  if (tail.empty() && pos == 0) {
    all.clear();
  }
  if (all.size() > lines) {
    all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(lines));
  }
  out.truncated = hit_budget && all.size() < lines;
  out.lines = std::move(all);
  return out;
}

}  // namespace vitals::agent
