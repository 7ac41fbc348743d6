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
// Escapes control characters for a terminal (\n, \r, \t, \xNN), so cluster strings cannot
// forge report lines.
std::string TextEscape(std::string_view text);

// The migration inventory section of each format (audit/render_migration.cc); the renderers
// above include it when report.migration is set (`riposte audit --migration`).
std::string MigrationText(const MigrationInventory& inventory);
web::json::value MigrationJson(const MigrationInventory& inventory);
std::string MigrationHtml(const MigrationInventory& inventory);

}  // namespace riposte::audit
