// Tokens of LLVM-syntax BPF assembly. The same lexer tokenises the opcode table's text
// templates (with $operand placeholders), so parsing is derived from the table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xdpml::assembler {

enum class TokenKind { Identifier, Number, String, Punct, Placeholder, EndOfStatement, Error };

struct Token {
  TokenKind kind;
  std::string text;   // identifier/punct/placeholder spelling; decoded string contents
  uint64_t value = 0; // numbers (magnitude; a leading '-' is a separate token)
  int line = 0;
  int column = 0; // 1-based
  int length = 1;

  bool is(TokenKind k, std::string_view t) const { return kind == k && text == t; }
  bool is_punct(std::string_view t) const { return is(TokenKind::Punct, t); }
};

struct LexResult {
  std::vector<Token> tokens;      // statements end with EndOfStatement; errors come as Error tokens
  std::vector<std::string> lines; // source lines for diagnostics
};

// allow_placeholders: lex "$name" as Placeholder (template mode).
LexResult lex(std::string_view source, bool allow_placeholders = false);

} // namespace xdpml::assembler
