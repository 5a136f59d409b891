// libFuzzer target for the assembler.
//
// Input: assembly source text. On a successful assemble it also checks
//   1. write_elf succeeds, and read_elf of that image gives back the same section bytes;
//   2. disassemble succeeds, and assembling the listing succeeds with the same section bytes
//      and the same code relocations (the contract documented in asm/disassembler.hpp and
//      checked on real programs by tests/corpus/roundtrip.sh); XDPML_FUZZ_ROUNDTRIP=bytes|off
//      narrows or skips this (fuzz_common.hpp).
// A violated invariant abort()s with both texts on stderr, so libFuzzer saves the input.
#include "asm/assembler.hpp"
#include "asm/disassembler.hpp"
#include "bpf/elf.hpp"
#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace xdpml;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  assembler::AssembleOptions options;
  options.file_name = "<fuzz>";
  auto object = assembler::assemble(source, options);
  if (!object) {
    // Rendering walks source lines and carets: exercise it too.
    (void)object.diagnostics().render();
    return 0;
  }

  if (const auto align = fuzz::max_section_align(*object); align > fuzz::kMaxWriteAlign)
    fuzz::die("assembled object has a section aligned to " + std::to_string(align),
              "write_elf would pad the ELF image (in a memfd) to that many bytes");
  auto image = bpf::write_elf(*object);
  if (!image) fuzz::die("write_elf failed on an assembled object", image.diagnostics().render());
  auto reread = bpf::read_elf(*image, "<fuzz image>");
  if (!reread) fuzz::die("read_elf rejected write_elf's output", reread.diagnostics().render());
  if (auto diff = fuzz::compare_sections(*object, *reread); !diff.empty())
    fuzz::die("write_elf -> read_elf changed the object", diff);

  if (fuzz::total_section_bytes(*object) > fuzz::kMaxRoundtripBytes) return 0;

  auto listing = assembler::disassemble(*object);
  if (!listing) {
    if (fuzz::roundtrip_level() != fuzz::Roundtrip::Off)
      fuzz::die("disassemble failed on an assembled object", listing.diagnostics().render());
    return 0;
  }
  assembler::DisasmOptions with_bytes;
  with_bytes.show_bytes = true;
  (void)assembler::disassemble(*object, with_bytes);
  (void)assembler::decode_code_sections(*object);
  if (fuzz::roundtrip_level() == fuzz::Roundtrip::Off) return 0;

  assembler::AssembleOptions again_options;
  again_options.file_name = "<disassembly>";
  auto again = assembler::assemble(*listing, again_options);
  if (!again)
    fuzz::die("the disassembly does not assemble",
              again.diagnostics().render() + "\n---- disassembly:\n" + *listing);
  if (auto diff = fuzz::compare_sections(*object, *again); !diff.empty())
    fuzz::die("asm -> disasm -> asm changed section bytes",
              diff + "\n---- disassembly:\n" + *listing);
  if (fuzz::roundtrip_level() != fuzz::Roundtrip::Full) return 0;
  const auto ra = fuzz::code_relocations(*object), rb = fuzz::code_relocations(*again);
  if (ra != rb)
    fuzz::die("asm -> disasm -> asm changed code relocations",
              "first difference: " + fuzz::first_line_difference(ra, rb) +
                  "\n---- first object:\n" + ra + "---- re-assembled:\n" + rb +
                  "---- disassembly:\n" + *listing);
  return 0;
}
