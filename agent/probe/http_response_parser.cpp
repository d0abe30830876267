#include "agent/probe/http_response_parser.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace vitals::agent {

namespace http = boost::beast::http;
using boost::beast::error_code;
using boost::beast::string_view;

// Beast calls these as it parses; they write into the owning HttpResponseParser.
class HttpResponseParser::Impl final : public http::basic_parser<false> {
 public:
  explicit Impl(HttpResponseParser& out) : out_(out) {}

 private:
  void on_request_impl(http::verb, string_view, string_view, int, error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { out_.status_ = code; }
  void on_field_impl(http::field name, string_view, string_view value, error_code&) override {
    if (name == http::field::location) {
      out_.location_.assign(value.data(), value.size());
    }
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override {
    keep(body);
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    keep(body);
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  void keep(string_view piece) {
    std::string& body = out_.body_;
    if (body.size() < out_.max_body_) {
      body.append(piece.data(), std::min(piece.size(), out_.max_body_ - body.size()));
    }
  }

  HttpResponseParser& out_;
};

HttpResponseParser::HttpResponseParser(bool head_request, std::size_t max_body)
    : impl_(std::make_unique<Impl>(*this)), max_body_(max_body) {
  impl_->eager(true);
  impl_->skip(head_request);
  // The probe's deadline bounds the body, not a size. (Not boost::none: Beast 1.74 compares the
  // Content-Length with the optional, and every length is greater than none.)
  impl_->body_limit(std::numeric_limits<std::uint64_t>::max());
  impl_->header_limit(64 * 1024);
}

HttpResponseParser::~HttpResponseParser() = default;

bool HttpResponseParser::headerDone() const { return impl_->is_header_done(); }

HttpResponseParser::State HttpResponseParser::feed(std::string_view data) {
  if (state_ != State::NeedMore) {
    return state_;
  }
  // Beast needs the unconsumed rest of a header line again with the next bytes.
  std::string_view input = data;
  if (!pending_.empty()) {
    pending_.append(data);
    input = pending_;
  }
  std::size_t used = 0;
  while (used < input.size() && !impl_->is_done()) {
    error_code ec;
    const std::size_t n =
        impl_->put(boost::asio::const_buffer(input.data() + used, input.size() - used), ec);
    used += n;
    if (ec == http::error::need_more) {
      break;
    }
    if (ec) {
      error_ = "invalid HTTP response: " + ec.message();
      state_ = State::Failed;
      pending_.clear();
      return state_;
    }
    if (n == 0) {
      break;
    }
  }
  if (impl_->is_done()) {
    state_ = State::Done;
    pending_.clear();
    return state_;
  }
  pending_ = std::string(input.substr(used));
  return state_;
}

HttpResponseParser::State HttpResponseParser::finish() {
  if (state_ != State::NeedMore) {
    return state_;
  }
  if (!impl_->got_some() || !impl_->is_header_done()) {
    error_ = "connection closed before a complete answer";
    state_ = State::Failed;
    return state_;
  }
  error_code ec;
  impl_->put_eof(ec);
  if (ec) {
    error_ = "connection closed before a complete answer";
    state_ = State::Failed;
    return state_;
  }
  state_ = impl_->is_done() ? State::Done : State::Failed;
  return state_;
}

}  // namespace vitals::agent
