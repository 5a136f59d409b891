// libFuzzer target for the ELF reader.
//
// Input: raw bytes taken as a relocatable BPF object. On a successful read_elf it runs the
// consumers of untrusted objects: disassemble (plain and with bytes), decode_code_sections and
// write_elf. Any of them may refuse the object with a diagnostic; only crashes, sanitizer
// reports and hangs are findings. Objects that write back are read once more: that must work.
#include "asm/disassembler.hpp"
#include "bpf/elf.hpp"
#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

using namespace xdpml;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto object = bpf::read_elf(std::span<const uint8_t>(data, size), "<fuzz>");
  if (!object) {
    (void)object.diagnostics().render();
    return 0;
  }
  if (fuzz::total_section_bytes(*object) <= fuzz::kMaxRoundtripBytes) {
    auto listing = assembler::disassemble(*object);
    if (!listing) (void)listing.diagnostics().render();
    assembler::DisasmOptions with_bytes;
    with_bytes.show_bytes = true;
    (void)assembler::disassemble(*object, with_bytes);
    (void)assembler::decode_code_sections(*object);
  }
  if (fuzz::max_section_align(*object) > fuzz::kMaxWriteAlign) return 0;
  auto image = bpf::write_elf(*object);
  if (!image) return 0;
  auto reread = bpf::read_elf(*image, "<fuzz image>");
  if (!reread)
    fuzz::die("read_elf rejected write_elf's output of an object it had read",
              reread.diagnostics().render());
  return 0;
}
