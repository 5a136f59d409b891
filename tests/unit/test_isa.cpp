#include "bpf/isa.hpp"

#include <catch2/catch.hpp>

using namespace xdpml::bpf;

TEST_CASE("raw instruction layout matches struct bpf_insn", "[isa]") {
  RawInsn r{0xbf, 1, 6, -2, 0x12345678};
  const auto b = r.bytes();
  CHECK(b[0] == 0xbf);
  CHECK(b[1] == 0x61);
  CHECK(b[2] == 0xfe);
  CHECK(b[3] == 0xff);
  CHECK(b[4] == 0x78);
  CHECK(RawInsn::from_bytes(b) == r);
}
