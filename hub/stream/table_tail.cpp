#include "hub/stream/table_tail.hpp"

namespace vitals::hub::stream {

Status TableTail::poll() {
  if (!watermark_) {
    auto newest = source_.newestId();
    if (!newest.ok()) {
      return newest.error();
    }
    watermark_ = newest.value();
    return okStatus();
  }
  // Several rounds when a burst exceeds one batch; bounded so one poll cannot run forever.
  for (int round = 0; round < 20; ++round) {
    auto rows = source_.after(*watermark_, settings_.batch);
    if (!rows.ok()) {
      return rows.error();
    }
    std::size_t fresh = 0;
    for (auto& row : rows.value()) {
      if (!published_.insert(row.id).second) {
        continue;  // published in an earlier round, still above the watermark (a gap below it)
      }
      ++fresh;
      if (!row.kind.empty()) {  // an empty kind only moves the position
        publisher_.publish(row.kind, row.service, std::move(row.data), row.readable_by);
      }
    }
    advance();
    if (fresh == 0 || static_cast<int>(rows->size()) < settings_.batch) {
      break;
    }
  }
  return okStatus();
}

void TableTail::advance() {
  const auto now = clock_.steadyNow();
  while (!published_.empty()) {
    const std::int64_t next = *watermark_ + 1;
    if (published_.count(next) > 0) {
      published_.erase(next);
      gap_seen_at_.erase(next);
      watermark_ = next;
      continue;
    }
    // A gap below a published id: an uncommitted transaction, or a rolled-back one.
    auto [it, first] = gap_seen_at_.try_emplace(next, now);
    if (!first && now - it->second >= settings_.gap_timeout) {
      gap_seen_at_.erase(it);
      watermark_ = next;  // gave up on it
      continue;
    }
    break;
  }
  // Gaps at or below the watermark are settled.
  gap_seen_at_.erase(gap_seen_at_.begin(), gap_seen_at_.upper_bound(*watermark_));
}

}  // namespace vitals::hub::stream
