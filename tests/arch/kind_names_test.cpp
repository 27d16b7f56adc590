// A probe kind describes itself (issue #12): its name, as a string literal, appears only in its
// own folder (probes/<kind>/) and in probes/builtin.cpp. Central code reads the kind's traits
// (config/kind.hpp) or its kKind instead of comparing kind names. The names come from the
// registry (RegisterBuiltinProbes), so a new kind is checked without editing this test.
//
// Scans every .cpp/.hpp under the source tree except build and hidden directories. Comments are
// skipped. Test sources (*_test.cpp and the other test suffixes of docs/style.md) name kinds as
// fixture data and are skipped too. The same word with another meaning is allowed file by file
// in kAllowed, each with its reason; an entry that no longer matches anything fails the test, so
// the list only shrinks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "probes/probe.hpp"

namespace reznet {
namespace {

namespace fs = std::filesystem;

struct Allowed {
  std::string_view file, literal, reason;
};
constexpr Allowed kAllowed[] = {
    {"config/units.cpp", "http", "the URL scheme http(s)"},
    {"config/address.cpp", "http", "the URL scheme http(s) of a target given as host:port"},
    {"config/loader.cpp", "load", "the obsolete top-level load: section, rejected with a hint"},
    {"config/suite.hpp", "load", "the default suite profile named load (kinds join it by traits)"},
    {"config/suite.cpp", "postgres", "the history store named postgres"},
    {"suite/history.cpp", "postgres", "the history store named postgres"},
    {"clients/error.cpp", "redis", "the label of the error kind of a Redis error reply"},
    {"daemon/cli/load.cpp", "load", "the name of the command line verb `reznet-perfd load`"},
    {"testbed/main.cpp", "llm", "the key of the testbed's LLM emulator in its faults JSON"},
    {"testbed/store.cpp", "cache", "the key of the testbed's cache switch in its faults JSON"},
    {"bench/window_bench.cpp", "http", "a benchmark's probe fixture (data, as in the tests)"},
};

const std::regex kTestFile(R"(_(test|pgtest|redistest|e2e_test)\.cpp$)");

struct Literal {
  int line;
  std::string value;
};

bool IdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A ' inside a number (1'000) separates digits; it does not open a character literal.
bool DigitSeparator(const std::string& s, std::size_t at) {
  std::size_t b = at;
  while (b > 0 && (IdentChar(s[b - 1]) || s[b - 1] == '\'' || s[b - 1] == '.')) --b;
  return b < at && std::isdigit(static_cast<unsigned char>(s[b]));
}

// The string literals of a C++ source with their 1-based lines: comments and character literals
// skipped, escapes kept as written, raw strings (R"d(...)d") taken whole.
std::vector<Literal> StringLiterals(const std::string& s) {
  std::vector<Literal> out;
  int line = 1;
  auto advance = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to && k < s.size(); ++k) line += s[k] == '\n';
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '/' && i + 1 < s.size() && (s[i + 1] == '/' || s[i + 1] == '*')) {
      const std::size_t end = s[i + 1] == '/' ? s.find('\n', i) : s.find("*/", i + 2);
      const std::size_t next =
          end == std::string::npos ? s.size() : end + (s[i + 1] == '*' ? 2 : 0);
      advance(i, next);
      i = next;
    } else if (c == '"' && i > 0 && s[i - 1] == 'R' &&
               (i < 2 || !IdentChar(s[i - 2]) || s[i - 2] == '8' || s[i - 2] == 'L' ||
                s[i - 2] == 'u' || s[i - 2] == 'U')) {
      const std::size_t open = s.find('(', i);
      const std::string close =
          open == std::string::npos ? "" : ")" + s.substr(i + 1, open - i - 1) + "\"";
      const std::size_t end = open == std::string::npos ? open : s.find(close, open);
      if (end == std::string::npos) break;  // not C++ we compile
      out.push_back({line, s.substr(open + 1, end - open - 1)});
      advance(i, end + close.size());
      i = end + close.size();
    } else if (c == '"' || (c == '\'' && !DigitSeparator(s, i))) {
      const int first = line;
      std::size_t j = i + 1;
      for (; j < s.size() && s[j] != c && s[j] != '\n'; ++j) {
        if (s[j] == '\\' && j + 1 < s.size()) line += s[++j] == '\n';  // an escape, or a splice
      }
      if (c == '"') out.push_back({first, s.substr(i + 1, j - i - 1)});
      i = j < s.size() && s[j] == c ? j + 1 : j;
    } else {
      line += c == '\n';
      ++i;
    }
  }
  return out;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every .cpp/.hpp under `root`, as paths relative to it, outside build and hidden directories.
std::vector<std::string> Sources(const fs::path& root) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::end(it); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && (name.starts_with("build") || name.starts_with(".") ||
                               name == "node_modules" || name == "coverage")) {
      it.disable_recursion_pending();
    } else if (it->is_regular_file() && (name.ends_with(".cpp") || name.ends_with(".hpp"))) {
      out.push_back(fs::relative(it->path(), root).generic_string());
    }
  }
  return out;
}

const Allowed* FindAllowed(const std::string& file, const std::string& literal) {
  for (const auto& a : kAllowed) {
    if (a.file == file && a.literal == literal) return &a;
  }
  return nullptr;
}

TEST(KindNames, StayInTheirKindsFolders) {
  probes::ProbeRegistry registry;
  probes::RegisterBuiltinProbes(registry);
  const fs::path root = REZNET_SOURCE_DIR;
  ASSERT_GE(registry.Kinds().size(), 7u);
  for (const auto& [kind, traits] : registry.Kinds()) {
    EXPECT_TRUE(fs::is_directory(root / "probes" / kind)) << "kind " << kind << " has no folder";
  }
  std::vector<std::string> found;
  std::set<const Allowed*> used;
  int scanned = 0;
  for (const std::string& file : Sources(root)) {
    if (file == "probes/builtin.cpp" || std::regex_search(file, kTestFile)) continue;
    ++scanned;
    for (const Literal& lit : StringLiterals(Read(root / file))) {
      if (!registry.Kinds().contains(lit.value)) continue;
      if (file.starts_with("probes/" + lit.value + "/")) continue;
      if (const Allowed* a = FindAllowed(file, lit.value)) {
        used.insert(a);
        continue;
      }
      found.push_back(file + ":" + std::to_string(lit.line) + ": \"" + lit.value +
                      "\" names kind " + lit.value + " outside probes/" + lit.value +
                      "/; read the probe's traits (config/kind.hpp) or the kind's kKind");
    }
  }
  EXPECT_GT(scanned, 100);
  EXPECT_THAT(found, ::testing::IsEmpty());
  for (const auto& a : kAllowed) {
    EXPECT_TRUE(used.contains(&a)) << "allowlist entry (" << a.file << ", \"" << a.literal
                                   << "\") matches nothing any more: remove it";
  }
}

TEST(KindNames, TheScannerSeesOnlyStringLiterals) {
  const std::string text =
      "// \"load\" in a comment\n"
      "x = \"http\"; y = 'q'; n = 1'000; s = \"a\\\"b\";\n"
      "/* \"llm\"\n \"agent\" */ z = R\"x(load)x\";\n"
      "w = \"redis\";\n";
  const auto lits = StringLiterals(text);
  std::vector<std::string> values;
  std::vector<int> lines;
  for (const auto& l : lits) {
    values.push_back(l.value);
    lines.push_back(l.line);
  }
  EXPECT_THAT(values, ::testing::ElementsAre("http", "a\\\"b", "load", "redis"));
  EXPECT_THAT(lines, ::testing::ElementsAre(2, 2, 4, 5));
}

}  // namespace
}  // namespace reznet
