#include "measure/machine.hpp"

#include <sched.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace xdpml::measure {

std::string MachineInfo::describe() const {
  std::ostringstream s;
  s << (cpu_model.empty() ? "unknown CPU" : cpu_model) << ", " << cpus << " CPU"
    << (cpus == 1 ? "" : "s") << ", kernel " << kernel << ", " << date;
  return s.str();
}

nlohmann::json MachineInfo::to_json() const {
  return {{"kernel", kernel}, {"cpu_model", cpu_model},       {"cpus", cpus},
          {"date", date},     {"constant_tsc", constant_tsc}, {"nonstop_tsc", nonstop_tsc}};
}

MachineInfo machine_info() {
  MachineInfo m;
  utsname u{};
  if (uname(&u) == 0) m.kernel = u.release;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && m.cpu_model.empty()) m.cpu_model = value;
    if (key == "flags" && !m.constant_tsc && !m.nonstop_tsc) {
      std::istringstream flags(value);
      for (std::string f; flags >> f;) {
        if (f == "constant_tsc") m.constant_tsc = true;
        if (f == "nonstop_tsc") m.nonstop_tsc = true;
      }
    }
  }
  m.cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  const time_t now = time(nullptr);
  tm t{};
  gmtime_r(&now, &t);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &t);
  m.date = buf;
  return m;
}

uint64_t monotonic_raw_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t read_tsc() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned aux = 0;
  return __rdtscp(&aux);
#else
  return monotonic_raw_ns();
#endif
}

nlohmann::json TscCalibration::to_json() const {
  return {{"hz", hz}, {"seconds", seconds}, {"spread_ppm", spread_ppm}, {"source", source}};
}

Result<TscCalibration> calibrate_tsc(double seconds) {
  TscCalibration c;
#if defined(__x86_64__) || defined(__i386__)
  c.source = "rdtscp vs CLOCK_MONOTONIC_RAW";
  // Three stamps (start, middle, end) taken as (clock, tsc, clock) so each TSC reading sits
  // between two clock readings; the halves must agree, which they do not when the TSC stops or
  // the process moves to another CPU with another TSC.
  auto stamp = [](uint64_t* ns, uint64_t* tsc) {
    const uint64_t a = monotonic_raw_ns();
    *tsc = read_tsc();
    const uint64_t b = monotonic_raw_ns();
    *ns = a + (b - a) / 2;
  };
  const auto half_ns = static_cast<uint64_t>(seconds * 0.5e9);
  uint64_t n0, t0, n1, t1, n2, t2;
  stamp(&n0, &t0);
  while (monotonic_raw_ns() - n0 < half_ns) {
  }
  stamp(&n1, &t1);
  while (monotonic_raw_ns() - n1 < half_ns) {
  }
  stamp(&n2, &t2);
  const double h1 = static_cast<double>(t1 - t0) * 1e9 / static_cast<double>(n1 - n0);
  const double h2 = static_cast<double>(t2 - t1) * 1e9 / static_cast<double>(n2 - n1);
  c.hz = static_cast<double>(t2 - t0) * 1e9 / static_cast<double>(n2 - n0);
  c.seconds = static_cast<double>(n2 - n0) / 1e9;
  c.spread_ppm = std::abs(h1 - h2) / c.hz * 1e6;
  if (!(c.hz > 0) || c.spread_ppm > 10000)
    return fail("the time stamp counter is not usable: it ran at " + std::to_string(h1 / 1e6) +
                    " and " + std::to_string(h2 / 1e6) + " MHz in two halves of " +
                    std::to_string(c.seconds) + " s",
                {}, "pin the process to one CPU (--cpu) on a machine with constant_tsc");
#else
  c.source = "CLOCK_MONOTONIC_RAW";
  c.hz = 1e9;
  c.seconds = 0;
  (void)seconds;
#endif
  return c;
}

Result<int> pin_to_cpu(int cpu) {
  if (cpu < 0) cpu = sched_getcpu();
  if (cpu < 0)
    return fail("cannot tell which CPU this process runs on: " + std::string(strerror(errno)));
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    return fail("cannot pin the process to CPU " + std::to_string(cpu) + ": " +
                    std::string(strerror(errno)),
                {}, "choose an online CPU allowed to this process (see taskset -p $$)");
  return cpu;
}

} // namespace xdpml::measure
