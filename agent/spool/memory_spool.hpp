#pragma once
// A Spool in memory: used when no spool.dir is configured (results survive a bus outage but not
// a restart) and by unit tests. Bounded by bytes like FileSpool; drops the oldest record first.
#include <deque>

#include "agent/spool/spool.hpp"

namespace vitals::agent {

class MemorySpool final : public Spool {
 public:
  explicit MemorySpool(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

  Result<AppendOutcome> append(const std::string& msg_id, std::string_view payload,
                               std::uint32_t results) override {
    const std::uint64_t size = recordSize(msg_id, payload);
    if (size > max_bytes_) {
      return Error{"spool.too_large", "record larger than the spool", msg_id};
    }
    AppendOutcome out;
    while (bytes_ + size > max_bytes_ && !records_.empty()) {
      out.dropped_batches += 1;
      out.dropped_results += records_.front().results;
      dropFront();
    }
    records_.push_back(SpooledBatch{next_id_++, msg_id, std::string(payload), results});
    bytes_ += size;
    results_ += results;
    return out;
  }
  std::optional<SpooledBatch> front() override {
    if (records_.empty()) {
      return std::nullopt;
    }
    return records_.front();
  }
  bool pop(std::uint64_t id) override {
    if (records_.empty() || records_.front().id != id) {
      return false;
    }
    dropFront();
    return true;
  }
  std::uint64_t batches() const override { return records_.size(); }
  std::uint64_t results() const override { return results_; }
  std::uint64_t bytes() const override { return bytes_; }

 private:
  static std::uint64_t recordSize(std::string_view msg_id, std::string_view payload) {
    return 16 + msg_id.size() + payload.size();  // about what a FileSpool record takes
  }
  void dropFront() {
    bytes_ -= recordSize(records_.front().msg_id, records_.front().payload);
    results_ -= records_.front().results;
    records_.pop_front();
  }

  std::uint64_t max_bytes_;
  std::deque<SpooledBatch> records_;
  std::uint64_t next_id_ = 1;
  std::uint64_t bytes_ = 0;
  std::uint64_t results_ = 0;
};

}  // namespace vitals::agent
