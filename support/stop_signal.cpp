#include "support/stop_signal.hpp"

#include <csignal>

namespace xdpml {

namespace {
std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop.store(true);
}
} // namespace

std::atomic<bool>& stop_requested() {
  return g_stop;
}

void stop_on_sigint_and_sigterm() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

} // namespace xdpml
