#include "core/profile_judge.h"

#include "core/rules.h"
#include "core/text.h"
#include "core/validators.h"

namespace riposte::core {

void FindingSink::Add(std::string_view rule_id, std::string field, std::string message,
                      std::span<const std::string_view> cves, std::string_view fix_suffix, bool cves_exact) {
  const RuleInfo* info = FindRule(rule_id);
  Finding f;
  f.rule_id = std::string(rule_id);
  f.severity = info->severity;
  auto it = policy_.rules.find(f.rule_id);
  if (it != policy_.rules.end()) {
    if (!it->second.enabled) return;
    if (it->second.severity) f.severity = *it->second.severity;
  }
  for (auto cve : cves.empty() && !cves_exact ? std::span<const std::string_view>(info->cves) : cves) {
    f.cves.emplace_back(cve);
  }
  // Field paths carry object keys (annotation names, map keys): never raw control characters.
  f.field = FindControl(field) ? EscapeForDisplay(field) : std::move(field);
  f.message = std::move(message);
  f.remediation = std::string(info->remediation);
  if (!fix_suffix.empty()) f.remediation += " " + std::string(fix_suffix);
  out_->push_back(std::move(f));
}

std::string BreakoutReason(char c, Sink sink) {
  switch (c) {
    case ';': return "';' ends the nginx directive";
    case '{': return "'{' opens an nginx block";
    case '}': return "'}' closes the enclosing nginx block";
    case '#': return "'#' turns the rest of the line into a comment";
    case '\\':
      return sink == Sink::kUnquoted ? "a '\\' at the end or before whitespace, a quote or ';' escapes what ends the nginx token"
                                     : "a trailing '\\' escapes the closing quote";
    case '"':
      return sink == Sink::kDoubleQuoted ? "an unescaped '\"' ends the double-quoted nginx string"
                                         : "'\"' starts a quoted nginx string";
    case '\'':
      return sink == Sink::kSingleQuoted ? "\"'\" ends the single-quoted nginx string"
                                         : "\"'\" starts a quoted nginx string";
    default: return std::string("'") + c + "' breaks the nginx token";
  }
}

// nginx's tokenizer (ngx_conf_file.c, ngx_conf_read_token): inside a token ';' and '{' end it
// and '\' escapes the next character; '}', '#' and quotes are special only where a token
// starts (the value's first byte, or after whitespace). A backslash is harmless before an
// ordinary character (regexes: \d, \.), but a trailing one escapes the ';' the controller
// writes after the value and one before whitespace or a quote joins what follows.
std::optional<ScanHit> FindUnquotedBreakout(std::string_view v, bool semicolon_ok) {
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '$' && i + 1 < v.size() && v[i + 1] == '{') {
      // ${name} is an nginx variable, not a block.
      if (const size_t n = NginxVariableLength(v, i)) {
        i += n - 1;
        continue;
      }
    }
    if (c == '\\') {
      if (i + 1 == v.size() || IsSpace(v[i + 1]) || v[i + 1] == '"' || v[i + 1] == '\'' || v[i + 1] == ';') {
        return ScanHit{i, BreakoutReason(c, Sink::kUnquoted)};
      }
      ++i;
      continue;
    }
    const bool token_start = i == 0 || IsSpace(v[i - 1]);
    if ((c == ';' && !semicolon_ok) || c == '{' || (token_start && (c == '}' || c == '#' || c == '"' || c == '\''))) {
      return ScanHit{i, BreakoutReason(c, Sink::kUnquoted)};
    }
  }
  return std::nullopt;
}

namespace {

std::optional<ScanHit> FindQuoteBreakout(std::string_view v, char quote, Sink sink) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\') {
      if (i + 1 == v.size()) return ScanHit{i, BreakoutReason('\\', sink)};
      ++i;  // nginx keeps the escaped character inside the string
      continue;
    }
    if (v[i] == quote) return ScanHit{i, BreakoutReason(quote, sink)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<ScanHit> FindDoubleQuoteBreakout(std::string_view v) { return FindQuoteBreakout(v, '"', Sink::kDoubleQuoted); }

std::optional<ScanHit> FindSingleQuoteBreakout(std::string_view v) { return FindQuoteBreakout(v, '\'', Sink::kSingleQuoted); }

void JudgeSnippetValue(FindingSink& sink, const ProfileSettings& settings, const SnippetRules& rules,
                       const std::string& ns, const std::string& field, std::string_view what,
                       std::string_view value) {
  if (value.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
  if (auto hit = FindControl(value, true)) {
    sink.Add(rules.control, field, hit->what + " in " + std::string(what) + ": " + QuoteFragment(value, hit->pos));
  }
  if (!settings.SnippetsAllowedIn(ns)) {
    const std::string shown = ns.empty() ? "(none)" : EscapeForDisplay(ns);
    sink.Add(rules.denied, field,
             std::string(what) + " is not allowed in namespace " + shown +
                 ": snippets are denied unless the policy allows them (" + std::string(rules.settings_key) +
                 ".namespaces: [" + shown + "])");
  }
  if (auto hit = FindSnippetDanger(value)) {
    sink.Add(rules.danger, field, hit->what + " in " + std::string(what) + ": " + QuoteFragment(value, hit->pos));
  }
}

}  // namespace riposte::core
