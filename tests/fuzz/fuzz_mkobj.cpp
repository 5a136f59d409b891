// Seed helper for scripts/fuzz.sh: assembles each IN.s into OUT_DIR/PREFIX<name>.o through the
// library (no CLI dependency). Prints how many objects it wrote; inputs that do not assemble are
// skipped silently.
#include "asm/assembler.hpp"
#include "bpf/elf.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT_DIR IN.s...\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out_dir = argv[1];
  int written = 0;
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    xdpml::assembler::AssembleOptions options;
    options.file_name = argv[i];
    auto object = xdpml::assembler::assemble(text.str(), options);
    if (!object) continue;
    const auto out = out_dir / ("xdpml-" + std::filesystem::path(argv[i]).stem().string() + ".o");
    if (xdpml::bpf::write_elf_file(*object, out.string())) ++written;
  }
  std::printf("%d\n", written);
  return 0;
}
