// The machine a measurement ran on, and the clocks it was taken with.
//
// Every figure xdpml prints or writes says where it came from (kernel release, CPU model, core
// count, date), because per-packet costs differ by machine more than by program. The
// round-trip timer is the TSC read with rdtscp (serialising against earlier instructions, as the
// 2019 report chose); its frequency is measured, not assumed from the CPU's nominal clock.
#pragma once

#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace xdpml::measure {

struct MachineInfo {
  std::string kernel;    // uname -r
  std::string cpu_model; // /proc/cpuinfo "model name"
  int cpus = 0;          // online CPUs
  std::string date;      // UTC, ISO 8601
  bool constant_tsc = false;
  bool nonstop_tsc = false;

  std::string describe() const; // one line: "AMD EPYC, 2 CPUs, kernel 6.18.44, 2026-01-01T..."
  nlohmann::json to_json() const;
};

MachineInfo machine_info();

// Time stamp counter read with rdtscp: waits for earlier instructions to finish, so the send
// that follows cannot start before the stamp. On other architectures, CLOCK_MONOTONIC_RAW in ns.
uint64_t read_tsc();

struct TscCalibration {
  double hz = 0;         // ticks per second
  double seconds = 0;    // length of the calibration interval
  double spread_ppm = 0; // disagreement between the calibration's halves, parts per million
  std::string source;    // "rdtscp vs CLOCK_MONOTONIC_RAW" or "CLOCK_MONOTONIC_RAW"
  nlohmann::json to_json() const;
};

// Measures the TSC frequency against CLOCK_MONOTONIC_RAW over `seconds` (busy waiting, on the
// CPU the caller is pinned to). Fails when the two halves of the interval disagree by more than
// 1 % (a TSC that is not constant, or a migration between CPUs).
Result<TscCalibration> calibrate_tsc(double seconds = 0.1);

// Pins the calling process to one CPU (sched_setaffinity); -1 means the CPU it runs on now.
// Returns the CPU chosen.
Result<int> pin_to_cpu(int cpu);

// CLOCK_MONOTONIC_RAW in nanoseconds.
uint64_t monotonic_raw_ns();

} // namespace xdpml::measure
