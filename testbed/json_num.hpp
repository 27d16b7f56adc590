#pragma once
// JSON helpers shared by the testbed's fault endpoints.

#include <boost/json/value.hpp>
#include <cstdint>

namespace reznet::testbed {

// Whole numbers as integers: Boost.JSON would print 50.0 as "5E1".
inline boost::json::value JsonNum(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) return static_cast<std::int64_t>(v);
  return v;
}

}  // namespace reznet::testbed
