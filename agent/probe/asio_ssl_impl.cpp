// Boost.Asio's SSL support compiled once for the agent (BOOST_ASIO_SEPARATE_COMPILATION, as
// common/asio/asio_impl.cpp does for the rest of Asio). Only the http probe uses it.
#include <utility>
#include <boost/asio/ssl/impl/src.hpp>
