#include "core/yaml_documents.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <string>

namespace riposte::core {

namespace {

bool IsMarkerLine(std::string_view line, std::string_view marker) {
  if (line.substr(0, 3) != marker) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r' || line[3] == '#';
}

// Records only where each document starts; used to probe a stream before building nodes.
class DocumentStarts : public YAML::EventHandler {
 public:
  YAML::Mark last_start = YAML::Mark::null_mark();
  void OnDocumentStart(const YAML::Mark& mark) override { last_start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

// Block scalars are indented, so a column-0 marker always ends the document.
std::vector<DocumentText> SplitDocuments(std::string_view text) {
  std::vector<DocumentText> docs;
  size_t doc_start = 0;
  int doc_line = 1;
  int line_no = 1;
  size_t pos = 0;
  bool pending = true;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (IsMarkerLine(line, "---") || IsMarkerLine(line, "...")) {
      if (pending) docs.push_back({text.substr(doc_start, pos - doc_start), doc_line});
      pending = IsMarkerLine(line, "---");
      // Content may follow `--- ` on the marker line itself ("--- {kind: X}").
      doc_start = pos + 3;
      doc_line = line_no;
      if (!pending) {
        doc_start = eol + (eol < text.size() ? 1 : 0);
        doc_line = line_no + 1;
        pending = true;
      }
    }
    if (eol == text.size()) break;
    pos = eol + 1;
    ++line_no;
  }
  if (pending && doc_start <= text.size()) docs.push_back({text.substr(doc_start), doc_line});
  return docs;
}

bool IsBlankDocument(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

YAML::Node LoadSingleDocument(std::string_view text) {
  const std::string owned(text);
  {
    std::istringstream in(owned);
    YAML::Parser probe(in);
    DocumentStarts starts;
    // Each call consumes at most one document, so two calls always terminate.
    probe.HandleNextDocument(starts);
    if (probe.HandleNextDocument(starts)) {
      throw YAML::ParserException(starts.last_start, "unexpected content: not part of a single YAML document");
    }
  }
  return YAML::Load(owned);
}

}  // namespace riposte::core
