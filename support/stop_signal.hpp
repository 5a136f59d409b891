// One process-wide "stop" flag set by SIGINT/SIGTERM, for commands whose loops stop early and
// still report what they measured (send/recv/verify, measure).
#pragma once

#include <atomic>

namespace xdpml {

// The flag the handlers set. A lock-free atomic is async-signal-safe.
std::atomic<bool>& stop_requested();

// Installs the handlers without SA_RESTART, so a blocked poll()/recv() returns at once.
void stop_on_sigint_and_sigterm();

} // namespace xdpml
