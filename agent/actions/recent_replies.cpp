#include "agent/actions/recent_replies.hpp"

namespace vitals::agent {

const CommandReply* RecentReplies::find(const std::string& request_id) const {
  auto it = replies_.find(request_id);
  return it == replies_.end() ? nullptr : &it->second;
}

bool RecentReplies::running(const std::string& request_id) const {
  return running_.count(request_id) != 0;
}

void RecentReplies::start(const std::string& request_id) { running_.insert(request_id); }

void RecentReplies::abandon(const std::string& request_id) { running_.erase(request_id); }

void RecentReplies::finish(const std::string& request_id, CommandReply reply) {
  running_.erase(request_id);
  if (replies_.count(request_id) != 0) {
    return;  // keep the first reply
  }
  replies_.emplace(request_id, std::move(reply));
  order_.push_back(request_id);
  while (order_.size() > capacity_) {
    replies_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace vitals::agent
