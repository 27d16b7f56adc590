#include "telemetry/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "probes/outcome.hpp"

namespace reznet::telemetry {
namespace {

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

std::size_t OpenFds() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
    n = n >= 3 ? n - 3 : 0;  // ".", ".." and the directory's own fd
  }
  return n;
}

void Metric(std::string& out, const char* name, const char* type, const char* help, double v) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         name + " " + common::JsonNumber(v) + "\n";
}

}  // namespace

std::string ProcessMetricsText() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  // Fields after the command name, which is in parentheses and may contain spaces.
  auto close = line.rfind(')');
  std::vector<std::string> fields;
  if (close != std::string::npos) {
    std::istringstream rest(line.substr(close + 2));
    std::string f;
    while (rest >> f) fields.push_back(f);
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // fields[0] is field 3 (state) of proc(5).
  auto field = [&](std::size_t proc_index) {
    std::size_t i = proc_index - 3;
    return i < fields.size() ? std::stod(fields[i]) : 0.0;
  };
  std::string out;
  Metric(out, "process_cpu_seconds_total", "counter",
         "Total user and system CPU time spent in seconds.", (field(14) + field(15)) / ticks);
  Metric(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
         field(24) * page);
  Metric(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", field(23));
  Metric(out, "process_start_time_seconds", "gauge",
         "Start time of the process since unix epoch in seconds.",
         BootTimeSeconds() + field(22) / ticks);
  Metric(out, "process_open_fds", "gauge", "Number of open file descriptors.",
         static_cast<double>(OpenFds()));
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    Metric(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
           static_cast<double>(lim.rlim_cur));
  }
  return out;
}

}  // namespace reznet::telemetry
