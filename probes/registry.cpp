#include <stdexcept>

#include "probes/probe.hpp"

namespace reznet::probes {

void ProbeRegistry::Add(std::string kind, config::KindSpec spec, Factory factory) {
  parsers_[kind] = std::move(spec);
  factories_[kind] = std::move(factory);
}

std::unique_ptr<Probe> ProbeRegistry::Create(const CreateArgs& args) const {
  auto it = factories_.find(args.probe.kind);
  if (it == factories_.end()) throw std::invalid_argument("unknown probe kind " + args.probe.kind);
  return it->second(args);
}

}  // namespace reznet::probes
