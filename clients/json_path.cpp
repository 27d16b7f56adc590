#include "clients/json_path.hpp"

#include <boost/json/value.hpp>
#include <charconv>

namespace reznet::clients {

common::Result<JsonPath> ParseJsonPath(std::string_view text) {
  JsonPath path;
  path.text = std::string(text);
  std::string_view rest = text;
  if (rest.starts_with("$")) rest.remove_prefix(1);
  if (rest.starts_with(".")) rest.remove_prefix(1);
  const auto bad = [&] {
    return common::Invalid("bad JSON field path \"" + std::string(text) +
                           "\"; write it like \"status\", \"data.items[0].id\" or \"$[0].id\"");
  };
  while (!rest.empty()) {
    if (rest.front() == '[') {
      auto close = rest.find(']');
      if (close == std::string_view::npos) return bad();
      long index = -1;
      auto digits = rest.substr(1, close - 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (ec != std::errc() || ptr != digits.data() + digits.size() || index < 0) return bad();
      path.steps.push_back({"", index});
      rest.remove_prefix(close + 1);
      if (rest.starts_with(".")) rest.remove_prefix(1);
      continue;
    }
    auto end = rest.find_first_of(".[");
    auto key = rest.substr(0, end);
    if (key.empty()) return bad();
    path.steps.push_back({std::string(key), -1});
    rest.remove_prefix(key.size());
    if (rest.starts_with(".")) rest.remove_prefix(1);
  }
  if (path.steps.empty()) return bad();
  return path;
}

const boost::json::value* Lookup(const boost::json::value& doc, const JsonPath& path) {
  const boost::json::value* cur = &doc;
  for (const auto& step : path.steps) {
    if (step.index >= 0) {
      const auto* arr = cur->if_array();
      cur = (arr && static_cast<std::size_t>(step.index) < arr->size())
                ? &(*arr)[static_cast<std::size_t>(step.index)]
                : nullptr;
    } else {
      const auto* obj = cur->if_object();
      cur = obj ? obj->if_contains(step.key) : nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

}  // namespace reznet::clients
