#pragma once
// Building blocks shared by the successor-controller profiles (core/profile_nic.h,
// core/profile_ngf.h): findings under the policy's rule overrides, and the checks that decide
// whether a value breaks out of the place nginx.conf gives it.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/policy.h"
#include "core/scanners.h"

namespace riposte::core {

// How a value is written into nginx.conf, which decides what ends it.
enum class Sink {
  kNone,          // never written as text (booleans, enums chosen from, names of objects)
  kUnquoted,      // a bare nginx token: ; { } # quotes and backslash end or escape it
  kDoubleQuoted,  // "value" written as is: an unescaped " or a trailing \ ends it
  kSingleQuoted,  // 'value' written as is: any ' or a trailing \ ends it
  kEscaped,       // Go %q quoting: only what nginx unescapes again (control characters)
  kRaw,           // snippet: lines of configuration
};

// Collects the findings of one object, applying the policy's rule overrides.
class FindingSink {
 public:
  FindingSink(const Policy& policy, std::vector<Finding>* out) : policy_(policy), out_(out) {}

  // `cves` empty: the rule's own CVEs, unless `cves_exact` (then exactly `cves`, maybe none).
  // `fix_suffix` is appended to the rule's remediation.
  void Add(std::string_view rule_id, std::string field, std::string message,
           std::span<const std::string_view> cves = {}, std::string_view fix_suffix = {}, bool cves_exact = false);

  const Policy& policy() const { return policy_; }
  size_t count() const { return out_->size(); }

 private:
  const Policy& policy_;
  std::vector<Finding>* out_;
};

// The first character that ends or escapes an unquoted nginx token: ; { } # " ' \ (and `;`
// only when `semicolon_ok` is false: some list values use it as their separator and are split
// before use). `${name}` variables are skipped.
std::optional<ScanHit> FindUnquotedBreakout(std::string_view v, bool semicolon_ok = false);
// An unescaped '"' or a trailing unescaped '\' (it would escape the closing quote).
std::optional<ScanHit> FindDoubleQuoteBreakout(std::string_view v);
// Any '\'' not escaped, or a trailing unescaped '\'.
std::optional<ScanHit> FindSingleQuoteBreakout(std::string_view v);

// The rule ids a profile reports its snippet findings under.
struct SnippetRules {
  std::string_view denied;
  std::string_view danger;
  std::string_view control;
  std::string_view settings_key;  // "profiles.f5NginxIngress.snippets" for the message
};

// A snippet value: control characters other than layout, denied unless allowed for `ns`,
// dangerous directives even when allowed. Empty (whitespace-only) snippets inject nothing.
void JudgeSnippetValue(FindingSink& sink, const ProfileSettings& settings, const SnippetRules& rules,
                       const std::string& ns, const std::string& field, std::string_view what,
                       std::string_view value);

// "a;b" -> "';' ends the nginx directive"; names a character for messages.
std::string BreakoutReason(char c, Sink sink);

}  // namespace riposte::core
