#pragma once
// A WebSocket reader for tests (header-only; Boost.Beast, blocking): opens ws://127.0.0.1:<port>
// <target> and hands each text message, parsed as JSON, to a callback until it returns false or
// the server closes. A refused handshake is returned with its HTTP status and body.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace vitals::test {

struct WsOutcome {
  int status = 0;       // 101 when the upgrade was accepted
  std::string body;     // a refusal's body
  bool closed = false;  // the server closed the connection (rather than the callback stopping)
};

// The HTTP response to a WebSocket upgrade request (what a refused handshake gets).
inline WsOutcome upgradeRefusal(int port, const std::string& target,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  namespace net = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  WsOutcome out;
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  beast::error_code ec;
  socket.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
  if (ec) {
    return out;
  }
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::sec_websocket_version, "13");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  for (const auto& [k, v] : headers) {
    req.set(k, v);
  }
  http::write(socket, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res, ec);
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  return out;
}

inline WsOutcome readWs(int port, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::function<bool(const nlohmann::json&)>& on_message) {
  namespace net = boost::asio;
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  WsOutcome out;
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  beast::error_code ec;
  socket.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
  if (ec) {
    return out;
  }
  websocket::stream<net::ip::tcp::socket&> ws(socket);
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    for (const auto& [k, v] : headers) {
      req.set(k, v);
    }
  }));
  ws.handshake("127.0.0.1:" + std::to_string(port), target, ec);
  if (ec) {
    // Beast 1.74 does not hand back a declined upgrade's response: ask again over plain HTTP
    // with the same upgrade headers to read the status and the reason.
    return upgradeRefusal(port, target, headers);
  }
  out.status = 101;
  beast::flat_buffer buffer;
  for (;;) {
    ws.read(buffer, ec);
    if (ec) {
      out.closed = true;
      return out;
    }
    const auto text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    if (!on_message(nlohmann::json::parse(text))) {
      ws.close(websocket::close_code::normal, ec);
      return out;
    }
  }
}

}  // namespace vitals::test
