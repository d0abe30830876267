// Boost.Asio's SSL support compiled once (BOOST_ASIO_SEPARATE_COMPILATION, as asio_impl.cpp does
// for the rest of Asio), in its own library: the agent's https probes and the hub's WebSocket
// listener link it; nothing else pays for OpenSSL.
#include <utility>
#include <boost/asio/ssl/impl/src.hpp>
