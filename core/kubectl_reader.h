#pragma once
// Reads a manifest file the way `kubectl apply -f` does, up to the JSON it would send:
//
//   1. split the stream into documents like apimachinery's YAMLReader (a line starting with
//      `---` and followed only by spaces or a comment; anything else after `---` is an
//      error), or read it as a JSON stream when it starts with `{` (GuessJSONStream);
//   2. parse the first YAML document of each piece with libyaml, which go-yaml v2 (the parser
//      behind sigs.k8s.io/yaml) is a line-by-line port of;
//   3. decode with go-yaml v2's rules: YAML 1.1 scalar resolution (yes/no/on/off are
//      booleans, 0777 is octal, ...), merge keys `<<` applied in document order, the last
//      duplicate key wins, !!binary is base64-decoded, other tags keep the string;
//   4. convert to JSON like sigs.k8s.io/yaml (keys become strings, sorted), and flatten
//      anything with an `items` member like kubectl's unstructured decoder and
//      FlattenListVisitor (items without kind and apiVersion get the list's kind minus "List").
//
// Whatever kubectl would not create, or cannot be read with certainty, is an error with a
// position instead of a guess. Work is bounded: nesting depth, alias expansion (nodes and
// bytes) and the size of each object are capped, and documents whose kind is not wanted are
// never expanded or converted.

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/ingress_json.h"

namespace riposte::core {

struct ReaderLimits {
  size_t max_depth = 512;                          // nesting of collections, aliases expanded
  size_t max_alias_nodes = 100000;                 // nodes copied by aliases and merges, per document
  size_t max_alias_bytes = 4 * 1024 * 1024;        // scalar bytes copied by aliases and merges, per document
  size_t max_object_bytes = 3 * 1024 * 1024;       // JSON of one object: the API server's request limit
  size_t max_nodes = 2000000;                      // parsed nodes per document
};

struct SourceMark {
  int line = 0;    // 1-based, in the file
  int column = 0;  // 1-based
};

class DocumentSource;  // the parsed document an object came from (for positions)

struct RawObject {
  size_t document = 0;  // 0-based index of the document (YAML document or JSON value) in the file
  SourceMark mark;      // where the object starts
  std::string kind;
  std::string json;     // the object as kubectl would send it
  std::shared_ptr<const DocumentSource> source;
  size_t node = 0;      // the object's node in `source`

  // Position of the value at `path` inside this object (the object's own mark when the path
  // leads outside what the document spelt out, e.g. a kind inherited from a List).
  SourceMark Locate(const std::vector<PathStep>& path) const;
};

struct ReadError {
  size_t document = 0;
  SourceMark mark;
  std::string message;
};

struct ReadResult {
  std::vector<RawObject> objects;  // objects of the wanted kinds, in file order
  std::vector<ReadError> errors;
  size_t documents = 0;            // documents that were not empty
};

// `kinds`: the kinds to convert (others are only checked for being objects with a kind).
ReadResult ReadKubectlManifests(std::string_view text, const std::set<std::string, std::less<>>& kinds,
                                const ReaderLimits& limits = {});

// Go's strings.TrimSpace (unicode.IsSpace: ASCII space, \t \n \v \f \r, U+0085, U+00A0 and
// the other Unicode White_Space characters); kubectl and ingress-nginx trim with it.
std::string_view GoTrimSpace(std::string_view s);

}  // namespace riposte::core
