#pragma once
// Secret scrubbing for everything the daemon writes (logs, outcomes, reports, status, history).
// A Redactor holds the configured secrets and replaces each occurrence with "***". It is built
// once per loaded config and is immutable afterwards, so one instance may be shared between
// threads without a lock.

#include <set>
#include <string>
#include <string_view>

namespace reznet::common {

inline constexpr std::string_view kRedacted = "***";

class Redactor {
 public:
  // Secrets shorter than this are ignored: replacing "ok" or "1" everywhere would mangle text
  // while hiding nothing worth hiding.
  static constexpr std::size_t kMinSecretLength = 4;

  // Adds one secret (ignored when shorter than kMinSecretLength or already known).
  void Add(std::string_view secret);
  // Adds every secret of `other`.
  void Add(const Redactor& other);
  bool Empty() const { return secrets_.empty(); }
  // `text` with every secret replaced by "***"; longer secrets first, so a secret that contains
  // another one is hidden whole.
  std::string Scrub(std::string_view text) const;
  // True when `text` contains any secret (lets callers skip a copy on the common path).
  bool Contains(std::string_view text) const;

 private:
  struct LongerFirst {
    bool operator()(const std::string& a, const std::string& b) const {
      return a.size() != b.size() ? a.size() > b.size() : a < b;
    }
  };
  // Longest first; a set, so adding is O(log n): a config with 100,000 targets adds as many.
  std::set<std::string, LongerFirst> secrets_;
};

// `url` with the password of its user-info replaced: "redis://:pw@h" -> "redis://:***@h",
// "http://user:pw@h/p" -> "http://user:***@h/p", "http://token@h" -> "http://***@h". Text
// that is not a URL with user-info comes back unchanged. For messages about URLs that were
// rejected before any Redactor exists (config errors).
std::string MaskUrlUserInfo(std::string_view url);

}  // namespace reznet::common
