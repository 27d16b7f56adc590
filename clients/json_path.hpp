#pragma once
// A path into a JSON document ("status", "data.items[0].id", "$[0].id"): object keys and array
// indices, compiled once at load time, looked up many times.

#include <boost/json/fwd.hpp>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace reznet::clients {

// A path into a JSON document: object keys and array indices, compiled at load time.
struct JsonPath {
  struct Step {
    std::string key;  // used when index < 0
    long index = -1;
    bool operator==(const Step&) const = default;
  };
  std::string text;
  std::vector<Step> steps;
  bool operator==(const JsonPath&) const = default;
};
common::Result<JsonPath> ParseJsonPath(std::string_view text);

// The value at `path`, or null when any step is missing.
const boost::json::value* Lookup(const boost::json::value& doc, const JsonPath& path);

}  // namespace reznet::clients
