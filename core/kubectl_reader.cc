#include "core/kubectl_reader.h"

#include <yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "core/text.h"
#include "core/yaml_documents.h"

namespace riposte::core {

namespace {

constexpr uint32_t kNone = UINT32_MAX;
constexpr std::string_view kYamlTag = "tag:yaml.org,2002:";

bool IsGoSpace(int32_t cp) {
  switch (cp) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default: return cp >= 0x2000 && cp <= 0x200A;
  }
}

// Length of the Go-space rune ending at s[end) (0 when none).
size_t TrailingSpace(std::string_view s, size_t end) {
  if (end == 0) return 0;
  const auto last = static_cast<unsigned char>(s[end - 1]);
  if (last < 0x80) return IsGoSpace(last) ? 1 : 0;
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  size_t i = start;
  const int32_t cp = DecodeUtf8(s, i);
  return (i == end && IsGoSpace(cp)) ? end - start : 0;
}

}  // namespace

std::string_view GoTrimSpace(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t i = b;
    const int32_t cp = DecodeUtf8(s, i);
    if (!IsGoSpace(cp)) break;
    b = i;
  }
  size_t e = s.size();
  while (e > b) {
    const size_t n = TrailingSpace(s, e);
    if (n == 0) break;
    e -= n;
  }
  return s.substr(b, e - b);
}

// ---------------------------------------------------------------------------------------------
// The parsed document: an arena of nodes as go-yaml v2's parser builds them.

namespace {

struct YNode {
  enum Kind : uint8_t { kScalar, kMapping, kSequence, kAlias };
  enum Style : uint8_t { kPlain, kQuoted, kBlock };
  Kind kind = kScalar;
  Style style = kPlain;
  bool plain_implicit = false;  // plain and untagged: resolved by content
  uint32_t first = 0;           // children in DocumentSource::kids
  uint32_t count = 0;
  uint32_t target = kNone;      // alias target
  int line = 0;
  int column = 0;
  std::string value;
  std::string tag;  // full tag ("tag:yaml.org,2002:str", "!foo") or ""
};

struct Member {
  std::string key;
  std::string identity;  // the Go map key: type and value ("s:x", "i:1", "b:true")
  uint32_t value = kNone;
  uint32_t key_node = kNone;
  bool merged = false;  // copied in by a merge key
};

struct Failure {
  uint32_t node;  // kNone: no node
  std::string message;
};

[[noreturn]] void Fail(uint32_t node, std::string message) { throw Failure{node, std::move(message)}; }

}  // namespace

class DocumentSource {
 public:
  std::vector<YNode> nodes;
  std::vector<uint32_t> kids;
  uint32_t root = kNone;

  SourceMark MarkOf(uint32_t n) const {
    if (n >= nodes.size()) return {};
    return {nodes[n].line, nodes[n].column};
  }

  uint32_t Deref(uint32_t n) const {
    // Aliases always point at complete earlier nodes, never at other aliases.
    return nodes[n].kind == YNode::kAlias ? nodes[n].target : n;
  }

  // Resolved members of a mapping (merge keys applied, last duplicate wins). `budget` counts
  // the members merges copy; null for position lookups after a successful read.
  const std::vector<Member>& Members(uint32_t n, size_t* merged_budget, size_t max_merged) const;

 private:
  mutable std::unordered_map<uint32_t, std::vector<Member>> memo_;
  mutable std::vector<uint8_t> resolving_;
};

// ---------------------------------------------------------------------------------------------
// Scalars as go-yaml v2 resolves them (goyaml.v2/resolve.go and decode.go, scalar()).

namespace {

enum class RType { kNull, kBool, kInt, kFloat, kString };

struct Resolved {
  RType type = RType::kString;
  std::string text;  // kString: the value; kInt: decimal; kBool: true/false; kFloat: JSON number
};

std::string ShortTag(const std::string& tag) {
  if (tag.compare(0, kYamlTag.size(), kYamlTag) == 0) return "!!" + tag.substr(kYamlTag.size());
  return tag;
}

bool IsYamlTag(const std::string& tag, std::string_view name) {
  return tag.size() == kYamlTag.size() + name.size() && tag.compare(0, kYamlTag.size(), kYamlTag) == 0 &&
         tag.compare(kYamlTag.size(), name.size(), name) == 0;
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// strconv.ParseUint(s, 0, 64) without underscores; false on syntax or range errors.
bool GoParseUint(std::string_view s, unsigned __int128* out) {
  if (s.empty()) return false;
  int base = 10;
  if (s[0] == '0') {
    const char p = s.size() >= 3 ? AsciiLower(s[1]) : 0;
    if (p == 'b') {
      base = 2, s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8, s.remove_prefix(2);
    } else if (p == 'x') {
      base = 16, s.remove_prefix(2);
    } else {
      base = 8, s.remove_prefix(1);
    }
  }
  unsigned __int128 v = 0;
  for (char c : s) {
    const int d = DigitValue(c);
    if (d >= base) return false;
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (v > UINT64_MAX) return false;
  }
  *out = v;
  return true;
}

std::string U128ToString(unsigned __int128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

// strconv.ParseInt(s, 0, 64) then ParseUint(s, 0, 64): the decimal value, or "" when neither parses.
std::string GoParseInteger(std::string_view s) {
  if (s.empty()) return "";
  bool neg = false;
  std::string_view digits = s;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    digits.remove_prefix(1);
  }
  unsigned __int128 v = 0;
  if (GoParseUint(digits, &v)) {
    const unsigned __int128 limit = static_cast<unsigned __int128>(INT64_MAX) + (neg ? 1 : 0);
    if (v <= limit) return (neg && v != 0 ? "-" : "") + U128ToString(v);
  }
  // ParseUint takes no sign.
  if (s[0] != '+' && s[0] != '-' && GoParseUint(s, &v)) return U128ToString(v);
  return "";
}

// yamlStyleFloat = ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t d = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == d) return false;
  } else {
    const size_t d = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == d) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && IsDigit(s[i])) ++i;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t d = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  return i == s.size();
}

// ParseFloat of a yamlStyleFloat string: false when it overflows (Go reports ErrRange).
bool FiniteFloat(const std::string& s, std::string* json) {
  errno = 0;
  const double d = std::strtod(s.c_str(), nullptr);
  if (std::isinf(d) || std::isnan(d)) return false;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  *json = buf;
  return true;
}

struct SpecialValue {
  std::string_view text;
  RType type;
  std::string_view value;  // JSON
};

constexpr SpecialValue kSpecials[] = {
    {"y", RType::kBool, "true"},     {"Y", RType::kBool, "true"},        {"yes", RType::kBool, "true"},
    {"Yes", RType::kBool, "true"},   {"YES", RType::kBool, "true"},      {"true", RType::kBool, "true"},
    {"True", RType::kBool, "true"},  {"TRUE", RType::kBool, "true"},     {"on", RType::kBool, "true"},
    {"On", RType::kBool, "true"},    {"ON", RType::kBool, "true"},       {"n", RType::kBool, "false"},
    {"N", RType::kBool, "false"},    {"no", RType::kBool, "false"},      {"No", RType::kBool, "false"},
    {"NO", RType::kBool, "false"},   {"false", RType::kBool, "false"},   {"False", RType::kBool, "false"},
    {"FALSE", RType::kBool, "false"}, {"off", RType::kBool, "false"},    {"Off", RType::kBool, "false"},
    {"OFF", RType::kBool, "false"},  {"", RType::kNull, "null"},         {"~", RType::kNull, "null"},
    {"null", RType::kNull, "null"},  {"Null", RType::kNull, "null"},     {"NULL", RType::kNull, "null"},
    {".nan", RType::kFloat, "NaN"},  {".NaN", RType::kFloat, "NaN"},     {".NAN", RType::kFloat, "NaN"},
    {".inf", RType::kFloat, "+Inf"}, {".Inf", RType::kFloat, "+Inf"},    {".INF", RType::kFloat, "+Inf"},
    {"+.inf", RType::kFloat, "+Inf"}, {"+.Inf", RType::kFloat, "+Inf"},  {"+.INF", RType::kFloat, "+Inf"},
    {"-.inf", RType::kFloat, "-Inf"}, {"-.Inf", RType::kFloat, "-Inf"},  {"-.INF", RType::kFloat, "-Inf"},
};

char Hint(std::string_view v) {
  if (v.empty()) return 'N';
  const char c = v[0];
  if (c == '+' || c == '-') return 'S';
  if (IsDigit(c)) return 'D';
  if (std::string_view("yYnNtTfFoO~").find(c) != std::string_view::npos) return 'M';
  if (c == '.') return '.';
  return 0;
}

// resolve(tag, in) for the resolvable tags ("" = plain untagged).
Resolved ResolveByContent(const std::string& tag, const std::string& in) {
  const char hint = Hint(in);
  if (hint != 0) {
    for (const auto& s : kSpecials) {
      if (s.text == in) return {s.type, std::string(s.value)};
    }
    if (hint == '.') {
      // strconv.ParseFloat of ".5", ".5e3": the only forms it accepts after a leading dot.
      if (IsYamlStyleFloat(in)) {
        std::string json;
        if (FiniteFloat(in, &json)) return {RType::kFloat, json};
      }
    } else if (hint == 'D' || hint == 'S') {
      // Timestamps (YYYY-...) stay strings when decoded into interface{}.
      std::string plain;
      plain.reserve(in.size());
      for (char c : in) {
        if (c != '_') plain.push_back(c);
      }
      std::string integer = GoParseInteger(plain);
      if (!integer.empty()) return {RType::kInt, integer};
      if (IsYamlStyleFloat(plain)) {
        std::string json;
        if (FiniteFloat(plain, &json)) return {RType::kFloat, json};
      }
    }
  }
  (void)tag;
  return {RType::kString, in};
}

// base64.StdEncoding.DecodeString: padded standard alphabet; \r and \n are skipped.
bool GoBase64(std::string_view in, std::string* out) {
  std::string clean;
  for (char c : in) {
    if (c != '\r' && c != '\n') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return false;
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out->clear();
  for (size_t i = 0; i < clean.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = clean[i + static_cast<size_t>(k)];
      if (c == '=') {
        if (i + 4 != clean.size() || k < 2) return false;
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad != 0) return false;
      v[k] = val(c);
      if (v[k] < 0) return false;
    }
    const unsigned triple = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                            (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out->push_back(static_cast<char>((triple >> 16) & 0xFF));
    if (pad < 2) out->push_back(static_cast<char>((triple >> 8) & 0xFF));
    if (pad < 1) out->push_back(static_cast<char>(triple & 0xFF));
    // Go rejects non-zero bits in the padding (strict decoding is off, but trailing bits
    // that do not fit are still an error for StdEncoding only in Strict mode).
  }
  return true;
}

Resolved ResolveScalar(const YNode& n, uint32_t id) {
  if (n.tag.empty()) {
    if (!n.plain_implicit) return {RType::kString, n.value};  // quoted or block scalar
    return ResolveByContent("", n.value);
  }
  if (IsYamlTag(n.tag, "binary")) {
    std::string decoded;
    if (!GoBase64(n.value, &decoded)) Fail(id, "!!binary value contains invalid base64 data");
    return {RType::kString, decoded};
  }
  if (IsYamlTag(n.tag, "timestamp")) Fail(id, "the !!timestamp tag is not supported; quote the value instead");
  const bool resolvable = IsYamlTag(n.tag, "str") || IsYamlTag(n.tag, "bool") || IsYamlTag(n.tag, "int") ||
                          IsYamlTag(n.tag, "float") || IsYamlTag(n.tag, "null");
  // Any other tag (custom "!foo", "!", !!merge, ...) keeps the text as a string.
  if (!resolvable || IsYamlTag(n.tag, "str")) return {RType::kString, n.value};
  Resolved r = ResolveByContent(n.tag, n.value);
  const char* want = IsYamlTag(n.tag, "bool")    ? "bool"
                     : IsYamlTag(n.tag, "int")   ? "int"
                     : IsYamlTag(n.tag, "float") ? "float"
                                                 : "null";
  const RType want_type = want[0] == 'b' ? RType::kBool : want[0] == 'i' ? RType::kInt : want[0] == 'f' ? RType::kFloat : RType::kNull;
  if (r.type == want_type) return r;
  if (want_type == RType::kFloat && r.type == RType::kInt) return {RType::kFloat, r.text};
  Fail(id, "cannot decode `" + EscapeForDisplay(n.value.substr(0, 40)) + "` as a " + ShortTag(n.tag));
}

// A merge key: plain untagged "<<", or "<<" tagged !!merge (goyaml.v2 isMerge).
bool IsMerge(const YNode& n) {
  return n.kind == YNode::kScalar && n.value == "<<" && (n.plain_implicit || IsYamlTag(n.tag, "merge"));
}

}  // namespace

const std::vector<Member>& DocumentSource::Members(uint32_t n, size_t* merged_budget, size_t max_merged) const {
  if (auto it = memo_.find(n); it != memo_.end()) return it->second;
  if (resolving_.size() < nodes.size()) resolving_.resize(nodes.size(), 0);
  if (resolving_[n] != 0) Fail(n, "an anchor's value contains an alias of itself");
  resolving_[n] = 1;
  std::vector<Member> out;
  std::unordered_map<std::string, size_t> index;
  auto set = [&](Member m) {
    auto [it, inserted] = index.emplace(m.key, out.size());
    if (inserted) {
      out.push_back(std::move(m));
      return;
    }
    Member& old = out[it->second];
    if (old.identity != m.identity) {
      Fail(m.key_node, "keys " + old.identity.substr(2) + " and " + m.identity.substr(2) +
                           " both become \"" + EscapeForDisplay(m.key) +
                           "\" in JSON; which one kubectl keeps is random");
    }
    old = std::move(m);
  };
  auto merge_from = [&](uint32_t source, uint32_t at) {
    const uint32_t t = Deref(source);
    if (nodes[t].kind != YNode::kMapping) Fail(at, "map merge requires a mapping or a list of mappings");
    for (const Member& m : Members(t, merged_budget, max_merged)) {
      if (merged_budget != nullptr && ++*merged_budget > max_merged) {
        Fail(at, "merge keys copy more than " + std::to_string(max_merged) + " entries");
      }
      Member copy = m;
      copy.merged = true;
      set(std::move(copy));
    }
  };
  const YNode& map = nodes[n];
  for (uint32_t i = 0; i + 1 < map.count; i += 2) {
    const uint32_t k = kids[map.first + i];
    const uint32_t v = kids[map.first + i + 1];
    if (IsMerge(nodes[k])) {
      const uint32_t t = Deref(v);
      if (nodes[t].kind == YNode::kSequence) {
        // Earlier mappings in the list take precedence: apply them last.
        for (uint32_t j = nodes[t].count; j-- > 0;) merge_from(kids[nodes[t].first + j], v);
      } else {
        merge_from(v, v);
      }
      continue;
    }
    const uint32_t kt = Deref(k);
    if (nodes[kt].kind != YNode::kScalar) Fail(k, "a mapping or a list cannot be a mapping key");
    const Resolved r = ResolveScalar(nodes[kt], kt);
    Member m;
    m.value = v;
    m.key_node = k;
    switch (r.type) {
      case RType::kString: m.key = r.text, m.identity = "s:\"" + r.text + "\""; break;
      case RType::kInt: m.key = r.text, m.identity = "i:" + r.text; break;
      case RType::kBool: m.key = r.text, m.identity = "b:" + r.text; break;
      case RType::kNull: Fail(k, "a null mapping key cannot be converted to JSON");
      case RType::kFloat: Fail(k, "floating-point mapping keys are not supported (quote the key)");
    }
    set(std::move(m));
  }
  resolving_[n] = 0;
  return memo_.emplace(n, std::move(out)).first->second;
}

namespace {

const Member* FindMember(const std::vector<Member>& ms, std::string_view key) {
  for (const auto& m : ms) {
    if (m.key == key) return &m;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Building documents: libyaml events (YAML) or a small JSON parser (JSON streams).

struct Piece {
  std::string text;
  int first_line = 1;  // file line of text's first line
};

struct ParseOutcome {
  std::shared_ptr<DocumentSource> doc;  // null with an error
  bool empty = false;
  SourceMark error_mark;
  std::string error;
};

class EventBuilder {
 public:
  EventBuilder(DocumentSource& doc, const ReaderLimits& limits, int first_line)
      : doc_(doc), limits_(limits), first_line_(first_line) {}

  uint32_t Add(YNode node, const yaml_mark_t& mark) {
    if (doc_.nodes.size() >= limits_.max_nodes) {
      Fail(kNone, "more than " + std::to_string(limits_.max_nodes) + " nodes in one document");
    }
    node.line = first_line_ + static_cast<int>(mark.line);
    node.column = static_cast<int>(mark.column) + 1;
    const auto id = static_cast<uint32_t>(doc_.nodes.size());
    doc_.nodes.push_back(std::move(node));
    if (open_.empty()) {
      if (doc_.root == kNone) doc_.root = id;
    } else {
      open_.back().children.push_back(id);
    }
    return id;
  }

  void Anchor(const yaml_char_t* anchor, uint32_t id) {
    if (anchor != nullptr) anchors_[reinterpret_cast<const char*>(anchor)] = id;
  }

  void Open(uint32_t id, bool flow) {
    if (open_.size() >= limits_.max_depth) {
      Fail(id, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    open_.push_back({id, flow || (!open_.empty() && open_.back().flow), {}});
  }

  void Close() {
    Open_& top = open_.back();
    YNode& node = doc_.nodes[top.id];
    node.first = static_cast<uint32_t>(doc_.kids.size());
    node.count = static_cast<uint32_t>(top.children.size());
    doc_.kids.insert(doc_.kids.end(), top.children.begin(), top.children.end());
    open_.pop_back();
  }

  bool InFlow() const { return !open_.empty() && open_.back().flow; }

  uint32_t Alias(const yaml_char_t* anchor, const yaml_mark_t& mark) {
    const std::string name = reinterpret_cast<const char*>(anchor);
    auto it = anchors_.find(name);
    YNode node;
    node.kind = YNode::kAlias;
    if (it == anchors_.end()) {
      node.line = first_line_ + static_cast<int>(mark.line);
      node.column = static_cast<int>(mark.column) + 1;
      doc_.nodes.push_back(node);
      Fail(static_cast<uint32_t>(doc_.nodes.size() - 1), "unknown anchor '" + EscapeForDisplay(name) + "' referenced");
    }
    node.target = it->second;
    return Add(std::move(node), mark);
  }

 private:
  struct Open_ {
    uint32_t id;
    bool flow;
    std::vector<uint32_t> children;
  };
  DocumentSource& doc_;
  const ReaderLimits& limits_;
  int first_line_;
  std::vector<Open_> open_;
  std::unordered_map<std::string, uint32_t> anchors_;
};

std::string TagOf(const yaml_char_t* tag) { return tag == nullptr ? std::string() : reinterpret_cast<const char*>(tag); }

// The first YAML document of a piece, as go-yaml v2's Unmarshal reads it (the rest of the
// piece, after a `...`, is never looked at).
ParseOutcome ParseYamlPiece(const Piece& piece, const ReaderLimits& limits) {
  ParseOutcome out;
  auto doc = std::make_shared<DocumentSource>();
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    out.error = "out of memory";
    return out;
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(piece.text.data()), piece.text.size());
  EventBuilder b(*doc, limits, piece.first_line);
  bool done = false;
  try {
    while (!done) {
      yaml_event_t ev;
      if (yaml_parser_parse(&parser, &ev) == 0) {
        std::string msg = "invalid YAML: ";
        if (parser.context != nullptr) msg += std::string(parser.context) + ": ";
        msg += parser.problem != nullptr ? parser.problem : "parse error";
        if (parser.error == YAML_READER_ERROR) {
          // Reader errors (control characters, invalid UTF-8) carry a byte offset only.
          int line = 0, column = 0;
          LineColumn(piece.text, parser.problem_offset, &line, &column);
          out.error_mark = {piece.first_line + line - 1, column};
        } else {
          // At the end of the stream ("found unexpected end of stream"), the construct that was
          // left open (a quoted scalar, a flow collection) is where to look.
          const yaml_mark_t& m = parser.context != nullptr && parser.problem_mark.index + 1 >= piece.text.size()
                                     ? parser.context_mark
                                     : parser.problem_mark;
          out.error_mark = {piece.first_line + static_cast<int>(m.line), static_cast<int>(m.column) + 1};
        }
        out.error = std::move(msg);
        yaml_parser_delete(&parser);
        return out;
      }
      struct EventGuard {
        yaml_event_t* e;
        ~EventGuard() { yaml_event_delete(e); }
      } guard{&ev};
      switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
          if (ev.data.document_start.version_directive != nullptr ||
              ev.data.document_start.tag_directives.start != ev.data.document_start.tag_directives.end) {
            // kubectl's reader consumes every `---` line, so a directive never reaches a
            // document start there.
            Fail(kNone, "YAML directives (%YAML, %TAG) are not accepted by kubectl");
          }
          break;
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_ALIAS_EVENT: b.Alias(ev.data.alias.anchor, ev.start_mark); break;
        case YAML_SCALAR_EVENT: {
          YNode n;
          n.kind = YNode::kScalar;
          const auto style = ev.data.scalar.style;
          n.style = style == YAML_PLAIN_SCALAR_STYLE                                            ? YNode::kPlain
                    : (style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE) ? YNode::kBlock
                                                                                                : YNode::kQuoted;
          n.tag = TagOf(ev.data.scalar.tag);
          n.plain_implicit = ev.data.scalar.plain_implicit != 0 && n.tag.empty();
          n.value.assign(reinterpret_cast<const char*>(ev.data.scalar.value), ev.data.scalar.length);
          const bool flow = b.InFlow();
          const uint32_t id = b.Add(std::move(n), ev.start_mark);
          b.Anchor(ev.data.scalar.anchor, id);
          // libyaml 0.2.5 keeps '?' inside a plain scalar in a flow collection; go-yaml v2
          // ends the scalar there and reads something else. Refuse rather than guess.
          if (flow && style == YAML_PLAIN_SCALAR_STYLE && doc->nodes[id].value.find('?') != std::string::npos) {
            Fail(id, "unquoted value with '?' inside a flow collection ({...} or [...]) is read differently by "
                     "kubectl's YAML parser; quote it");
          }
          break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
          const bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
          YNode n;
          n.kind = seq ? YNode::kSequence : YNode::kMapping;
          n.tag = TagOf(seq ? ev.data.sequence_start.tag : ev.data.mapping_start.tag);
          const bool flow = seq ? ev.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                                : ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
          const uint32_t id = b.Add(std::move(n), ev.start_mark);
          b.Anchor(seq ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor, id);
          b.Open(id, flow);
          break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: b.Close(); break;
        default: break;
      }
    }
  } catch (const Failure& f) {
    yaml_parser_delete(&parser);
    out.error = f.message;
    out.error_mark = f.node == kNone ? SourceMark{piece.first_line, 1} : doc->MarkOf(f.node);
    return out;
  }
  yaml_parser_delete(&parser);
  out.empty = doc->root == kNone;
  out.doc = std::move(doc);
  return out;
}

// A JSON value parser building the same nodes: strings are quoted scalars, literals and
// numbers plain scalars (so they resolve exactly as go-yaml would type them). Like Go's
// encoding/json, invalid UTF-8 and lone surrogates become U+FFFD.
class JsonParser {
 public:
  JsonParser(std::string_view text, size_t pos, int line, size_t line_start, const ReaderLimits& limits,
             DocumentSource& doc)
      : s_(text), i_(pos), line_(line), line_start_(line_start), limits_(limits), doc_(doc) {}

  uint32_t Value(size_t depth) {
    SkipSpace();
    if (i_ >= s_.size()) Error("unexpected end of JSON input");
    if (depth > limits_.max_depth) Error("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    YNode n;
    n.line = line_;
    n.column = static_cast<int>(i_ - line_start_) + 1;
    const char c = s_[i_];
    if (c == '{' || c == '[') {
      const bool obj = c == '{';
      ++i_;
      n.kind = obj ? YNode::kMapping : YNode::kSequence;
      const uint32_t id = Push(std::move(n));
      std::vector<uint32_t> kids;
      SkipSpace();
      if (i_ < s_.size() && s_[i_] == (obj ? '}' : ']')) {
        ++i_;
      } else {
        while (true) {
          if (obj) {
            SkipSpace();
            if (i_ >= s_.size() || s_[i_] != '"') Error("expected a string key");
            kids.push_back(Value(depth + 1));
            SkipSpace();
            if (i_ >= s_.size() || s_[i_] != ':') Error("expected ':' after an object key");
            ++i_;
          }
          kids.push_back(Value(depth + 1));
          SkipSpace();
          if (i_ < s_.size() && s_[i_] == ',') {
            ++i_;
            continue;
          }
          if (i_ < s_.size() && s_[i_] == (obj ? '}' : ']')) {
            ++i_;
            break;
          }
          Error(obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
      }
      doc_.nodes[id].first = static_cast<uint32_t>(doc_.kids.size());
      doc_.nodes[id].count = static_cast<uint32_t>(kids.size());
      doc_.kids.insert(doc_.kids.end(), kids.begin(), kids.end());
      return id;
    }
    n.kind = YNode::kScalar;
    if (c == '"') {
      n.style = YNode::kQuoted;
      n.value = String();
      return Push(std::move(n));
    }
    n.style = YNode::kPlain;
    n.plain_implicit = true;
    const size_t start = i_;
    for (std::string_view lit : {"true", "false", "null"}) {
      if (s_.substr(i_, lit.size()) == lit) {
        i_ += lit.size();
        n.value = std::string(lit);
        return Push(std::move(n));
      }
    }
    if (s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (i_ < s_.size() && s_[i_] >= '1' && s_[i_] <= '9') {
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    } else {
      Error("invalid character looking for beginning of value");
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      const size_t d = i_;
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
      if (d == i_) Error("invalid number");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      const size_t d = i_;
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
      if (d == i_) Error("invalid number");
    }
    n.value = std::string(s_.substr(start, i_ - start));
    return Push(std::move(n));
  }

  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      if (s_[i_] == '\n') ++line_, line_start_ = i_ + 1;
      ++i_;
    }
  }

  size_t pos() const { return i_; }
  int line() const { return line_; }
  size_t line_start() const { return line_start_; }

  [[noreturn]] void Error(const std::string& what) {
    throw JsonError{line_, static_cast<int>(i_ - line_start_) + 1, "invalid JSON: " + what};
  }

  struct JsonError {
    int line;
    int column;
    std::string message;
  };

 private:
  uint32_t Push(YNode n) {
    if (doc_.nodes.size() >= limits_.max_nodes) Error("more than " + std::to_string(limits_.max_nodes) + " values");
    doc_.nodes.push_back(std::move(n));
    return static_cast<uint32_t>(doc_.nodes.size() - 1);
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  int Hex4() {
    if (i_ + 4 > s_.size()) Error("invalid \\u escape");
    int v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      if (!IsHex(c)) Error("invalid \\u escape");
      v = v * 16 + DigitValue(c);
    }
    return v;
  }

  std::string String() {
    ++i_;  // opening quote
    std::string out;
    while (true) {
      if (i_ >= s_.size()) Error("unterminated string");
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return out;
      }
      if (c < 0x20) Error("control character in string literal");
      if (c == '\\') {
        if (++i_ >= s_.size()) Error("unterminated string");
        const char e = s_[i_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            int cp = Hex4();
            if (cp >= 0xD800 && cp < 0xDC00) {
              if (s_.substr(i_, 2) == "\\u") {
                const size_t save = i_;
                i_ += 2;
                const int lo = Hex4();
                if (lo >= 0xDC00 && lo < 0xE000) {
                  AppendUtf8(out, 0x10000 + ((static_cast<uint32_t>(cp) - 0xD800) << 10) + (static_cast<uint32_t>(lo) - 0xDC00));
                  break;
                }
                i_ = save;
              }
              cp = 0xFFFD;
            } else if (cp >= 0xDC00 && cp < 0xE000) {
              cp = 0xFFFD;
            }
            AppendUtf8(out, static_cast<uint32_t>(cp));
            break;
          }
          default: Error("invalid escape in string literal");
        }
        continue;
      }
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        ++i_;
        continue;
      }
      size_t j = i_;
      const int32_t cp = DecodeUtf8(s_, j);
      if (cp < 0) {
        AppendUtf8(out, 0xFFFD);
      } else {
        out.append(s_.substr(i_, j - i_));
      }
      i_ = j;
    }
  }

  std::string_view s_;
  size_t i_;
  int line_;
  size_t line_start_;
  const ReaderLimits& limits_;
  DocumentSource& doc_;
};

// apimachinery's YAMLReader over bufio.ReadLine: lines end at "\n" (a "\r" right before it is
// dropped), and a line beginning with "---" separates documents when what follows is empty
// or a comment after strings.TrimSpace.
struct Split {
  std::vector<Piece> pieces;
  std::vector<std::pair<int, std::string>> errors;  // line, message
};

Split SplitYamlStream(std::string_view text) {
  Split out;
  Piece current;
  bool has_content = false;
  int line_no = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    const bool last = eol == std::string_view::npos;
    if (last) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (!last && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 3) == "---") {
      const std::string_view rest = GoTrimSpace(line.substr(3));
      if (!rest.empty() && rest[0] != '#') {
        out.errors.emplace_back(line_no, "invalid document separator: \"" + EscapeForDisplay(line.substr(0, 60)) +
                                             "\" (kubectl allows only spaces or a comment after ---)");
      }
      if (has_content) out.pieces.push_back(std::move(current));
      current = Piece{};
      has_content = false;
    } else {
      if (!has_content) {
        current.first_line = line_no;
        has_content = true;
      }
      current.text.append(line);
      current.text.push_back('\n');
    }
    if (last) break;
    pos = eol + 1;
    ++line_no;
  }
  if (has_content) out.pieces.push_back(std::move(current));
  return out;
}

// GuessJSONStream: the first 4096 bytes, after Unicode spaces, start with '{'.
bool LooksLikeJson(std::string_view text) {
  std::string_view head = text.substr(0, 4096);
  size_t i = 0;
  while (i < head.size()) {
    size_t j = i;
    const int32_t cp = DecodeUtf8(head, j);
    if (!IsGoSpace(cp)) break;
    i = j;
  }
  return i < head.size() && head[i] == '{';
}

// ---------------------------------------------------------------------------------------------
// go-yaml v2 decode + sigs.k8s.io/yaml JSON conversion, for the objects that are wanted.

class Emitter {
 public:
  Emitter(const DocumentSource& doc, const ReaderLimits& limits) : doc_(doc), limits_(limits) {
    expanding_.resize(doc.nodes.size(), 0);
  }

  const std::vector<Member>& Members(uint32_t n) { return doc_.Members(n, &merged_, limits_.max_alias_nodes); }

  // The string value of a member (kind, apiVersion): "" when absent or not a string, as
  // unstructured's GetKind/GetAPIVersion read it.
  std::string StringMember(const std::vector<Member>& ms, std::string_view key) {
    const Member* m = FindMember(ms, key);
    if (m == nullptr) return "";
    const uint32_t t = doc_.Deref(m->value);
    if (doc_.nodes[t].kind != YNode::kScalar) return "";
    Resolved r = ResolveScalar(doc_.nodes[t], t);
    return r.type == RType::kString ? r.text : "";
  }

  // JSON of the mapping `n`, with `extra` members added (an inherited kind/apiVersion).
  std::string Object(uint32_t n, bool via_alias, const std::vector<std::pair<std::string, std::string>>& extra) {
    out_.clear();
    expanding_[n] = 1;
    EmitMapping(n, 1, via_alias, &extra);
    expanding_[n] = 0;
    return std::move(out_);
  }

 private:
  void Count(uint32_t n, bool alias, size_t bytes) {
    if (out_.size() > limits_.max_object_bytes) {
      Fail(n, "object larger than " + std::to_string(limits_.max_object_bytes) +
                  " bytes as JSON (over the API server's request limit)");
    }
    if (!alias) return;
    if (++alias_nodes_ + merged_ > limits_.max_alias_nodes) {
      Fail(n, "aliases expand to more than " + std::to_string(limits_.max_alias_nodes) + " nodes");
    }
    alias_bytes_ += bytes;
    if (alias_bytes_ > limits_.max_alias_bytes) {
      Fail(n, "aliases expand to more than " + std::to_string(limits_.max_alias_bytes) + " bytes");
    }
  }

  void Emit(uint32_t n, size_t depth, bool alias) {
    if (depth > limits_.max_depth) Fail(n, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    uint32_t t = n;
    if (doc_.nodes[n].kind == YNode::kAlias) {
      t = doc_.nodes[n].target;
      alias = true;
    }
    const YNode& node = doc_.nodes[t];
    switch (node.kind) {
      case YNode::kScalar: {
        const Resolved r = ResolveScalar(node, t);
        Count(t, alias, r.text.size());
        switch (r.type) {
          case RType::kString: out_ += JsonQuote(r.text); break;
          case RType::kFloat:
            if (r.text == "NaN" || r.text == "+Inf" || r.text == "-Inf") {
              Fail(t, "json: unsupported value " + r.text + " (kubectl cannot send it)");
            }
            out_ += r.text;
            break;
          default: out_ += r.text; break;
        }
        return;
      }
      case YNode::kSequence: {
        if (expanding_[t] != 0) Fail(n, "an anchor's value contains an alias of itself");
        expanding_[t] = 1;
        Count(t, alias, 0);
        out_ += '[';
        for (uint32_t i = 0; i < node.count; ++i) {
          if (i != 0) out_ += ',';
          Emit(doc_.kids[node.first + i], depth + 1, alias);
        }
        out_ += ']';
        expanding_[t] = 0;
        return;
      }
      case YNode::kMapping:
        if (expanding_[t] != 0) Fail(n, "an anchor's value contains an alias of itself");
        expanding_[t] = 1;
        EmitMapping(t, depth, alias, nullptr);
        expanding_[t] = 0;
        return;
      case YNode::kAlias: Fail(n, "internal error: alias of an alias");
    }
  }

  void EmitMapping(uint32_t t, size_t depth, bool alias, const std::vector<std::pair<std::string, std::string>>* extra) {
    Count(t, alias, 0);
    const std::vector<Member>& ms = Members(t);
    // json.Marshal writes map keys sorted.
    std::vector<std::pair<std::string_view, size_t>> order;  // key, member index or npos-extra
    order.reserve(ms.size() + (extra ? extra->size() : 0));
    for (size_t i = 0; i < ms.size(); ++i) order.emplace_back(ms[i].key, i);
    if (extra != nullptr) {
      for (size_t i = 0; i < extra->size(); ++i) order.emplace_back((*extra)[i].first, ms.size() + i);
    }
    std::sort(order.begin(), order.end());
    out_ += '{';
    for (size_t k = 0; k < order.size(); ++k) {
      if (k != 0) out_ += ',';
      out_ += JsonQuote(order[k].first);
      out_ += ':';
      const size_t i = order[k].second;
      if (i < ms.size()) {
        Emit(ms[i].value, depth + 1, alias || ms[i].merged);
      } else {
        out_ += JsonQuote((*extra)[i - ms.size()].second);
      }
    }
    out_ += '}';
  }

  const DocumentSource& doc_;
  const ReaderLimits& limits_;
  std::string out_;
  std::vector<uint8_t> expanding_;
  size_t merged_ = 0;
  size_t alias_nodes_ = 0;
  size_t alias_bytes_ = 0;
};

std::string TrimListSuffix(const std::string& kind) {
  if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0) return kind.substr(0, kind.size() - 4);
  return kind;
}

// One document: kubectl's unstructured decode and FlattenListVisitor, converting only the
// wanted kinds.
void Flatten(const std::shared_ptr<DocumentSource>& doc, size_t index, const std::set<std::string, std::less<>>& kinds,
             const ReaderLimits& limits, ReadResult& out) {
  Emitter em(*doc, limits);
  try {
    const uint32_t root = doc->Deref(doc->root);
    const YNode& r = doc->nodes[root];
    if (r.kind == YNode::kScalar) {
      if (ResolveScalar(r, root).type == RType::kNull) return;  // "null": kubectl skips it
      Fail(root, "document is not an object (kubectl expects an object with kind)");
    }
    if (r.kind != YNode::kMapping) Fail(root, "document is a list, not an object (kubectl expects an object with kind)");
    const std::vector<Member>& ms = em.Members(root);
    const std::string kind = em.StringMember(ms, "kind");
    const Member* items = FindMember(ms, "items");
    if (items == nullptr) {
      if (kind.empty()) Fail(root, "Object 'Kind' is missing (kubectl refuses the document)");
      if (kinds.count(kind) != 0) {
        out.objects.push_back({index, doc->MarkOf(root), kind, em.Object(root, doc->root != root, {}), doc, root});
      }
      return;
    }
    // Any object with an `items` member is a list to kubectl, whatever its kind; the object
    // itself is never created.
    const uint32_t it = doc->Deref(items->value);
    const YNode& list = doc->nodes[it];
    if (list.kind == YNode::kScalar && ResolveScalar(list, it).type == RType::kNull) return;
    if (list.kind != YNode::kSequence) Fail(items->value, "items must be a list");
    const std::string api_version = em.StringMember(ms, "apiVersion");
    const std::string item_kind = TrimListSuffix(kind);
    for (uint32_t i = 0; i < list.count; ++i) {
      const uint32_t item_node = doc->kids[list.first + i];
      const uint32_t item = doc->Deref(item_node);
      if (doc->nodes[item].kind != YNode::kMapping) Fail(item_node, "items[" + std::to_string(i) + "] is not an object");
      const std::vector<Member>& im = em.Members(item);
      if (const Member* nested = FindMember(im, "items");
          nested != nullptr && doc->nodes[doc->Deref(nested->value)].kind == YNode::kSequence) {
        Fail(nested->value, "a list inside a list item: kubectl cannot flatten it");
      }
      std::string k = em.StringMember(im, "kind");
      std::vector<std::pair<std::string, std::string>> extra;
      if (k.empty() && em.StringMember(im, "apiVersion").empty()) {
        // unstructured.decodeToList: such items get the list's kind without "List".
        k = item_kind;
        if (FindMember(im, "kind") == nullptr) extra.emplace_back("kind", k);
        if (FindMember(im, "apiVersion") == nullptr) extra.emplace_back("apiVersion", api_version);
      }
      if (k.empty()) Fail(item_node, "items[" + std::to_string(i) + "]: Object 'Kind' is missing");
      if (kinds.count(k) != 0) {
        out.objects.push_back({index, doc->MarkOf(item), k, em.Object(item, item != item_node, extra), doc, item});
      }
    }
  } catch (const Failure& f) {
    out.errors.push_back({index, f.node == kNone ? doc->MarkOf(doc->root) : doc->MarkOf(f.node), f.message});
  }
}

}  // namespace

SourceMark RawObject::Locate(const std::vector<PathStep>& path) const {
  if (!source) return mark;
  const DocumentSource& doc = *source;
  uint32_t n = static_cast<uint32_t>(node);
  try {
    for (const auto& step : path) {
      const uint32_t t = doc.Deref(n);
      const YNode& cur = doc.nodes[t];
      if (step.index != PathStep::kNoIndex) {
        if (cur.kind != YNode::kSequence || step.index >= cur.count) break;
        n = doc.kids[cur.first + static_cast<uint32_t>(step.index)];
        continue;
      }
      if (cur.kind != YNode::kMapping) break;
      const Member* m = FindMember(doc.Members(t, nullptr, 0), step.key);
      if (m == nullptr) break;
      n = m->value;
    }
  } catch (const Failure&) {
  }
  return doc.MarkOf(n);
}

ReadResult ReadKubectlManifests(std::string_view text, const std::set<std::string, std::less<>>& kinds,
                                const ReaderLimits& limits) {
  ReadResult out;
  if (LooksLikeJson(text)) {
    // json.Decoder over a stream of values; the first syntax error ends the stream.
    size_t pos = 0;
    int line = 1;
    size_t line_start = 0;
    size_t index = 0;
    while (true) {
      auto doc = std::make_shared<DocumentSource>();
      JsonParser p(text, pos, line, line_start, limits, *doc);
      p.SkipSpace();
      if (p.pos() >= text.size()) break;
      try {
        doc->root = p.Value(0);
      } catch (const JsonParser::JsonError& e) {
        out.errors.push_back({index, {e.line, e.column}, e.message});
        ++out.documents;
        break;
      }
      pos = p.pos(), line = p.line(), line_start = p.line_start();
      ++out.documents;
      Flatten(doc, index++, kinds, limits, out);
    }
    return out;
  }
  Split split = SplitYamlStream(text);
  for (const auto& [line, message] : split.errors) out.errors.push_back({0, {line, 1}, message});
  size_t index = 0;
  for (const Piece& piece : split.pieces) {
    if (IsBlankDocument(piece.text)) continue;
    ++out.documents;
    ParseOutcome parsed = ParseYamlPiece(piece, limits);
    if (!parsed.doc) {
      out.errors.push_back({index, parsed.error_mark, parsed.error});
    } else if (!parsed.empty) {
      Flatten(parsed.doc, index, kinds, limits, out);
    }
    ++index;
  }
  // Separator errors belong to the document they end; keep the file order of all errors.
  std::stable_sort(out.errors.begin(), out.errors.end(),
                   [](const ReadError& a, const ReadError& b) { return a.mark.line < b.mark.line; });
  return out;
}

}  // namespace riposte::core
