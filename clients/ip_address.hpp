#pragma once
// The address of a parsed IP-literal host (config/host.hpp), built from its bytes: the clients
// connect to exactly what the allow list judged, never to a re-parse of its text. Include only
// from .cpp files that already use Asio.

#include <boost/asio/ip/address.hpp>
#include <optional>

#include "config/host.hpp"

namespace reznet::clients {

inline std::optional<boost::asio::ip::address> AddressOf(const config::Host& host) {
  namespace ip = boost::asio::ip;
  switch (host.kind) {
    case config::Host::Kind::kIpv4:
      return ip::address(ip::address_v4(
          ip::address_v4::bytes_type{host.addr[0], host.addr[1], host.addr[2], host.addr[3]}));
    case config::Host::Kind::kIpv6: {
      ip::address_v6::bytes_type b{};
      for (std::size_t i = 0; i < b.size(); ++i) b[i] = host.addr[i];
      return ip::address(ip::address_v6(b));
    }
    case config::Host::Kind::kName:
      break;
  }
  return std::nullopt;
}

}  // namespace reznet::clients
