// NGINX Gateway Fabric profile. Where each field lands: internal/controller/nginx/config
// (base_http_config_template.go, servers_template.go) at nginx/nginx-gateway-fabric e55bfe33;
// the CRD patterns added by 2.6.4 (apis/v1alpha1/authenticationfilter_types.go,
// apis/v1alpha2/nginxproxy_types.go) are what an older CRD install lacks.
#include "core/profile_ngf.h"

#include <array>

#include "core/profile_judge.h"
#include "core/rules.h"
#include "core/scanners.h"
#include "core/text.h"

namespace riposte::core {

namespace {

constexpr std::string_view kSnippetsKey = "profiles.nginxGatewayFabric.snippets";
constexpr SnippetRules kNgfSnippetRules{rule_ids::kNgfSnippetDenied, rule_ids::kNgfSnippetDanger,
                                        rule_ids::kNgfSnippetDanger, kSnippetsKey};

constexpr std::array<std::string_view, 1> kOidcArgs = {"CVE-2026-11311"};
constexpr std::array<std::string_view, 1> kServerTokens = {"CVE-2026-11311"};
constexpr std::array<std::string_view, 1> kLogFormat = {"CVE-2026-50107"};
constexpr std::array<std::string_view, 1> kAuthFields = {"CVE-2026-66362"};

constexpr std::string_view kFixed264 = "Fixed in NGINX Gateway Fabric 2.6.4 (its CRD patterns refuse the value).";

struct NgfField {
  std::string_view kind;   // resource kind
  std::string_view shape;
  bool suffix;
  Sink sink;
  std::span<const std::string_view> cves;  // empty: no CVE names this field
  std::string_view what;
  std::string_view fix;
};

const std::vector<NgfField>& Fields() {
  static const std::vector<NgfField> fields = {
      {"AuthenticationFilter", "spec.oidc.clientID", false, Sink::kUnquoted, kAuthFields, "oidc.clientID (client_id)", ""},
      {"AuthenticationFilter", "spec.oidc.session.cookieName", false, Sink::kUnquoted, kAuthFields,
       "oidc.session.cookieName (cookie_name)", ""},
      {"AuthenticationFilter", "spec.oidc.extraAuthArgs{}", false, Sink::kDoubleQuoted, kOidcArgs,
       "oidc.extraAuthArgs key (extra_auth_args \"...\")", kFixed264},
      {"AuthenticationFilter", "spec.oidc.extraAuthArgs[*]", false, Sink::kDoubleQuoted, kOidcArgs,
       "oidc.extraAuthArgs value (extra_auth_args \"...\")", kFixed264},
      {"AuthenticationFilter", "spec.basic.realm", false, Sink::kDoubleQuoted, {}, "basic.realm (auth_basic \"...\")", ""},
      {"AuthenticationFilter", "spec.jwt.realm", false, Sink::kDoubleQuoted, {}, "jwt.realm (auth_jwt \"...\")", ""},
      {"NginxProxy", "spec.serverTokens", false, Sink::kDoubleQuoted, kServerTokens, "serverTokens (server_tokens)", kFixed264},
      {"NginxProxy", "spec.logging.accessLog.format", false, Sink::kSingleQuoted, kLogFormat,
       "logging.accessLog.format (log_format '...')", kFixed264},
  };
  return fields;
}

const NgfField* FindField(std::string_view kind, std::string_view shape) {
  for (const auto& f : Fields()) {
    if (f.kind != kind) continue;
    if (f.suffix ? shape.size() >= f.shape.size() && shape.compare(shape.size() - f.shape.size(), f.shape.size(), f.shape) == 0
                 : shape == f.shape) {
      return &f;
    }
  }
  return nullptr;
}

// "spec.snippets[2].value" -> the value of "spec.snippets[2].context".
std::string_view SnippetContext(const NginxResource& r, const ResourceField& value) {
  const std::string prefix = value.path.substr(0, value.path.size() - std::string_view(".value").size());
  for (const auto& f : r.fields) {
    if (f.path.size() == prefix.size() + 8 && f.path.compare(0, prefix.size(), prefix) == 0 &&
        f.path.compare(prefix.size(), 8, ".context") == 0) {
      return f.value;
    }
  }
  return {};
}

void JudgeField(FindingSink& sink, const NginxResource& r, const ResourceField& f) {
  const Policy& policy = sink.policy();
  if (f.value.size() > policy.max_value_bytes) {
    sink.Add(rule_ids::kSize, f.path,
             "value is " + std::to_string(f.value.size()) + " bytes, over the " + std::to_string(policy.max_value_bytes) +
                 "-byte limit; not scanned further");
    return;
  }
  const std::string_view kind = r.kind->kind;
  if ((kind == "SnippetsFilter" || kind == "SnippetsPolicy") && f.shape == "spec.snippets[].value") {
    const std::string_view context = SnippetContext(r, f);
    const std::string what = std::string(kind) + " snippet" +
                             (context.empty() ? std::string() : " for the " + EscapeForDisplay(context) + " context");
    JudgeSnippetValue(sink, policy.nginx_gateway_fabric, kNgfSnippetRules, r.ns, f.path, what, f.value);
    return;
  }
  const NgfField* known = FindField(kind, f.shape);
  const std::string what = known ? std::string(known->what) : "field " + f.shape;
  const std::span<const std::string_view> cves = known ? known->cves : std::span<const std::string_view>();
  const std::string_view fix = known ? known->fix : std::string_view();
  if (auto hit = FindControl(f.value)) {
    sink.Add(rule_ids::kNgfInjection, f.path, hit->what + " in " + what + ": " + QuoteFragment(f.value, hit->pos), cves, fix, true);
    return;
  }
  std::optional<ScanHit> danger = FindDirective(f.value);
  if (!danger) danger = FindSensitivePath(f.value);
  if (danger) {
    sink.Add(rule_ids::kNgfInjection, f.path, danger->what + " in " + what + ": " + QuoteFragment(f.value, danger->pos), cves,
             fix, true);
    return;
  }
  if (known == nullptr) return;
  std::optional<ScanHit> breakout;
  switch (known->sink) {
    case Sink::kUnquoted: {
      breakout = FindUnquotedBreakout(f.value);
      // A space makes more arguments of one directive; client_id and cookie_name take one.
      const size_t space = f.value.find_first_of(" \t");
      if (!breakout && space != std::string::npos) breakout = ScanHit{space, "whitespace splits the nginx directive's argument"};
      break;
    }
    case Sink::kDoubleQuoted: breakout = FindDoubleQuoteBreakout(f.value); break;
    case Sink::kSingleQuoted: breakout = FindSingleQuoteBreakout(f.value); break;
    default: break;
  }
  // extraAuthArgs keys: ^[a-zA-Z0-9_.-]+$ (the 2.6.4 CRD rule); '&' and '=' would forge arguments.
  if (!breakout && f.shape == "spec.oidc.extraAuthArgs{}") {
    for (size_t i = 0; i < f.value.size(); ++i) {
      const char c = f.value[i];
      if (!(IsAlnum(c) || c == '_' || c == '.' || c == '-')) {
        breakout = ScanHit{i, std::string("'") + c + "' is not allowed in an extraAuthArgs key (letters, digits, '_', '.', '-')"};
        break;
      }
    }
  }
  if (breakout) {
    sink.Add(rule_ids::kNgfInjection, f.path, breakout->what + " in " + what + ": " + QuoteFragment(f.value, breakout->pos),
             cves, fix, true);
  }
}

}  // namespace

bool NgfServesResource(const Policy& policy, const NginxResource& r) {
  return r.kind != nullptr && r.kind->profile == ProfileId::kNginxGatewayFabric && policy.nginx_gateway_fabric.enabled &&
         !policy.IsExempt(r.ns);
}

void JudgeNgfResource(const Policy& policy, const NginxResource& r, std::vector<Finding>* out) {
  FindingSink sink(policy, out);
  for (const auto& f : r.fields) JudgeField(sink, r, f);
}

}  // namespace riposte::core
