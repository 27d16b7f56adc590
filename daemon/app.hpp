#pragma once
// The composition root: builds every part from one Config and wires them by reference.
// Each function returns the process exit code of its command (docs/design.md §10).

#include <optional>
#include <string>

#include "config/config.hpp"
#include "probes/probe.hpp"

namespace reznet::daemon {

struct ServeOptions {
  std::string listen_override;         // --listen, replaces daemon.listen when set
  std::optional<config::Shard> shard;  // --shard I/N, replaces daemon.shard when set
};

// `serve`: runs until SIGTERM/SIGINT, then stops scheduling, lets in-flight runs finish for
// daemon.shutdown_grace, cancels the rest and returns 0. Start-up errors: message on stderr, 2.
int Serve(const config::Config& config, const probes::ProbeRegistry& registry,
          const ServeOptions& options);

// The config embedded in the binary (config/examples/demo.yaml at build time).
const char* EmbeddedDemoConfig();

}  // namespace reznet::daemon
