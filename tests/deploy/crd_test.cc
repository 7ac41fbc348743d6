// CRDs: structural schemas (what the API server requires to serve them), one source of truth
// shared by the chart and the plain manifests, and examples that the schemas accept.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

// Keywords a structural schema may use (apiextensions.k8s.io/v1 JSONSchemaProps minus the
// ones structural schemas forbid: $ref, definitions, dependencies, patternProperties, id,
// additionalItems).
const std::set<std::string> kAllowedKeywords = {
    "type", "format", "description", "title", "properties", "items", "required", "enum",
    "default", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
    "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "minProperties",
    "maxProperties", "additionalProperties", "nullable", "multipleOf", "allOf", "anyOf", "oneOf",
    "not", "example", "externalDocs", "x-kubernetes-validations",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
    "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
    "x-kubernetes-embedded-resource"};
const std::set<std::string> kTypes = {"object", "array", "string", "integer", "number", "boolean"};

// Where x-kubernetes-preserve-unknown-fields is intended, with why. Anything else is a
// schema hole (the API server would store unvalidated data there).
const std::map<std::string, std::string> kPreserveUnknownAllowed = {
    {"responseactions.riposte.io:.status.results[].undo",
     "opaque per-action undo record written only by the controller"},
};

void CheckStructural(const YAML::Node& schema, const std::string& crd, const std::string& path,
                     bool inside_logic) {
  const std::string where = crd + " schema " + (path.empty() ? "(root)" : path);
  ASSERT_TRUE(schema.IsMap()) << where << ": schema must be a map";
  for (const auto& kv : schema) {
    const std::string key = kv.first.as<std::string>();
    EXPECT_TRUE(kAllowedKeywords.count(key)) << where << ": keyword '" << key
                                             << "' is not allowed in a structural schema";
  }
  const bool int_or_string = schema["x-kubernetes-int-or-string"].as<bool>(false);
  const bool preserve = schema["x-kubernetes-preserve-unknown-fields"].as<bool>(false);
  // Inside allOf/anyOf/oneOf/not, types are optional (they only add constraints).
  if (!inside_logic && !int_or_string) {
    if (!schema["type"]) {
      ADD_FAILURE() << where << ": no type (structural schemas type every field)";
    } else {
      EXPECT_TRUE(kTypes.count(schema["type"].as<std::string>()))
          << where << ": unknown type '" << schema["type"].as<std::string>() << "'";
    }
  }
  if (preserve) {
    const std::string id = crd + ":" + path;
    EXPECT_TRUE(kPreserveUnknownAllowed.count(id))
        << where << ": x-kubernetes-preserve-unknown-fields is not intended here; give the "
        << "field a schema, or add it with a reason to kPreserveUnknownAllowed";
  }
  EXPECT_FALSE(schema["properties"] && schema["additionalProperties"])
      << where << ": properties and additionalProperties are mutually exclusive";
  if (schema["type"] && schema["type"].as<std::string>() == "array" && !inside_logic) {
    EXPECT_TRUE(schema["items"]) << where << ": array without items";
  }
  if (schema["properties"]) {
    for (const auto& kv : schema["properties"]) {
      CheckStructural(kv.second, crd, path + "." + kv.first.as<std::string>(), inside_logic);
    }
  }
  if (schema["items"]) CheckStructural(schema["items"], crd, path + "[]", inside_logic);
  if (schema["additionalProperties"] && schema["additionalProperties"].IsMap()) {
    CheckStructural(schema["additionalProperties"], crd, path + ".*", inside_logic);
  }
  for (const char* logic : {"allOf", "anyOf", "oneOf"}) {
    if (!schema[logic]) continue;
    for (const auto& sub : schema[logic]) CheckStructural(sub, crd, path, true);
  }
  if (schema["required"]) {
    for (const auto& r : schema["required"]) {
      EXPECT_TRUE(schema["properties"] && schema["properties"][r.as<std::string>()])
          << where << ": required field '" << r.as<std::string>() << "' has no schema";
    }
  }
}

std::vector<fs::path> CrdFiles(const std::string& dir) { return FilesUnder(Repo(dir), {".yaml"}); }

TEST(Crds, SchemasAreStructural) {
  const auto files = CrdFiles("manifests/crds");
  ASSERT_EQ(files.size(), 2u) << "expected ResponsePolicy and ResponseAction CRDs";
  for (const auto& file : files) {
    const auto docs = LoadDocs(file);
    ASSERT_EQ(docs.size(), 1u) << Rel(file);
    const auto& crd = docs[0];
    ASSERT_EQ(crd["kind"].as<std::string>(), "CustomResourceDefinition") << Rel(file);
    EXPECT_EQ(crd["apiVersion"].as<std::string>(), "apiextensions.k8s.io/v1") << Rel(file);
    const std::string name = crd["metadata"]["name"].as<std::string>();
    EXPECT_EQ(name, crd["spec"]["names"]["plural"].as<std::string>() + "." +
                        crd["spec"]["group"].as<std::string>())
        << Rel(file) << ": metadata.name must be <plural>.<group>";
    EXPECT_EQ(file.filename().string(), name + ".yaml") << Rel(file);
    int storage = 0;
    for (const auto& version : crd["spec"]["versions"]) {
      storage += version["storage"].as<bool>(false) ? 1 : 0;
      const auto schema = version["schema"]["openAPIV3Schema"];
      ASSERT_TRUE(schema) << Rel(file) << ": version " << version["name"] << " has no schema";
      EXPECT_EQ(schema["type"].as<std::string>(""), "object") << Rel(file);
      CheckStructural(schema, name, "", false);
    }
    EXPECT_EQ(storage, 1) << Rel(file) << ": exactly one storage version";
  }
}

TEST(Crds, ChartShipsExactlyTheManifestCrds) {
  // Copies, not symlinks: Helm follows symlinks when packaging, but charts consumed straight
  // from git (Argo CD, Flux, Windows checkouts) may not, so byte equality is enforced here.
  const auto manifests = CrdFiles("manifests/crds");
  const auto chart = CrdFiles("helm/riposte/crds");
  std::set<std::string> a, b;
  for (const auto& f : manifests) a.insert(f.filename().string());
  for (const auto& f : chart) b.insert(f.filename().string());
  EXPECT_EQ(a, b) << "helm/riposte/crds must hold the same files as manifests/crds";
  for (const auto& f : manifests) {
    const fs::path copy = Repo("helm/riposte/crds") / f.filename();
    if (!fs::exists(copy)) continue;
    const std::string diff = FirstDifference(ReadFile(f), ReadFile(copy));
    EXPECT_TRUE(diff.empty()) << Rel(copy) << " differs from " << Rel(f) << " at " << diff
                              << "\nrefresh it with: cp " << Rel(f) << " " << Rel(copy);
  }
}

TEST(Crds, ExampleObjectsMatchTheirSchemas) {
  std::map<std::string, YAML::Node> schemas;  // kind -> schema
  for (const auto& file : CrdFiles("manifests/crds")) {
    for (const auto& crd : LoadDocs(file)) {
      schemas[crd["spec"]["names"]["kind"].as<std::string>()] =
          crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    }
  }
  std::vector<fs::path> examples = FilesUnder(Repo("manifests/examples"), {".yaml"});
  examples.push_back(Repo("deploy/falco/responsepolicy-ingressnightmare.yaml"));
  int checked = 0;
  for (const auto& file : examples) {
    int index = 0;
    for (const auto& doc : LoadDocs(file)) {
      ++index;
      const std::string kind = doc["kind"].as<std::string>("");
      if (!schemas.count(kind)) continue;
      EXPECT_EQ(doc["apiVersion"].as<std::string>(""), "riposte.io/v1alpha1") << Rel(file);
      YAML::Node copy = YAML::Clone(doc);
      copy.remove("metadata");
      const auto errors =
          ValidateAgainstSchema(copy, schemas[kind], Rel(file) + "#" + std::to_string(index) + " " + kind);
      EXPECT_TRUE(errors.empty()) << "example does not match its CRD schema:\n" << Join(errors);
      ++checked;
    }
  }
  EXPECT_GE(checked, 2) << "expected ResponsePolicy/ResponseAction examples to validate";
}

}  // namespace
}  // namespace riposte::deploy_test
