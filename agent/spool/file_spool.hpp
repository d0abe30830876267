#pragma once
// A Spool in a directory of append-only segment files ("<20-digit number>.seg"). Each record is
//
//   u32 magic "VSP1" | u32 body length | u32 CRC-32 of body | body
//   body = u16 msg id length | msg id | u32 result count | encoded ResultBatch
//
// (little-endian). A small "cursor" file (segment number, offset, CRC) records how far the
// records have been stored by JetStream. On open, every segment is scanned: a torn or corrupt
// record (bad magic, length past the end, CRC mismatch) and everything after it in that segment
// is cut off with ftruncate and reported, never trusted. Fully stored segments are deleted.
// When the spool would exceed max_bytes, the oldest whole segment is dropped (segments are
// max_bytes / 8, so at most an eighth of the spool goes at once).
//
// Durability: records are written with write(2) at once, so they survive a crash or SIGKILL of
// the agent; a segment is fdatasync'ed when it is closed (on the background runner when one is
// set: an fdatasync of a whole segment can take longer than a probe's timeout, and the loop
// thread that appends must not wait for it). An OS crash can lose records of the
// open segment not yet flushed by the kernel. A replayed record that JetStream had stored is
// deduplicated by its message id (and by the hub's unique key).
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/spool/spool.hpp"

namespace vitals::agent {

struct FileSpoolOptions {
  std::string dir;
  std::uint64_t max_bytes = 64ULL << 20;
  std::uint64_t segment_bytes = 0;  // 0: max_bytes / 8 (at least 4 KiB)
};

// What open() found on disk.
struct SpoolRecovery {
  std::uint64_t segments = 0;
  std::uint64_t batches = 0;  // waiting to be published
  std::uint64_t results = 0;
  std::uint64_t truncated_bytes = 0;  // torn/corrupt tails cut off
  std::vector<std::string> notes;     // one line per repair, for the log
};

std::uint32_t crc32(std::string_view data);

class FileSpool final : public Spool {
 public:
  // Creates dir if needed, recovers what is there. Error when the directory cannot be used.
  static Result<std::unique_ptr<FileSpool>> open(const FileSpoolOptions& options,
                                                 SpoolRecovery& recovery);
  ~FileSpool() override;
  FileSpool(const FileSpool&) = delete;
  FileSpool& operator=(const FileSpool&) = delete;

  void setBackground(BackgroundRunner run) override { background_ = std::move(run); }
  Result<AppendOutcome> append(const std::string& msg_id, std::string_view payload,
                               std::uint32_t results) override;
  std::optional<SpooledBatch> front() override;
  bool pop(std::uint64_t id) override;
  std::uint64_t batches() const override { return batches_; }
  std::uint64_t results() const override { return results_; }
  std::uint64_t bytes() const override { return bytes_; }
  // Segment files currently on disk (for tests and the log).
  std::size_t segmentCount() const { return segments_.size(); }

 private:
  struct Segment {
    std::uint64_t number = 0;
    std::string path;
    std::uint64_t bytes = 0;    // file size
    std::uint64_t batches = 0;  // records not yet stored
    std::uint64_t results = 0;
  };
  explicit FileSpool(FileSpoolOptions options);
  Result<Ok> recover(SpoolRecovery& recovery);
  Result<Ok> roll();
  BackgroundRunner background_;
  void dropFrontSegment();
  void closeWriter(bool sync);
  void writeCursor();
  std::string segmentPath(std::uint64_t number) const;

  FileSpoolOptions options_;
  std::deque<Segment> segments_;  // oldest first; the back one is written
  int write_fd_ = -1;             // open on segments_.back() when set
  int cursor_fd_ = -1;
  std::uint64_t next_segment_ = 1;
  std::uint64_t read_offset_ = 0;  // in segments_.front(): first record not yet stored
  std::uint64_t front_id_ = 1;     // id of the front record
  std::optional<SpooledBatch> front_cache_;
  std::uint64_t front_size_ = 0;  // bytes of the cached front record
  std::uint64_t batches_ = 0;
  std::uint64_t results_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace vitals::agent
