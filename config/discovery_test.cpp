// File-based target discovery (config/discovery.hpp): file_sd parsing, label names, the last good
// set of broken and vanished files, the cap, and expanding templates into probes.
#include "config/discovery.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "config/loader.hpp"
#include "config/module.hpp"

namespace reznet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A url kind whose settings keep the url and path they were read for; a kind without an address.
struct Seen : KindSettings {
  std::string url, path;
};

KindTraitsMap Kinds() {
  KindTraitsMap kinds;
  auto& web = kinds["web"];
  web.name = "web";
  web.address = UrlAddress;
  web.parse = [](MapReader& r, const TargetConfig* target, const ProbeConfig&) {
    auto s = std::make_shared<Seen>();
    r.Read("path", s->path);
    if (target == nullptr || !target->url) return std::shared_ptr<const KindSettings>();
    s->url = target->url->ToString();
    return std::shared_ptr<const KindSettings>(s);
  };
  kinds["shell"] = web;
  kinds["shell"].name = "shell";
  kinds["shell"].address = nullptr;
  return kinds;
}

std::string LoadError(const std::string& yaml) {
  try {
    LoadString(yaml, "d.yaml", Kinds());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("reznet-sd-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::trunc) << text;
    return p.string();
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::vector<std::string> Addresses(const std::vector<DiscoveredTarget>& targets) {
  std::vector<std::string> out;
  for (const auto& t : targets) out.push_back(t.address);
  return out;
}

TEST(FileSd, ParsesJsonAndYamlGroupsWithLabels) {
  auto json = ParseFileSd(
      R"([{"targets": ["a:1", "b:2"], "labels": {"team": "pay", "env": "prod"}}, {"targets": ["c:3"]}])",
      "t.json");
  ASSERT_TRUE(json) << json.error().detail;
  EXPECT_THAT(Addresses(json->targets), ElementsAre("a:1", "b:2", "c:3"));
  EXPECT_THAT(json->targets[0].labels,
              ElementsAre(std::pair<std::string, std::string>{"env", "prod"},
                          std::pair<std::string, std::string>{"team", "pay"}));
  EXPECT_TRUE(json->targets[2].labels.empty());
  auto yaml = ParseFileSd("- targets: [x:9]\n  labels: { zone: a }\n", "t.yaml");
  ASSERT_TRUE(yaml) << yaml.error().detail;
  EXPECT_THAT(Addresses(yaml->targets), ElementsAre("x:9"));
}

TEST(FileSd, DropsInvalidAndReservedLabelsAndRenamesOurs) {
  auto doc = ParseFileSd(
      R"([{"targets": ["a:1", 5, ""], "labels": {"__meta_x": "1", "9lives": "2", "ok_name": "3", "probe": "p", "bad-dash": "4"}}])",
      "t.json");
  ASSERT_TRUE(doc) << doc.error().detail;
  // A number is a scalar in YAML: accepted as the address "5" (WithAddress judges it later).
  EXPECT_THAT(Addresses(doc->targets), ElementsAre("a:1", "5"));
  EXPECT_THAT(doc->targets[0].labels,
              ElementsAre(std::pair<std::string, std::string>{"exported_probe", "p"},
                          std::pair<std::string, std::string>{"ok_name", "3"}));
  EXPECT_EQ(doc->warnings.size(), 4u);  // three label names and the empty target
  EXPECT_TRUE(ValidDiscoveredLabelName("team_2"));
  EXPECT_FALSE(ValidDiscoveredLabelName("__address__"));
  EXPECT_FALSE(ValidDiscoveredLabelName("a.b"));
}

TEST(FileSd, TruncatedEmptyOrWrongShapeIsAnErrorWithPosition) {
  auto truncated = ParseFileSd("[{\"targets\": [\"a:1\",\n", "t.json");
  ASSERT_FALSE(truncated);
  EXPECT_THAT(truncated.error().detail, HasSubstr("t.json:"));
  EXPECT_FALSE(ParseFileSd("", "t.json"));
  EXPECT_THAT(ParseFileSd("  \n", "t.json").error().detail, HasSubstr("write [] for no targets"));
  EXPECT_THAT(ParseFileSd("{\"targets\": []}", "t.json").error().detail,
              HasSubstr("t.json:1:1: expected a list of groups"));
  auto none = ParseFileSd("[]", "t.json");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->targets.empty());
}

TEST(FileSdReader, BrokenFileKeepsItsLastGoodTargetsAndCountsOnce) {
  TempDir dir;
  const auto a = dir.Write("a.json", R"([{"targets": ["a:1"]}])");
  dir.Write("b.json", R"([{"targets": ["b:2"]}])");
  FileSdReader reader;
  TargetsFrom from{{dir / "*.json"}, std::chrono::seconds(1), 100};
  auto r = reader.Read(from);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.errors, 0);
  EXPECT_THAT(Addresses(r.targets), ElementsAre("a:1", "b:2"));
  r = reader.Read(from);
  EXPECT_FALSE(r.changed);

  dir.Write("a.json", R"([{"targets": ["a:1", "a:)");  // truncated mid-write
  r = reader.Read(from);
  EXPECT_EQ(r.errors, 1);
  EXPECT_THAT(Addresses(r.targets), ElementsAre("a:1", "b:2"));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_THAT(r.messages[0], HasSubstr(a + ":1:"));
  EXPECT_THAT(r.messages[0], HasSubstr("last good 1 target(s) are kept"));
  r = reader.Read(from);  // unchanged: neither read nor counted again
  EXPECT_EQ(r.errors, 0);
  EXPECT_TRUE(r.messages.empty());

  dir.Write("a.json", R"([{"targets": ["a:7"]}])");
  r = reader.Read(from);
  EXPECT_THAT(Addresses(r.targets), ElementsAre("a:7", "b:2"));
  EXPECT_THAT(r.messages, ElementsAre(HasSubstr("readable again")));
}

TEST(FileSdReader, GlobbedFileThatGoesIsRemovedNamedFileIsKept) {
  TempDir dir;
  const auto named = dir.Write("named.yaml", "- targets: [n:1]\n");
  const auto globbed = dir.Write("g.json", R"([{"targets": ["g:1"]}])");
  FileSdReader reader;
  TargetsFrom from{{named, dir / "*.json", dir / "nothing-*.json"}, std::chrono::seconds(1), 100};
  auto r = reader.Read(from);
  EXPECT_THAT(Addresses(r.targets), ElementsAre("n:1", "g:1"));
  EXPECT_THAT(r.messages, ElementsAre(HasSubstr("nothing-*.json\" matches no file")));
  EXPECT_THAT(reader.Read(from).messages, ElementsAre());  // reported once

  fs::remove(named);
  fs::remove(globbed);
  r = reader.Read(from);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.errors, 1);  // the named file
  EXPECT_THAT(Addresses(r.targets), ElementsAre("n:1"));
  EXPECT_THAT(r.messages, ElementsAre(HasSubstr("vanished; its last good 1 target(s) are kept"),
                                      HasSubstr("*.json\" matches no file")));
}

// A FIFO (open would block until a writer comes, holding discovery and every reload behind it),
// a directory and a file over the limit that a glob matches: each refused at once, named,
// counted once; the other files' targets are read.
TEST(FileSdReader, NonRegularAndOversizedFilesAreRefusedWithoutBlocking) {
  TempDir dir;
  dir.Write("a.json", R"([{"targets": ["a:1"]}])");
  const std::string fifo = dir / "fifo.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  fs::create_directories(dir / "sub.json");
  const auto big = dir.Write("big.json", std::string(kMaxFileSdBytes + 1, ' '));
  dir.Write("z.json", R"([{"targets": ["z:1"]}])");
  FileSdReader reader;
  TargetsFrom from{{dir / "*.json"}, std::chrono::seconds(1), 100};
  auto r = reader.Read(from);
  EXPECT_EQ(r.errors, 3);
  EXPECT_THAT(Addresses(r.targets), ElementsAre("a:1", "z:1"));
  EXPECT_THAT(r.messages,
              ElementsAre(big + ": larger than the 16 MiB limit (16777217 bytes)",
                          fifo + ": not a regular file (a FIFO); refused",
                          dir / "sub.json" + ": not a regular file (a directory); refused"));
  r = reader.Read(from);  // unchanged: neither read nor counted nor logged again
  EXPECT_EQ(r.errors, 0);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_THAT(Addresses(r.targets), ElementsAre("a:1", "z:1"));
}

const char* kTemplate = R"(targets:
  backend: { url: "https://placeholder:8443/api", headers: { X-Token: t } }
probes:
  - name: web
    kind: web
    target: backend
    interval: 10s
    web: { path: /health }
    targets_from: { files: ["/nonexistent/*.json"], refresh: 2s, max_targets: 2 }
  - { name: plain, kind: web, target: backend, web: { path: /x } }
)";

TEST(Discovery, LoadsTargetsFromAndChecksTheKind) {
  Config cfg = LoadString(kTemplate, "d.yaml", Kinds());
  const ProbeConfig* web = cfg.FindProbe("web");
  ASSERT_NE(web, nullptr);
  ASSERT_TRUE(web->targets_from);
  EXPECT_EQ(web->targets_from->refresh, std::chrono::seconds(2));
  EXPECT_EQ(web->targets_from->max_targets, 2);
  EXPECT_THAT(LoadError("probes:\n  - { name: s, kind: shell, targets_from: { files: [x] } }\n"),
              HasSubstr("d.yaml:2:43: probes[0].targets_from: kind \"shell\" takes no discovered "
                        "targets; targets_from works with: web"));
  EXPECT_THAT(LoadError("probes:\n  - { name: s, kind: web, targets_from: { refresh: 0s } }\n"),
              HasSubstr("targets_from.files: missing"));
  EXPECT_THAT(LoadError("probes:\n  - { name: s, kind: web, targets_from: { files: [x], "
                        "refresh: 500ms } }\n"),
              HasSubstr("targets_from.refresh: must be at least 1s"));
  // Without `target:` the kind's block is read against a placeholder: no "needs a url".
  EXPECT_EQ(LoadError("probes:\n  - { name: s, kind: web, targets_from: { files: [x] } }\n"), "");
  EXPECT_THAT(LoadError(std::string(kTemplate) + "nfrs:\n  - { name: n, probe: web, phase: total, "
                                                 "stat: p95, window: 1m, op: \"<\", threshold: "
                                                 "1s }\n"),
              HasSubstr("NFRs over discovered probes are not supported yet"));
}

TEST(Discovery, ExpandsOneProbePerTargetCappedAndReported) {
  Config loaded = LoadString(kTemplate, "d.yaml", Kinds());
  std::map<std::string, std::vector<DiscoveredTarget>> found;
  found["web"] = {{"10.0.0.1:8080", {{"team", "pay"}}},
                  {"not a host", {}},
                  {"https://10.0.0.1:8080/other", {}},  // the same host:port again
                  {"api.internal", {}},
                  {"third:1", {}}};
  std::map<std::string, DiscoveryStats> stats;
  Config cfg = ExpandDiscovered(loaded, found, stats);
  std::vector<std::string> names;
  for (const auto& p : cfg.probes) names.push_back(p.name);
  EXPECT_THAT(names, ElementsAre("web/10.0.0.1:8080", "web/api.internal:443", "plain"));
  EXPECT_EQ(cfg.FindProbe("web"), nullptr);
  const ProbeConfig* one = cfg.FindProbe("web/10.0.0.1:8080");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->discovered_from, "web");
  EXPECT_EQ(one->discovered_address, "10.0.0.1:8080");
  EXPECT_FALSE(one->targets_from);
  EXPECT_EQ(one->interval, std::chrono::seconds(10));
  const auto* seen = dynamic_cast<const Seen*>(one->settings.get());
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->url, "https://10.0.0.1:8080/api");  // the template's scheme and base path
  EXPECT_EQ(seen->path, "/health");
  const TargetConfig* target = cfg.FindTarget(one->target);
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(target->headers.at("X-Token"), "t");
  EXPECT_EQ(stats["web"].targets, 2);
  EXPECT_EQ(stats["web"].skipped["invalid"], 1);
  EXPECT_EQ(stats["web"].skipped["duplicate"], 1);
  EXPECT_EQ(stats["web"].skipped["over_limit"], 1);

  // The same targets again: every instance unchanged (a refresh keeps their windows); the
  // template's target changing changes them all.
  std::map<std::string, DiscoveryStats> again;
  Config same = ExpandDiscovered(loaded, found, again);
  EXPECT_TRUE(ProbeUnchanged(cfg, *one, same, *same.FindProbe(one->name)));
  std::string edited = kTemplate;
  edited.replace(edited.find("X-Token: t"), 10, "X-Token: u");
  Config loaded2 = LoadString(edited, "d.yaml", Kinds());
  Config other = ExpandDiscovered(loaded2, found, again);
  EXPECT_FALSE(ProbeUnchanged(cfg, *one, other, *other.FindProbe(one->name)));
}

TEST(Discovery, AKindWithSharedSettingsIsParsedOncePerTemplate) {
  std::string text = kTemplate;
  text.replace(text.find("kind: web"), 9, "kind: shared");
  text.replace(text.find("    web: { path: /health }"), 26, "    shared: { path: /health }");
  text.replace(text.find("max_targets: 2"), 14, "max_targets: 9");
  auto kinds = Kinds();
  kinds["shared"] = kinds["web"];  // says its settings are the same for every target
  kinds["shared"].name = "shared";
  kinds["shared"].settings_shared = true;
  Config loaded = LoadString(text, "d.yaml", kinds);
  std::map<std::string, DiscoveryStats> stats;
  Config cfg = ExpandDiscovered(loaded, {{"web", {{"a:1", {}}, {"b:2", {}}, {"c:3", {}}}}}, stats);
  const ProbeConfig* a = cfg.FindProbe("web/a:1");
  const ProbeConfig* c = cfg.FindProbe("web/c:3");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(a->settings, c->settings);  // one parse
  EXPECT_EQ(dynamic_cast<const Seen*>(c->settings.get())->path, "/health");
  // Each still addresses its own target and names only it (and the template's) as used.
  EXPECT_EQ(cfg.FindTarget(c->target)->url->ToString(), "https://c:3/api");
  EXPECT_THAT(c->targets_used, ::testing::Contains("web/c:3"));
  EXPECT_THAT(c->targets_used, ::testing::Not(::testing::Contains("web/a:1")));
  // A kind that does not say so is read again per target.
  Config per = ExpandDiscovered(LoadString(kTemplate, "d.yaml", Kinds()),
                                {{"web", {{"a:1", {}}, {"b:2", {}}}}}, stats);
  EXPECT_NE(per.FindProbe("web/a:1")->settings, per.FindProbe("web/b:2")->settings);
}

TEST(Discovery, TenThousandTargetsAreCapped) {
  std::string text = "[{\"targets\": [";
  for (int i = 0; i < 10000; ++i)
    text += (i ? ",\"h" : "\"h") + std::to_string(i) + ".example:80\"";
  text += "], \"labels\": {\"pool\": \"big\"}}]";
  auto doc = ParseFileSd(text, "big.json");
  ASSERT_TRUE(doc) << doc.error().detail;
  ASSERT_EQ(doc->targets.size(), 10000u);
  Config loaded = LoadString(kTemplate, "d.yaml", Kinds());
  std::map<std::string, DiscoveryStats> stats;
  Config cfg = ExpandDiscovered(loaded, {{"web", doc->targets}}, stats);
  EXPECT_EQ(cfg.probes.size(), 3u);  // two of web, and plain
  EXPECT_EQ(stats["web"].skipped["over_limit"], 9998);
}

}  // namespace
}  // namespace reznet::config
