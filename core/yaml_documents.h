#pragma once

#include <string_view>
#include <vector>

namespace riposte::core {

// One YAML document's text inside a stream, with where it starts in the file.
struct DocumentText {
  std::string_view text;
  int first_line = 1;  // 1-based line of text[0] in the file
};

// Splits a YAML stream at column-0 `---` / `...` lines. yaml-cpp 0.7's LoadAll loops forever
// (allocating a null node per turn) on some malformed streams such as ",\n", so every loader
// splits the stream itself and hands single documents to YAML::Load.
std::vector<DocumentText> SplitDocuments(std::string_view text);

// Only whitespace and comments: not a document.
bool IsBlankDocument(std::string_view text);

}  // namespace riposte::core

namespace YAML {
class Node;
}

namespace riposte::core {

// YAML::Load for text that must hold exactly one document. yaml-cpp 0.7 silently returns a
// null node for some malformed input (",\n") and leaves the rest unread; here any unread
// content raises YAML::ParserException at its position instead of passing as an empty document.
YAML::Node LoadSingleDocument(std::string_view text);

}  // namespace riposte::core
