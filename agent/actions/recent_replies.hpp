#pragma once
// The idempotency memory of the command handler: the replies to the last `capacity` request ids
// (oldest forgotten first), and which ids are still running. Single-threaded (loop thread).
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "agent/actions/command.hpp"

namespace vitals::agent {

class RecentReplies {
 public:
  explicit RecentReplies(std::size_t capacity = 1000) : capacity_(capacity) {}

  // The stored reply of a finished request, or nullptr.
  const CommandReply* find(const std::string& request_id) const;
  bool running(const std::string& request_id) const;
  // Marks a request as started (find() is nullptr and running() false before).
  void start(const std::string& request_id);
  // Stores the reply of a started request; forgets the oldest finished ones beyond capacity.
  void finish(const std::string& request_id, CommandReply reply);
  // Forgets a started request without a reply (it was refused: a retry may run).
  void abandon(const std::string& request_id);

  std::size_t size() const { return replies_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_map<std::string, CommandReply> replies_;
  std::deque<std::string> order_;  // finished ids, oldest first
  std::unordered_set<std::string> running_;
};

}  // namespace vitals::agent
