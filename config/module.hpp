#pragma once
// Modules: probe templates run against a target given at run time (GET /probe?target=…&module=…,
// the blackbox_exporter multi-target pattern; api/probe_route.hpp).
//
//   modules:
//     http_2xx:
//       kind: http                  # a kind whose traits say what its target address is
//       timeout: 5s                 # at most; a shorter Prometheus scrape timeout wins
//       target:                     # optional template: what every target gets (never the query)
//         url: https://placeholder/api   # scheme and base path kept when the target is host:port
//         headers: { Authorization: "Bearer ${TOKEN}" }
//         ca_file: /etc/ssl/internal-ca.pem
//       http: { path: /health, expect: { status: 200 } }   # the kind's block, as in a probe
//       allow:                      # the SSRF guard; nothing listed: nothing allowed
//         hosts: ["*.svc.cluster.local", "localhost"]
//         cidrs: ["10.0.0.0/8", "127.0.0.0/8"]
//         ports: [80, 443, "8000-8099"]        # none listed: any port
//
// What an address replaces in the template is the kind's to say (KindTraits::address):
//   kind address  what `address` may be                      what it replaces
//   url           http(s)://host[:port][/path], host[:port]  the url (host[:port] keeps the
//   (UrlAddress)                                             template's scheme and base path)
//   redis         redis://host[:port][/db], host[:port]      host and port of the redis url
//   postgres      host[:port]                                host and port of the dsn

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "config/config.hpp"
#include "config/kind.hpp"

namespace reznet::config {

// The template with `address` put in, and the host and port it now aims at. The error says what
// is wrong with `address`, never echoing credentials.
struct Addressed {
  TargetConfig target;
  HostPort where;
};
// Refuses what no kind takes (empty, over 2048 characters, user@host), then asks the kind's
// `rewrite`; null `rewrite`: the kind takes no address.
common::Result<Addressed> WithAddress(const TargetConfig& tmpl, AddressRewrite rewrite,
                                      std::string_view address);

// The address of the kinds whose target is a url (http, llm, agent): a URL replaces it, host[:port]
// replaces its host and port and keeps the template's scheme and base path.
common::Result<Addressed> UrlAddress(const TargetConfig& tmpl, std::string_view address);

// For a kind's AddressRewrite: `why` about `address`, its user-info masked, cut at 120 characters.
std::unexpected<common::Error<>> AddressError(std::string_view address, const std::string& why);
// Replaces the host[:port] of a scheme://[userinfo@]host[:port][/rest] URI; `uri` without "://"
// is returned as it is.
std::string ReplaceAuthority(const std::string& uri, const HostPort& hp);

// The kinds that take an address given at run time (modules, discovered targets), for messages:
// "http, llm, postgres".
std::string AddressableKinds(const KindTraitsMap& kinds);

// One run's probe config and target, built from a module and an address.
struct ModuleProbe {
  ProbeConfig probe;
  std::shared_ptr<const TargetConfig> target;
};
// Checks `address` against the module's allow list and reads the kind's block for it. Cheap
// enough per request (a YAML parse of the block).
// Refused: kForbidden when the allow list said no, else kInvalid (a malformed address).
common::Result<ModuleProbe> ResolveModule(const ModuleConfig& module, std::string_view address,
                                          const Config& cfg);

}  // namespace reznet::config
