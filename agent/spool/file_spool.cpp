#include "agent/spool/file_spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace vitals::agent {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kMagic = 0x31505356;  // "VSP1" little-endian
constexpr std::size_t kHeader = 12;
constexpr std::size_t kCursorSize = 20;
constexpr std::uint64_t kMinSegment = 4096;
constexpr std::uint64_t kMaxSegment = 8ULL << 20;

void putU16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void putU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}
void putU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}
std::uint64_t getLe(std::string_view data, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(data[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

std::string encodeRecord(const std::string& msg_id, std::string_view payload,
                         std::uint32_t results) {
  std::string body;
  body.reserve(2 + msg_id.size() + 4 + payload.size());
  putU16(body, static_cast<std::uint16_t>(msg_id.size()));
  body += msg_id;
  putU32(body, results);
  body.append(payload);
  std::string rec;
  rec.reserve(kHeader + body.size());
  putU32(rec, kMagic);
  putU32(rec, static_cast<std::uint32_t>(body.size()));
  putU32(rec, crc32(body));
  rec += body;
  return rec;
}

struct Parsed {
  std::string msg_id;
  std::string payload;
  std::uint32_t results = 0;
  std::uint64_t size = 0;
};

// Checks the header at data[0..]; returns the body length or nullopt when it is not a record.
std::optional<std::uint32_t> headerLength(std::string_view header, std::uint64_t available) {
  if (header.size() < kHeader || getLe(header, 0, 4) != kMagic) {
    return std::nullopt;
  }
  const auto len = static_cast<std::uint32_t>(getLe(header, 4, 4));
  if (len < 6 || kHeader + len > available) {
    return std::nullopt;  // torn: the length runs past the end of the file
  }
  return len;
}

std::optional<Parsed> parseBody(std::string_view header, std::string_view body) {
  if (crc32(body) != static_cast<std::uint32_t>(getLe(header, 8, 4))) {
    return std::nullopt;
  }
  const auto id_len = static_cast<std::size_t>(getLe(body, 0, 2));
  if (2 + id_len + 4 > body.size()) {
    return std::nullopt;
  }
  Parsed p;
  p.msg_id = std::string(body.substr(2, id_len));
  p.results = static_cast<std::uint32_t>(getLe(body, 2 + id_len, 4));
  p.payload = std::string(body.substr(2 + id_len + 4));
  p.size = kHeader + body.size();
  return p;
}

std::optional<std::uint64_t> segmentNumber(const std::string& name) {
  if (name.size() != 24 || name.substr(20) != ".seg" ||
      !std::all_of(name.begin(), name.begin() + 20,
                   [](unsigned char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoull(name.substr(0, 20));
}

std::string errnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool preadAll(int fd, char* out, std::size_t size, std::uint64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) {
        continue;
      }
      return false;
    }
    out += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

}  // namespace

std::uint32_t crc32(std::string_view data) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      }
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFU;
  for (unsigned char ch : data) {
    crc = table[(crc ^ ch) & 0xff] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFU;
}

FileSpool::FileSpool(FileSpoolOptions options) : options_(std::move(options)) {
  if (options_.segment_bytes == 0) {
    options_.segment_bytes = std::clamp(options_.max_bytes / 8, kMinSegment, kMaxSegment);
  }
}

FileSpool::~FileSpool() {
  closeWriter(true);
  if (cursor_fd_ >= 0) {
    ::close(cursor_fd_);
  }
}

Result<std::unique_ptr<FileSpool>> FileSpool::open(const FileSpoolOptions& options,
                                                   SpoolRecovery& recovery) {
  std::unique_ptr<FileSpool> spool(new FileSpool(options));
  if (auto st = spool->recover(recovery); !st) {
    return st.error();
  }
  return spool;
}

std::string FileSpool::segmentPath(std::uint64_t number) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(number));
  return options_.dir + "/" + name;
}

Result<Ok> FileSpool::recover(SpoolRecovery& recovery) {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) {
    return Error{"spool.dir", "cannot create spool directory: " + ec.message(), options_.dir};
  }
  const std::string cursor_path = options_.dir + "/cursor";
  cursor_fd_ = ::open(cursor_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (cursor_fd_ < 0) {
    return Error{"spool.dir", errnoText("cannot open", cursor_path), options_.dir};
  }
  std::optional<std::pair<std::uint64_t, std::uint64_t>> cursor;
  {
    std::string buf(kCursorSize, '\0');
    if (preadAll(cursor_fd_, buf.data(), kCursorSize, 0) &&
        crc32(std::string_view(buf).substr(0, 16)) == getLe(buf, 16, 4)) {
      cursor = std::make_pair(getLe(buf, 0, 8), getLe(buf, 8, 8));
    }
  }

  std::vector<std::pair<std::uint64_t, std::string>> found;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    if (auto n = segmentNumber(entry.path().filename().string())) {
      found.emplace_back(*n, entry.path().string());
    }
  }
  if (ec) {
    return Error{"spool.dir", "cannot list spool directory: " + ec.message(), options_.dir};
  }
  std::sort(found.begin(), found.end());

  for (const auto& [number, path] : found) {
    next_segment_ = std::max(next_segment_, number + 1);
    std::string data;
    {
      std::ifstream in(path, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      data = ss.str();
    }
    // Scan: every record boundary, until the first record that is not whole and intact.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> records;  // offset, results
    std::uint64_t off = 0;
    while (off < data.size()) {
      const std::string_view rest = std::string_view(data).substr(off);
      auto len = headerLength(rest, rest.size());
      std::optional<Parsed> parsed;
      if (len) {
        parsed = parseBody(rest, rest.substr(kHeader, *len));
      }
      if (!parsed) {
        break;
      }
      records.emplace_back(off, parsed->results);
      off += parsed->size;
    }
    if (off < data.size()) {
      // A torn tail (crash mid-write) or damage: cut it off; it was never acknowledged.
      if (::truncate(path.c_str(), static_cast<off_t>(off)) != 0) {
        return Error{"spool.io", errnoText("cannot truncate", path), options_.dir};
      }
      recovery.truncated_bytes += data.size() - off;
      recovery.notes.push_back("segment " + path + ": cut " + std::to_string(data.size() - off) +
                               " bytes of torn or corrupt data at offset " + std::to_string(off));
    }
    // Records before the cursor were stored by JetStream already. The cursor always names the
    // oldest segment kept, so only that one can be partly stored.
    std::size_t first = 0;
    if (cursor && number < cursor->first) {
      first = records.size();
    } else if (cursor && number == cursor->first && segments_.empty()) {
      if (cursor->second == off) {
        first = records.size();
      }
      for (std::size_t i = 0; i < records.size(); ++i) {
        if (records[i].first == cursor->second) {
          first = i;
          break;
        }
      }
    }
    if (first == records.size()) {
      fs::remove(path, ec);
      continue;
    }
    Segment s;
    s.number = number;
    s.path = path;
    s.bytes = off;
    for (std::size_t i = first; i < records.size(); ++i) {
      s.batches += 1;
      s.results += records[i].second;
    }
    if (segments_.empty()) {
      read_offset_ = records[first].first;
    }
    batches_ += s.batches;
    results_ += s.results;
    bytes_ += s.bytes;
    segments_.push_back(std::move(s));
  }
  recovery.segments = segments_.size();
  recovery.batches = batches_;
  recovery.results = results_;
  writeCursor();
  return okStatus();
}

void FileSpool::writeCursor() {
  if (cursor_fd_ < 0) {
    return;
  }
  std::string buf;
  putU64(buf, segments_.empty() ? next_segment_ : segments_.front().number);
  putU64(buf, segments_.empty() ? 0 : read_offset_);
  putU32(buf, crc32(buf));
  // A torn cursor write fails its CRC on the next start: the spool then replays from the start
  // of its oldest segment (duplicates that JetStream and the hub drop), never skips records.
  (void)::pwrite(cursor_fd_, buf.data(), buf.size(), 0);
}

void FileSpool::closeWriter(bool sync) {
  if (write_fd_ >= 0) {
    if (sync) {
      ::fdatasync(write_fd_);
    }
    ::close(write_fd_);
    write_fd_ = -1;
  }
}

Result<Ok> FileSpool::roll() {
  if (write_fd_ >= 0 && background_) {
    // The next segment starts now; the finished one reaches the disk without the caller waiting.
    background_([fd = std::exchange(write_fd_, -1)] {
      ::fdatasync(fd);
      ::close(fd);
    });
  }
  closeWriter(true);
  const std::uint64_t number = next_segment_++;
  const std::string path = segmentPath(number);
  write_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (write_fd_ < 0) {
    return Error{"spool.io", errnoText("cannot create", path), options_.dir};
  }
  Segment s;
  s.number = number;
  s.path = path;
  const bool was_empty = segments_.empty();
  segments_.push_back(std::move(s));
  if (was_empty) {
    read_offset_ = 0;
    writeCursor();
  }
  return okStatus();
}

void FileSpool::dropFrontSegment() {
  Segment& s = segments_.front();
  if (segments_.size() == 1) {
    closeWriter(false);  // about to be deleted: nothing worth syncing
  }
  batches_ -= s.batches;
  results_ -= s.results;
  bytes_ -= s.bytes;
  front_id_ += s.batches;
  std::error_code ec;
  fs::remove(s.path, ec);
  segments_.pop_front();
  read_offset_ = 0;
  front_cache_.reset();
  writeCursor();
}

Result<AppendOutcome> FileSpool::append(const std::string& msg_id, std::string_view payload,
                                        std::uint32_t results) {
  if (msg_id.size() > 0xffff) {
    return Error{"spool.too_large", "message id too long", msg_id};
  }
  const std::string rec = encodeRecord(msg_id, payload, results);
  if (rec.size() > options_.max_bytes) {
    return Error{"spool.too_large",
                 "record of " + std::to_string(rec.size()) + " bytes is larger than the spool",
                 msg_id};
  }
  if (write_fd_ < 0 || (segments_.back().bytes > 0 &&
                        segments_.back().bytes + rec.size() > options_.segment_bytes)) {
    if (auto st = roll(); !st) {
      return st.error();
    }
  }
  AppendOutcome out;
  while (bytes_ + rec.size() > options_.max_bytes && segments_.size() > 1) {
    out.dropped_batches += segments_.front().batches;
    out.dropped_results += segments_.front().results;
    dropFrontSegment();
  }
  Segment& back = segments_.back();
  if (!writeAll(write_fd_, rec)) {
    const std::string what = errnoText("cannot write", back.path);
    // Never leave half a record behind us: the next append must start on a boundary.
    (void)::ftruncate(write_fd_, static_cast<off_t>(back.bytes));
    return Error{"spool.io", what, options_.dir};
  }
  back.bytes += rec.size();
  back.batches += 1;
  back.results += results;
  bytes_ += rec.size();
  batches_ += 1;
  results_ += results;
  return out;
}

std::optional<SpooledBatch> FileSpool::front() {
  while (!segments_.empty()) {
    if (front_cache_) {
      return front_cache_;
    }
    Segment& s = segments_.front();
    std::optional<Parsed> parsed;
    if (s.batches > 0) {
      const int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        std::string header(kHeader, '\0');
        if (preadAll(fd, header.data(), kHeader, read_offset_)) {
          if (auto len = headerLength(header, s.bytes - read_offset_)) {
            std::string body(*len, '\0');
            if (preadAll(fd, body.data(), body.size(), read_offset_ + kHeader)) {
              parsed = parseBody(header, body);
            }
          }
        }
        ::close(fd);
      }
    }
    if (!parsed) {
      // Unreadable after it was verified (removed or damaged under us): give the segment up
      // rather than stall the spool forever.
      dropFrontSegment();
      continue;
    }
    front_size_ = parsed->size;
    front_cache_ = SpooledBatch{front_id_, std::move(parsed->msg_id), std::move(parsed->payload),
                                parsed->results};
  }
  return std::nullopt;
}

bool FileSpool::pop(std::uint64_t id) {
  if (!front() || front_cache_->id != id) {
    return false;
  }
  Segment& s = segments_.front();
  const std::uint32_t results = front_cache_->results;
  front_cache_.reset();
  read_offset_ += front_size_;
  s.batches -= 1;
  s.results -= results;
  batches_ -= 1;
  results_ -= results;
  front_id_ += 1;
  if (s.batches == 0) {
    // Everything in it is stored: delete it (the open segment too; the next append rolls).
    dropFrontSegment();
    return true;
  }
  writeCursor();
  return true;
}

}  // namespace vitals::agent
