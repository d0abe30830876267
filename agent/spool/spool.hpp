#pragma once
// Where encoded result batches wait until JetStream has stored them. A FIFO of records, each one
// encoded ResultBatch with its JetStream message id, so a replay (even after a restart) sends the
// same bytes under the same id. Bounded: appending beyond the bound drops the oldest records
// first and says how many results went. Implementations: FileSpool (segment files on disk,
// survives a crash of the agent) and MemorySpool (no spool.dir configured; unit tests).
//
// Threading: one thread (the agent's loop thread) uses a spool; no locking inside.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error/result.hpp"

namespace vitals::agent {

struct SpooledBatch {
  std::uint64_t id = 0;  // position in this spool instance; pass it back to pop()
  std::string msg_id;
  std::string payload;
  std::uint32_t results = 0;
};

struct AppendOutcome {
  std::uint64_t dropped_batches = 0;  // oldest records dropped to make room
  std::uint64_t dropped_results = 0;
};

class Spool {
 public:
  virtual ~Spool() = default;
  // Adds a record at the back. Error (nothing stored) when it cannot be written or is larger
  // than the whole spool.
  virtual Result<AppendOutcome> append(const std::string& msg_id, std::string_view payload,
                                       std::uint32_t results) = 0;
  // The oldest record, or nullopt when empty.
  virtual std::optional<SpooledBatch> front() = 0;
  // Removes the front record if its id is `id` (it was stored by JetStream); false when the
  // front is another record (e.g. `id` was dropped meanwhile to make room).
  virtual bool pop(std::uint64_t id) = 0;
  virtual std::uint64_t batches() const = 0;
  virtual std::uint64_t results() const = 0;
  virtual std::uint64_t bytes() const = 0;
  bool empty() const { return batches() == 0; }
  // Where slow disk work that nothing waits for may run (a finished segment's fdatasync and
  // close): `run(job)` runs job on another thread. Unset, or for spools without such work, it
  // runs inline.
  using BackgroundRunner = std::function<void(std::function<void()>)>;
  virtual void setBackground(BackgroundRunner run) { (void)run; }
};

}  // namespace vitals::agent
