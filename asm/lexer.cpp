#include "asm/lexer.hpp"

#include <cctype>

namespace xdpml::assembler {

namespace {

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$';
}

// Longest first, so "s>>=" wins over "s>" and "<<=" over "<=".
constexpr std::string_view kPuncts[] = {
    "s>>=", "<<=", ">>=", "s>=", "s<=", "s>", "s<", "+=", "-=", "*=", "/=", "%=", "|=",
    "&=",   "^=",  "==",  "!=",  ">=",  "<=", "=",  ">",  "<",  "+",  "-",  "*",  "/",
    "(",    ")",   "[",   "]",   ",",   ":",  "&",  "|",  "^",  "@",  "%",  "!",  "~"};

} // namespace

LexResult lex(std::string_view src, bool allow_placeholders) {
  LexResult out;
  int line = 1;
  size_t line_start = 0;
  size_t i = 0;
  bool in_block_comment = false;

  // Record the text of every line up front for diagnostics.
  {
    size_t s = 0;
    for (size_t k = 0; k <= src.size(); ++k)
      if (k == src.size() || src[k] == '\n') {
        std::string l(src.substr(s, k - s));
        if (!l.empty() && l.back() == '\r') l.pop_back();
        out.lines.push_back(std::move(l));
        s = k + 1;
      }
  }

  auto push = [&](TokenKind kind, std::string text, size_t start, size_t end, uint64_t value = 0) {
    Token t{kind,
            std::move(text),
            value,
            line,
            static_cast<int>(start - line_start) + 1,
            static_cast<int>(end > start ? end - start : 1)};
    out.tokens.push_back(std::move(t));
  };
  auto end_statement = [&](size_t at) {
    if (!out.tokens.empty() && out.tokens.back().kind != TokenKind::EndOfStatement)
      push(TokenKind::EndOfStatement, "", at, at);
  };

  while (i < src.size()) {
    const char c = src[i];
    if (in_block_comment) {
      if (c == '*' && i + 1 < src.size() && src[i + 1] == '/') {
        in_block_comment = false;
        i += 2;
      } else {
        if (c == '\n') {
          ++line;
          line_start = i + 1;
        }
        ++i;
      }
      continue;
    }
    if (c == '\n') {
      end_statement(i);
      ++line;
      line_start = ++i;
      continue;
    }
    if (c == ';') {
      end_statement(i);
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '#' || (c == '/' && i + 1 < src.size() && src[i + 1] == '/')) {
      while (i < src.size() && src[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < src.size() && src[i + 1] == '*') {
      in_block_comment = true;
      i += 2;
      continue;
    }
    const size_t start = i;
    if (c == '$' && allow_placeholders) {
      ++i;
      while (i < src.size() && std::isalnum(static_cast<unsigned char>(src[i]))) ++i;
      push(TokenKind::Placeholder, std::string(src.substr(start + 1, i - start - 1)), start, i);
      continue;
    }
    // "s>" "s<" "s>>=" "s>=" "s<=" are operators, not the identifier "s".
    if (c == 's' && i + 1 < src.size() && (src[i + 1] == '>' || src[i + 1] == '<')) {
      bool matched = false;
      for (auto p : kPuncts)
        if (p[0] == 's' && src.substr(i, p.size()) == p) {
          push(TokenKind::Punct, std::string(p), i, i + p.size());
          i += p.size();
          matched = true;
          break;
        }
      if (matched) continue;
    }
    if (ident_start(c)) {
      while (i < src.size() && ident_char(src[i])) ++i;
      push(TokenKind::Identifier, std::string(src.substr(start, i - start)), start, i);
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      int base = 10;
      size_t digits = i;
      if (c == '0' && i + 1 < src.size() && (src[i + 1] == 'x' || src[i + 1] == 'X')) {
        base = 16;
        digits = i + 2;
      } else if (c == '0' && i + 1 < src.size() && (src[i + 1] == 'b' || src[i + 1] == 'B')) {
        base = 2;
        digits = i + 2;
      } else if (c == '0' && i + 1 < src.size() &&
                 std::isdigit(static_cast<unsigned char>(src[i + 1]))) {
        base = 8;
        digits = i + 1;
      }
      i = digits;
      unsigned __int128 v = 0;
      bool overflow = false, bad = false;
      while (i < src.size() && std::isalnum(static_cast<unsigned char>(src[i]))) {
        const char d = static_cast<char>(std::tolower(static_cast<unsigned char>(src[i])));
        int dv = std::isdigit(static_cast<unsigned char>(d))
                     ? d - '0'
                     : (d >= 'a' && d <= 'f' ? d - 'a' + 10 : 99);
        if (dv >= base) bad = true;
        v = v * base + (dv < base ? dv : 0);
        if (v > UINT64_MAX) overflow = true;
        ++i;
      }
      if (bad || i == digits) {
        push(TokenKind::Error, "invalid number '" + std::string(src.substr(start, i - start)) + "'",
             start, i);
      } else if (overflow) {
        push(TokenKind::Error,
             "number '" + std::string(src.substr(start, i - start)) + "' does not fit in 64 bits",
             start, i);
      } else {
        push(TokenKind::Number, std::string(src.substr(start, i - start)), start, i,
             static_cast<uint64_t>(v));
      }
      continue;
    }
    if (c == '"') {
      std::string value;
      ++i;
      bool closed = false;
      while (i < src.size() && src[i] != '\n') {
        char ch = src[i];
        if (ch == '"') {
          closed = true;
          ++i;
          break;
        }
        if (ch == '\\' && i + 1 < src.size()) {
          char e = src[++i];
          switch (e) {
          case 'n':
            value += '\n';
            ++i;
            break;
          case 't':
            value += '\t';
            ++i;
            break;
          case 'r':
            value += '\r';
            ++i;
            break;
          case 'b':
            value += '\b';
            ++i;
            break;
          case 'f':
            value += '\f';
            ++i;
            break;
          case '"':
            value += '"';
            ++i;
            break;
          case '\\':
            value += '\\';
            ++i;
            break;
          case 'x': {
            ++i;
            int v = 0, n = 0;
            while (i < src.size() && std::isxdigit(static_cast<unsigned char>(src[i]))) {
              v = (v * 16 + (std::isdigit(static_cast<unsigned char>(src[i]))
                                 ? src[i] - '0'
                                 : (std::tolower(static_cast<unsigned char>(src[i])) - 'a' + 10))) &
                  0xff;
              ++i;
              ++n;
            }
            value += static_cast<char>(v);
            break;
          }
          default:
            if (e >= '0' && e <= '7') {
              int v = 0;
              for (int n = 0; n < 3 && i < src.size() && src[i] >= '0' && src[i] <= '7'; ++n)
                v = v * 8 + (src[i++] - '0');
              value += static_cast<char>(v & 0xff);
            } else {
              value += e;
              ++i;
            }
          }
          continue;
        }
        value += ch;
        ++i;
      }
      if (!closed)
        push(TokenKind::Error, "unterminated string", start, i);
      else
        push(TokenKind::String, std::move(value), start, i);
      continue;
    }
    bool matched = false;
    for (auto p : kPuncts) {
      if (p[0] == 's') continue;
      if (src.substr(i, p.size()) == p) {
        push(TokenKind::Punct, std::string(p), i, i + p.size());
        i += p.size();
        matched = true;
        break;
      }
    }
    if (!matched) {
      push(TokenKind::Error, std::string("unexpected character '") + c + "'", i, i + 1);
      ++i;
    }
  }
  end_statement(i);
  return out;
}

} // namespace xdpml::assembler
