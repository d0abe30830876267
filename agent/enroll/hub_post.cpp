// The enroll command's one HTTP call: POST JSON to the hub over HTTPS (certificate chain and
// host name verified, TLS 1.2+) or, for a loopback hub with --insecure, plain HTTP. Beast over
// Asio (what the agent's http probe uses), so the agent needs no other HTTP library.
#include <openssl/ssl.h>

#include <optional>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>

#include "agent/enroll/enroll_command.hpp"
#include "common/net/url.hpp"

namespace vitals::agent::enroll {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
constexpr auto kTimeout = std::chrono::seconds{15};

template <typename Stream>
asio::awaitable<HttpAnswer> exchange(Stream& stream, http::request<http::string_body>& req,
                                     beast::tcp_stream& lowest) {
  lowest.expires_after(kTimeout);
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  lowest.expires_after(kTimeout);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  co_return HttpAnswer{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

asio::awaitable<HttpAnswer> post(asio::io_context& io, net::Url url, std::string body,
                                 std::string ca_file) {
  tcp::resolver resolver(io);
  const auto endpoints =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), asio::use_awaitable);
  http::request<http::string_body> req{http::verb::post, url.target(), 11};
  req.set(http::field::host, url.port_given ? url.hostPort() : url.host);
  req.set(http::field::user_agent, "vitals-agent/" VITALS_VERSION " enroll");
  req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();

  if (url.scheme != "https") {
    beast::tcp_stream stream(io);
    stream.expires_after(kTimeout);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    co_return co_await exchange(stream, req, stream);
  }
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (ca_file.empty()) {
    ctx.set_default_verify_paths();
  } else {
    ctx.load_verify_file(ca_file);
  }
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  if (!url.ipv6_literal) {
    SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
  }
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(kTimeout);
  co_await lowest.async_connect(endpoints, asio::use_awaitable);
  lowest.expires_after(kTimeout);
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  co_return co_await exchange(stream, req, lowest);
}

}  // namespace

EnrollDeps systemEnrollDeps(std::string hostname) {
  EnrollDeps d;
  d.hostname = std::move(hostname);
  d.new_key = [] { return nkeys::newUserKeyPair(); };
  d.post = [](const std::string& url_text, const std::string& body,
              const std::string& ca_file) -> Result<HttpAnswer> {
    auto url = net::parseUrl(url_text);
    if (!url.ok()) {
      return url.error();
    }
    asio::io_context io;
    std::optional<HttpAnswer> answer;
    std::string failure;
    asio::co_spawn(io, post(io, url.value(), body, ca_file),
                   [&](std::exception_ptr e, HttpAnswer a) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         failure = ex.what();
                       }
                     } else {
                       answer = std::move(a);
                     }
                   });
    io.run();
    if (!answer) {
      return Error{"enroll.http", failure.empty() ? std::string("no answer") : failure, {}};
    }
    return *answer;
  };
  return d;
}

}  // namespace vitals::agent::enroll
