#pragma once
// Renderings of a Report. All three are pure functions of the report, so equal reports give
// byte-identical output (golden files depend on it).

#include <string>

#include <cpprest/json.h>

#include "audit/report.h"

namespace riposte::audit {

// Schema "riposte.io/audit/v1" (docs/audit.md). Keys are emitted in a fixed order.
web::json::value ReportToJson(const Report& report);
std::string RenderJson(const Report& report);  // pretty-printed, 2-space indent, trailing newline
std::string RenderText(const Report& report);
std::string RenderHtml(const Report& report);  // one self-contained page

// Pretty printer with insertion-ordered keys (cpprest's serializer is compact only).
std::string PrettyJson(const web::json::value& v);

// Escapes text for HTML element content and attribute values (& < > " ' /).
std::string HtmlEscape(std::string_view text);

}  // namespace riposte::audit
