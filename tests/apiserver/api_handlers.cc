// Resource semantics: create/update/patch/delete/list/get, eviction, and the controllers the
// real control plane runs next to the apiserver (garbage collector, namespace lifecycle, CRD
// cleanup). Every rule here mirrors a registry strategy or handler of kube-apiserver.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>

#include "tests/apiserver/api_server_internal.h"
#include "tests/apiserver/api_status.h"
#include "tests/apiserver/patch.h"
#include "tests/apiserver/selectors.h"

namespace riposte::testapi {

using web::json::value;

std::string JStr(const value& v, const std::string& a) {
  if (!v.is_object() || !v.has_field(a) || !v.at(a).is_string()) return "";
  return v.at(a).as_string();
}

std::string JStr(const value& v, const std::string& a, const std::string& b) {
  if (!v.is_object() || !v.has_field(a)) return "";
  return JStr(v.at(a), b);
}

std::string NowRfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NewUid() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^
                                          static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

namespace {

const char* kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const char* kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const char* kDns1035Msg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

bool LowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsDnsLabel(const std::string& s) {
  if (s.empty() || s.size() > 63 || !LowerAlnum(s.front()) || !LowerAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return LowerAlnum(c) || c == '-'; });
}

bool IsDnsSubdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  size_t i = 0;
  while (i <= s.size()) {
    size_t dot = s.find('.', i);
    if (dot == std::string::npos) dot = s.size();
    std::string part = s.substr(i, dot - i);
    if (part.empty() || !LowerAlnum(part.front()) || !LowerAlnum(part.back())) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return LowerAlnum(c) || c == '-'; }))
      return false;
    i = dot + 1;
  }
  return true;
}

bool IsDns1035(const std::string& s) { return IsDnsLabel(s) && s[0] >= 'a' && s[0] <= 'z'; }

value YamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return value::null();
    case YAML::NodeType::Sequence: {
      value arr = value::array(n.size());
      for (size_t i = 0; i < n.size(); ++i) arr[i] = YamlToJson(n[i]);
      return arr;
    }
    case YAML::NodeType::Map: {
      value obj = value::object();
      for (const auto& kv : n) obj[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return obj;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return value::string(s);  // quoted
      if (s == "null" || s == "~" || s.empty()) return value::null();
      if (s == "true") return value::boolean(true);
      if (s == "false") return value::boolean(false);
      try {
        size_t used;
        long long i = std::stoll(s, &used);
        if (used == s.size()) return value::number(static_cast<int64_t>(i));
        double d = std::stod(s, &used);
        if (used == s.size()) return value::number(d);
      } catch (...) {
      }
      return value::string(s);
    }
  }
  return value::null();
}

std::string MediaType(const HttpRequest& req) {
  auto it = req.headers.find("content-type");
  if (it == req.headers.end()) return "";
  std::string ct = it->second.substr(0, it->second.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  return ct;
}

value ParseJson(const std::string& body) {
  return ParseJsonBody(body, "couldn't get version/kind; json parse error");
}

value ParseYamlOrJson(const std::string& body) {
  // Flow-style nesting ("[[[[") is bounded like JSON; block nesting is bounded by the body size.
  int depth = 0;
  for (char c : body) {
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (depth > kMaxJsonDepth) throw BadRequest("error decoding YAML: exceeded max depth");
  }
  try {
    return YamlToJson(YAML::Load(body));
  } catch (const YAML::Exception& e) {
    throw BadRequest(std::string("error decoding YAML: ") + e.what());
  }
}

std::string Query(const HttpRequest& req, const char* key) {
  auto it = req.query.find(key);
  return it == req.query.end() ? "" : it->second;
}

bool DryRun(const HttpRequest& req) {
  std::string d = Query(req, "dryRun");
  if (d.empty()) return false;
  if (d != "All") {
    std::vector<StatusCause> c{{"FieldValueNotSupported",
                                "Unsupported value: \"" + d + "\": supported values: \"All\"",
                                "dryRun"}};
    throw Invalid("DeleteOptions", "meta.k8s.io", "", c);
  }
  return true;
}

value& Meta(value& obj) {
  if (!obj.has_field("metadata") || !obj.at("metadata").is_object()) obj["metadata"] = value::object();
  return obj["metadata"];
}

bool HasDeletionTimestamp(const value& obj) {
  return obj.has_field("metadata") && obj.at("metadata").has_field("deletionTimestamp") &&
         !obj.at("metadata").at("deletionTimestamp").is_null();
}

std::vector<std::string> Finalizers(const value& obj) {
  std::vector<std::string> out;
  if (!obj.has_field("metadata") || !obj.at("metadata").has_field("finalizers")) return out;
  const auto& f = obj.at("metadata").at("finalizers");
  if (!f.is_array()) return out;
  for (const auto& e : f.as_array())
    if (e.is_string()) out.push_back(e.as_string());
  return out;
}

void SetFinalizers(value& obj, const std::vector<std::string>& fins) {
  value& md = Meta(obj);
  if (fins.empty()) {
    if (md.has_field("finalizers")) md.erase("finalizers");
    return;
  }
  value arr = value::array(fins.size());
  for (size_t i = 0; i < fins.size(); ++i) arr[i] = value::string(fins[i]);
  md["finalizers"] = arr;
}

// Object contents that metadata.generation tracks: everything but metadata (and status when
// it is a subresource).
value GenerationView(const value& obj, bool has_status) {
  value v = obj;
  if (v.has_field("metadata")) v.erase("metadata");
  if (has_status && v.has_field("status")) v.erase("status");
  return v;
}

value WithApiVersion(const StoredPtr& s, const std::string& api_version) {
  value v = s->json;
  v["apiVersion"] = value::string(api_version);
  return v;
}

[[noreturn]] void CannotHandle(const ResourceInfo& info, const std::string& version,
                               const std::string& detail) {
  throw BadRequest(info.kind + " in version \"" + version + "\" cannot be handled as a " +
                   info.kind + ": " + detail);
}

void CheckMetadataTypes(const ResourceInfo& info, const std::string& version, const value& obj) {
  if (!obj.has_field("metadata")) return;
  const auto& md = obj.at("metadata");
  if (md.is_null()) return;
  if (!md.is_object())
    CannotHandle(info, version, "json: cannot unmarshal into Go struct field of type v1.ObjectMeta");
  for (const char* f : {"name", "namespace", "generateName", "resourceVersion", "uid"})
    if (md.has_field(f) && !md.at(f).is_string() && !md.at(f).is_null())
      CannotHandle(info, version, std::string("json: cannot unmarshal ") +
                                      "into Go struct field ObjectMeta.metadata." + f + " of type string");
  for (const char* f : {"labels", "annotations"}) {
    if (!md.has_field(f) || md.at(f).is_null()) continue;
    if (!md.at(f).is_object())
      CannotHandle(info, version, std::string("json: cannot unmarshal into Go struct field ObjectMeta.metadata.") +
                                      f + " of type map[string]string");
    for (const auto& [k, v] : md.at(f).as_object())
      if (!v.is_string())
        CannotHandle(info, version, std::string("json: cannot unmarshal ") +
                                        "into Go struct field ObjectMeta.metadata." + f + " of type string");
  }
  for (const char* f : {"finalizers", "ownerReferences"}) {
    if (md.has_field(f) && !md.at(f).is_null() && !md.at(f).is_array())
      CannotHandle(info, version, std::string("json: cannot unmarshal into Go struct field ObjectMeta.metadata.") +
                                      f + " of type array");
  }
}

std::vector<StatusCause> ValidateObject(const ResourceInfo& info, const value& obj) {
  std::vector<StatusCause> errs;
  std::string name = JStr(obj, "metadata", "name");
  if (info.resource == "namespaces" || (info.resource == "services" && info.group.empty())) {
    bool ok = info.resource == "namespaces" ? IsDnsLabel(name) : IsDns1035(name);
    if (!ok)
      errs.push_back(FieldInvalid("metadata.name", name,
                                  info.resource == "namespaces" ? kLabelMsg : kDns1035Msg));
  } else if (!IsDnsSubdomain(name)) {
    errs.push_back(FieldInvalid("metadata.name", name, kSubdomainMsg));
  }
  const auto& md = obj.at("metadata");
  if (md.has_field("labels") && md.at("labels").is_object()) {
    for (const auto& [k, v] : md.at("labels").as_object()) {
      if (!IsQualifiedName(k))
        errs.push_back(FieldInvalid("metadata.labels", k,
                                    "name part must consist of alphanumeric characters, '-', '_' or "
                                    "'.', and must start and end with an alphanumeric character "
                                    "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                                    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
      else if (!IsValidLabelValue(v.as_string()))
        errs.push_back(FieldInvalid("metadata.labels", v.as_string(),
                                    "a valid label must be an empty string or consist of "
                                    "alphanumeric characters, '-', '_' or '.', and must start and "
                                    "end with an alphanumeric character (e.g. 'MyValue',  or "
                                    "'my_value',  or '12345', regex used for validation is "
                                    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
    }
  }
  if (info.resource == "pods" && info.group.empty()) {
    const value* spec = obj.has_field("spec") ? &obj.at("spec") : nullptr;
    if (!spec || !spec->has_field("containers") || !spec->at("containers").is_array() ||
        spec->at("containers").size() == 0) {
      errs.push_back(FieldRequired("spec.containers"));
    } else {
      size_t i = 0;
      for (const auto& c : spec->at("containers").as_array()) {
        std::string path = "spec.containers[" + std::to_string(i++) + "]";
        std::string cname = JStr(c, "name");
        if (cname.empty()) errs.push_back(FieldRequired(path + ".name"));
        else if (!IsDnsLabel(cname)) errs.push_back(FieldInvalid(path + ".name", cname, kLabelMsg));
        if (JStr(c, "image").empty()) errs.push_back(FieldRequired(path + ".image"));
      }
    }
  }
  if (info.group == "apps" && info.resource != "controllerrevisions") {
    if (!obj.has_field("spec") || !obj.at("spec").has_field("selector"))
      errs.push_back(FieldRequired("spec.selector"));
  }
  return errs;
}

// Pods allow only a few spec fields to change after creation.
bool PodSpecUpdateAllowed(const value& old_spec, value new_spec) {
  auto copy_images = [&](const char* list) {
    if (!old_spec.has_field(list) || !new_spec.has_field(list)) return;
    const auto& o = old_spec.at(list);
    auto& n = new_spec[list];
    if (!o.is_array() || !n.is_array() || o.size() != n.size()) return;
    for (size_t i = 0; i < o.size(); ++i)
      if (o.at(i).has_field("image") && n.at(i).is_object()) n[i]["image"] = o.at(i).at("image");
  };
  copy_images("containers");
  copy_images("initContainers");
  for (const char* f : {"activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"}) {
    if (old_spec.has_field(f)) new_spec[f] = old_spec.at(f);
    else if (new_spec.has_field(f)) new_spec.erase(f);
  }
  return new_spec == old_spec;
}

std::string EncodeContinue(uint64_t rv, const std::string& key) {
  value v = value::object();
  v["v"] = value::string("meta.k8s.io/v1");
  v["rv"] = value::number(static_cast<int64_t>(rv));
  v["start"] = value::string(key);
  std::string s = v.serialize();
  std::vector<unsigned char> bytes(s.begin(), s.end());
  return utility::conversions::to_base64(bytes);
}

bool DecodeContinue(const std::string& token, uint64_t* rv, std::string* key) {
  try {
    auto bytes = utility::conversions::from_base64(token);
    std::error_code ec;
    value v = value::parse(std::string(bytes.begin(), bytes.end()), ec);
    if (ec || JStr(v, "v") != "meta.k8s.io/v1" || !v.has_field("rv") || !v.at("rv").is_number())
      return false;
    *rv = static_cast<uint64_t>(v.at("rv").as_number().to_int64());
    *key = JStr(v, "start");
    return *rv > 0;
  } catch (...) {
    return false;
  }
}

uint64_t ParseRv(const std::string& s) {
  try {
    size_t used;
    uint64_t rv = std::stoull(s, &used);
    if (used == s.size()) return rv;
  } catch (...) {
  }
  throw BadRequest("invalid resource version: \"" + s + "\"");
}

}  // namespace

namespace {

bool PodReady(const value& pod) {
  if (HasDeletionTimestamp(pod)) return false;
  if (!pod.has_field("status") || !pod.at("status").has_field("conditions")) return false;
  const auto& conds = pod.at("status").at("conditions");
  if (!conds.is_array()) return false;
  for (const auto& c : conds.as_array())
    if (JStr(c, "type") == "Ready") return JStr(c, "status") == "True";
  return false;
}

// An IntOrString against a total: ints as is, "N%" rounded up as the disruption controller does.
int64_t ScaledValue(const value& v, int64_t total) {
  if (v.is_number()) return v.as_number().to_int64();
  if (v.is_string()) {
    std::string s = v.as_string();
    if (!s.empty() && s.back() == '%') {
      int64_t pct = std::stoll(s.substr(0, s.size() - 1));
      return (pct * total + 99) / 100;
    }
    return std::stoll(s);
  }
  return 0;
}

struct PdbCounts {
  int64_t expected = 0, healthy = 0, desired = 0, allowed = 0;
};

// What the disruption controller computes for a PDB from the pods its selector picks.
PdbCounts CountPdb(const value& pdb, const std::vector<StoredPtr>& pods) {
  PdbCounts c;
  const value& spec = pdb.at("spec");
  LabelSelector sel = LabelSelector::FromObject(spec.at("selector"));
  for (const auto& p : pods) {
    if (!sel.Matches(p->json)) continue;
    std::string ph = JStr(p->json, "status", "phase");
    if (ph == "Succeeded" || ph == "Failed") continue;
    ++c.expected;
    if (PodReady(p->json)) ++c.healthy;
  }
  c.desired = 1;
  if (spec.has_field("minAvailable")) c.desired = ScaledValue(spec.at("minAvailable"), c.expected);
  else if (spec.has_field("maxUnavailable"))
    c.desired = std::max<int64_t>(0, c.expected - ScaledValue(spec.at("maxUnavailable"), c.expected));
  c.allowed = std::max<int64_t>(0, c.healthy - c.desired);
  return c;
}

}  // namespace

// ---- storage-level operations ----

void ApiServer::SeedDefaultsLocked() {
  auto ns = registry_.FindByGroupResource("namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    if (store_.Get("namespaces", "", name)) continue;
    value obj = value::object();
    obj["apiVersion"] = value::string("v1");
    obj["kind"] = value::string("Namespace");
    obj["metadata"] = value::object();
    obj["metadata"]["name"] = value::string(name);
    obj["metadata"]["labels"] = value::object();
    obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = value::string(name);
    CreateLocked(*ns, obj, false, false);
  }
}

StoredPtr ApiServer::CreateLocked(const ResourceInfo& info, value obj, bool keep_status,
                                  bool dry_run) {
  const std::string version = info.versions[0];
  CheckMetadataTypes(info, version, obj);
  if (!obj.has_field("apiVersion")) obj["apiVersion"] = value::string(info.ApiVersion(version));
  if (!obj.has_field("kind")) obj["kind"] = value::string(info.kind);
  value& md = Meta(obj);
  if (!JStr(md, "resourceVersion").empty())
    throw ApiError(500, "", "resourceVersion should not be set on objects to be created");
  std::string ns = JStr(md, "namespace");
  if (!info.namespaced && md.has_field("namespace")) md.erase("namespace");
  if (info.namespaced && ns.empty()) throw BadRequest("the namespace of the object is required");
  std::string name = JStr(md, "name");
  if (name.empty() && !JStr(md, "generateName").empty()) {
    static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    static thread_local std::mt19937 rng(std::random_device{}());
    for (int attempt = 0; attempt < 8; ++attempt) {
      name = JStr(md, "generateName");
      for (int i = 0; i < 5; ++i) name += kAlphabet[rng() % (sizeof kAlphabet - 1)];
      if (!store_.Get(info.GroupResource(), ns, name)) break;
    }
    md["name"] = value::string(name);
  }
  if (name.empty())
    throw Invalid(info.kind, info.group, "",
                  {FieldRequired("metadata.name", "name or generateName is required")});
  if (info.resource == "namespaces" && !info.custom) {
    if (!md.has_field("labels") || !md.at("labels").is_object()) md["labels"] = value::object();
    md["labels"]["kubernetes.io/metadata.name"] = value::string(name);
  }
  auto errs = ValidateObject(info, obj);
  if (info.resource == "customresourcedefinitions") {
    std::string group = JStr(obj, "spec", "group");
    std::string plural = obj.has_field("spec") ? JStr(obj.at("spec"), "names").empty() ? "" : "" : "";
    const value spec = obj.has_field("spec") ? obj.at("spec") : value::object();
    plural = spec.has_field("names") ? JStr(spec.at("names"), "plural") : "";
    if (group.empty()) errs.push_back(FieldRequired("spec.group"));
    if (plural.empty()) errs.push_back(FieldRequired("spec.names.plural"));
    if (!spec.has_field("names") || JStr(spec.at("names"), "kind").empty())
      errs.push_back(FieldRequired("spec.names.kind"));
    std::string scope = JStr(spec, "scope");
    if (scope != "Namespaced" && scope != "Cluster")
      errs.push_back({"FieldValueNotSupported",
                      "Unsupported value: \"" + scope + "\": supported values: \"Cluster\", \"Namespaced\"",
                      "spec.scope"});
    int storage = 0;
    if (!spec.has_field("versions") || !spec.at("versions").is_array() || spec.at("versions").size() == 0) {
      errs.push_back(FieldRequired("spec.versions", "must have exactly one version marked as storage version"));
    } else {
      for (const auto& v : spec.at("versions").as_array())
        if (v.has_field("storage") && v.at("storage").is_boolean() && v.at("storage").as_bool()) ++storage;
      if (storage != 1)
        errs.push_back({"FieldValueInvalid", "Invalid value: " + std::to_string(storage) +
                                                 ": must have exactly one version marked as storage version",
                        "spec.versions"});
    }
    if (!group.empty() && !plural.empty() && name != plural + "." + group)
      errs.push_back(FieldInvalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"));
  }
  if (!errs.empty()) throw Invalid(info.kind, info.group, name, errs);
  if (info.namespaced && !(info.resource == "namespaces" && !info.custom)) {
    auto nsobj = store_.Get("namespaces", "", ns);
    if (!nsobj) throw NotFound("namespaces", "", ns);
    if (HasDeletionTimestamp(nsobj->json)) {
      ApiError e = Forbidden(info.resource, info.group, name,
                             "unable to create new content in namespace " + ns +
                                 " because it is being terminated");
      e.causes.push_back({"NamespaceTerminating",
                          "namespace " + ns + " is being terminated", "metadata.namespace"});
      throw e;
    }
  }
  if (store_.Get(info.GroupResource(), ns, name)) throw AlreadyExists(info.resource, info.group, name);
  md["uid"] = value::string(NewUid());
  md["creationTimestamp"] = value::string(NowRfc3339());
  for (const char* f : {"deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "generation"})
    if (md.has_field(f)) md.erase(f);
  if (info.tracks_generation || info.custom) md["generation"] = value::number(1);
  if (info.has_status && info.reset_status_on_create && !keep_status) {
    if (info.custom) {
      if (obj.has_field("status")) obj.erase("status");
    } else if (info.resource == "pods") {
      obj["status"] = value::object();
      obj["status"]["phase"] = value::string("Pending");
    } else if (info.resource == "namespaces") {
      obj["status"] = value::object();
      obj["status"]["phase"] = value::string("Active");
    } else {
      obj["status"] = value::object();
    }
  }
  if (info.resource == "namespaces" && !info.custom) {
    if (!obj.has_field("spec") || !obj.at("spec").is_object()) obj["spec"] = value::object();
    obj["spec"]["finalizers"] = value::array({value::string("kubernetes")});
  }
  if (info.resource == "customresourcedefinitions") {
    auto fins = Finalizers(obj);
    if (std::find(fins.begin(), fins.end(), "customresourcecleanup.apiextensions.k8s.io") == fins.end())
      fins.push_back("customresourcecleanup.apiextensions.k8s.io");
    SetFinalizers(obj, fins);
    value status = value::object();
    value conds = value::array(2);
    const char* types[] = {"NamesAccepted", "Established"};
    for (size_t i = 0; i < 2; ++i) {
      value c = value::object();
      c["type"] = value::string(types[i]);
      c["status"] = value::string("True");
      c["lastTransitionTime"] = value::string(NowRfc3339());
      c["reason"] = value::string(i == 0 ? "NoConflicts" : "InitialNamesAccepted");
      conds[i] = c;
    }
    status["conditions"] = conds;
    status["acceptedNames"] = obj.at("spec").at("names");
    for (const auto& v : obj.at("spec").at("versions").as_array())
      if (v.has_field("storage") && v.at("storage").as_bool())
        status["storedVersions"] = value::array({value::string(JStr(v, "name"))});
    obj["status"] = status;
  }
  if (dry_run) return MakeStored(obj, 0);
  auto stored = store_.Put(info.GroupResource(), std::move(obj));
  if (info.resource == "customresourcedefinitions") RegisterCrdLocked(stored->json);
  return stored;
}

void ApiServer::RegisterCrdLocked(const value& crd) {
  const auto& spec = crd.at("spec");
  ResourceInfo info;
  info.group = JStr(spec, "group");
  const auto& names = spec.at("names");
  info.resource = JStr(names, "plural");
  info.kind = JStr(names, "kind");
  info.singular = JStr(names, "singular");
  if (info.singular.empty()) {
    info.singular = info.kind;
    for (auto& c : info.singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (names.has_field("shortNames") && names.at("shortNames").is_array())
    for (const auto& s : names.at("shortNames").as_array()) info.short_names.push_back(s.as_string());
  info.namespaced = JStr(spec, "scope") == "Namespaced";
  info.custom = true;
  info.strategic_merge = false;
  info.tracks_generation = true;
  info.return_deleted_object = true;
  for (const auto& v : spec.at("versions").as_array()) {
    bool served = !v.has_field("served") || (v.at("served").is_boolean() && v.at("served").as_bool());
    bool storage = v.has_field("storage") && v.at("storage").is_boolean() && v.at("storage").as_bool();
    if (v.has_field("subresources") && v.at("subresources").has_field("status")) info.has_status = true;
    if (!served) continue;
    if (storage) info.versions.insert(info.versions.begin(), JStr(v, "name"));
    else info.versions.push_back(JStr(v, "name"));
  }
  if (info.versions.empty()) return;
  std::string error;
  registry_.AddCustom(info, &error);
}

StoredPtr ApiServer::UpdateLocked(const ResourceInfo& info, const StoredPtr& old, value obj,
                                  const std::string& subresource, bool dry_run) {
  const value& prev = old->json;
  value result;
  if (subresource == "status") {
    // Status writes keep everything but status from the stored object.
    result = prev;
    if (obj.has_field("status")) result["status"] = obj.at("status");
    else if (result.has_field("status")) result.erase("status");
  } else {
    CheckMetadataTypes(info, info.versions[0], obj);
    result = obj;
    value& md = Meta(result);
    const value& pmd = prev.at("metadata");
    for (const char* f : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                          "generation", "namespace", "name"}) {
      if (pmd.has_field(f)) md[f] = pmd.at(f);
      else if (md.has_field(f)) md.erase(f);
    }
    result["apiVersion"] = prev.at("apiVersion");
    result["kind"] = prev.at("kind");
    if (info.has_status) {
      if (prev.has_field("status")) result["status"] = prev.at("status");
      else if (result.has_field("status")) result.erase("status");
    }
    if (info.resource == "namespaces" && !info.custom && prev.has_field("spec"))
      result["spec"] = prev.at("spec");  // spec.finalizers changes only through /finalize
    std::vector<StatusCause> errs = ValidateObject(info, result);
    if (HasDeletionTimestamp(prev)) {
      auto before = Finalizers(prev);
      for (const auto& f : Finalizers(result))
        if (std::find(before.begin(), before.end(), f) == before.end()) {
          errs.push_back({"FieldValueForbidden",
                          "Forbidden: no new finalizers can be added if the object is being deleted, "
                          "found new finalizers []string{\"" + f + "\"}",
                          "metadata.finalizers"});
          break;
        }
    }
    if (info.resource == "pods" && !info.custom && errs.empty() &&
        !PodSpecUpdateAllowed(prev.has_field("spec") ? prev.at("spec") : value::object(),
                              result.has_field("spec") ? result.at("spec") : value::object())) {
      errs.push_back({"FieldValueForbidden",
                      "Forbidden: pod updates may not change fields other than "
                      "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                      "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                      "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if "
                      "it was previously negative)",
                      "spec"});
    }
    if (!errs.empty()) throw Invalid(info.kind, info.group, JStr(prev, "metadata", "name"), errs);
    if ((info.tracks_generation || info.custom) &&
        !(GenerationView(prev, info.has_status) == GenerationView(result, info.has_status))) {
      int64_t gen = pmd.has_field("generation") ? pmd.at("generation").as_number().to_int64() : 0;
      md["generation"] = value::number(gen + 1);
    }
  }
  Meta(result)["resourceVersion"] = prev.at("metadata").at("resourceVersion");
  if (result == prev) return old;  // no-op writes do not bump resourceVersion, as in etcd3 store
  if (dry_run) return MakeStored(result, 0);
  auto stored = store_.Put(info.GroupResource(), std::move(result));
  if (info.resource == "customresourcedefinitions") RegisterCrdLocked(stored->json);
  if (HasDeletionTimestamp(stored->json) && Finalizers(stored->json).empty()) {
    auto gone = store_.Remove(info.GroupResource(), JStr(stored->json, "metadata", "namespace"),
                              JStr(stored->json, "metadata", "name"));
    AfterDeleteLocked(info, gone);
  }
  return stored;
}

StoredPtr ApiServer::DeleteLocked(const ResourceInfo& info, const StoredPtr& obj,
                                  const std::string& propagation, bool dry_run, bool* gone) {
  value json = obj->json;
  auto fins = Finalizers(json);
  auto add = [&](const char* f) {
    if (std::find(fins.begin(), fins.end(), f) == fins.end()) fins.push_back(f);
  };
  bool has_dependents = !store_.Dependents(JStr(json, "metadata", "uid")).empty();
  if (propagation == "Orphan" && has_dependents) add("orphan");
  if (propagation == "Foreground" && has_dependents) add("foregroundDeletion");
  bool is_namespace = info.resource == "namespaces" && !info.custom;
  if (!fins.empty() || is_namespace) {
    *gone = false;
    if (HasDeletionTimestamp(json)) return obj;
    value& md = Meta(json);
    md["deletionTimestamp"] = value::string(NowRfc3339());
    md["deletionGracePeriodSeconds"] = value::number(0);
    SetFinalizers(json, fins);
    if (is_namespace) {
      if (!json.has_field("status") || !json.at("status").is_object()) json["status"] = value::object();
      json["status"]["phase"] = value::string("Terminating");
    }
    if (dry_run) return MakeStored(json, 0);
    auto stored = store_.Put(info.GroupResource(), std::move(json));
    {
      std::lock_guard<std::mutex> lock(controller_mu_);
      controller_kick_ = true;
    }
    controller_cv_.notify_all();
    return stored;
  }
  *gone = true;
  if (dry_run) return obj;
  auto removed = store_.Remove(info.GroupResource(), JStr(json, "metadata", "namespace"),
                               JStr(json, "metadata", "name"));
  AfterDeleteLocked(info, removed);
  return removed;
}

void ApiServer::AfterDeleteLocked(const ResourceInfo& info, const StoredPtr& gone) {
  if (!gone) return;
  if (info.resource == "customresourcedefinitions" && !info.custom) {
    std::string gr = JStr(gone->json, "spec", "names").empty() ? "" : "";
    const auto& spec = gone->json.at("spec");
    gr = JStr(spec.at("names"), "plural") + "." + JStr(spec, "group");
    store_.RemoveResource(gr);
    registry_.RemoveCustom(gr);
    store_.changed().notify_all();  // ends watches on the removed resource
  }
  {
    std::lock_guard<std::mutex> lock(controller_mu_);
    controller_kick_ = true;
  }
  controller_cv_.notify_all();
}

// ---- controllers ----

void ApiServer::ControllerLoop() {
  while (!stopping_) {
    {
      std::unique_lock<std::mutex> lock(controller_mu_);
      // Every write that gives a controller work kicks it; the timer is only a safety net.
      controller_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return controller_kick_; });
      controller_kick_ = false;
    }
    if (stopping_) break;
    std::lock_guard<std::mutex> lock(store_.mu());
    try {
      RunControllersLocked();
    } catch (const std::exception&) {
      // A controller pass that hits a validation error retries on the next tick, like a
      // requeued work item.
    }
  }
}

void ApiServer::RunControllersLocked() {
  auto info_for = [&](const std::string& gr) { return registry_.FindByGroupResource(gr); };
  auto split_key = [](const std::string& key) {
    auto slash = key.find('/');
    return std::make_pair(key.substr(0, slash), key.substr(slash + 1));
  };
  // Garbage collector: dependents whose owners are all gone are deleted (background); those
  // that keep a live owner lose the dangling reference. Owners being deleted in the
  // foreground wait for dependents; orphaning owners release them.
  for (const auto& owner_uid : store_.OwnerUidsWithDependents()) {
    bool owner_exists = store_.UidExists(owner_uid);
    for (const auto& [gr, key] : store_.Dependents(owner_uid)) {
      auto info = info_for(gr);
      if (!info) continue;
      auto [ns, name] = split_key(key);
      auto dep = store_.Get(gr, ns, name);
      if (!dep) continue;
      if (owner_exists) continue;
      std::vector<value> live;
      for (const auto& ref : dep->json.at("metadata").at("ownerReferences").as_array())
        if (store_.UidExists(JStr(ref, "uid"))) live.push_back(ref);
      if (live.empty()) {
        if (HasDeletionTimestamp(dep->json)) continue;
        bool gone;
        DeleteLocked(*info, dep, "Background", false, &gone);
      } else {
        value obj = dep->json;
        value arr = value::array(live.size());
        for (size_t i = 0; i < live.size(); ++i) arr[i] = live[i];
        obj["metadata"]["ownerReferences"] = arr;
        UpdateLocked(*info, dep, obj, "", false);
      }
    }
  }
  // Owners carrying GC finalizers.
  for (const auto& gr : store_.Resources()) {
    auto info = info_for(gr);
    if (!info) continue;
    for (const auto& obj : store_.List(gr, "")) {
      if (!HasDeletionTimestamp(obj->json)) continue;
      auto fins = Finalizers(obj->json);
      bool orphan = std::find(fins.begin(), fins.end(), "orphan") != fins.end();
      bool foreground = std::find(fins.begin(), fins.end(), "foregroundDeletion") != fins.end();
      if (!orphan && !foreground) continue;
      std::string uid = JStr(obj->json, "metadata", "uid");
      auto deps = store_.Dependents(uid);
      for (const auto& [dgr, dkey] : deps) {
        auto dinfo = info_for(dgr);
        auto [dns, dname] = split_key(dkey);
        auto dep = store_.Get(dgr, dns, dname);
        if (!dinfo || !dep) continue;
        if (orphan) {
          value d = dep->json;
          std::vector<value> kept;
          for (const auto& ref : d.at("metadata").at("ownerReferences").as_array())
            if (JStr(ref, "uid") != uid) kept.push_back(ref);
          if (kept.empty()) {
            d["metadata"].erase("ownerReferences");
          } else {
            value arr = value::array(kept.size());
            for (size_t i = 0; i < kept.size(); ++i) arr[i] = kept[i];
            d["metadata"]["ownerReferences"] = arr;
          }
          UpdateLocked(*dinfo, dep, d, "", false);
        } else if (!HasDeletionTimestamp(dep->json)) {
          bool gone;
          DeleteLocked(*dinfo, dep, "Foreground", false, &gone);
        }
      }
      if (orphan || store_.Dependents(uid).empty()) {
        auto current = store_.Get(gr, JStr(obj->json, "metadata", "namespace"), JStr(obj->json, "metadata", "name"));
        if (!current) continue;
        value o = current->json;
        auto f = Finalizers(o);
        f.erase(std::remove_if(f.begin(), f.end(), [&](const std::string& s) {
                  return s == (orphan ? "orphan" : "foregroundDeletion");
                }),
                f.end());
        SetFinalizers(o, f);
        UpdateLocked(*info, current, o, "", false);
      }
    }
  }
  // Namespace lifecycle: a terminating namespace loses its content, then disappears.
  for (const auto& nsobj : store_.List("namespaces", "")) {
    if (!HasDeletionTimestamp(nsobj->json)) continue;
    std::string ns = JStr(nsobj->json, "metadata", "name");
    bool remaining = false;
    for (const auto& gr : store_.Resources()) {
      auto info = info_for(gr);
      if (!info || !info->namespaced) continue;
      for (const auto& obj : store_.List(gr, ns)) {
        remaining = true;
        if (HasDeletionTimestamp(obj->json)) continue;
        bool gone;
        DeleteLocked(*info, obj, "Background", false, &gone);
      }
    }
    if (!remaining) {
      auto gone = store_.Remove("namespaces", "", ns);
      AfterDeleteLocked(*info_for("namespaces"), gone);
    }
  }
  // Disruption controller: PDB status follows the pods it selects.
  if (auto pdb_info = info_for("poddisruptionbudgets.policy")) {
    for (const auto& pdb : store_.List("poddisruptionbudgets.policy", "")) {
      if (!pdb->json.has_field("spec") || !pdb->json.at("spec").has_field("selector") ||
          pdb->json.at("spec").at("selector").is_null())
        continue;
      PdbCounts c = CountPdb(pdb->json, store_.List("pods", JStr(pdb->json, "metadata", "namespace")));
      value obj = pdb->json;
      value status = obj.has_field("status") && obj.at("status").is_object() ? obj.at("status") : value::object();
      status["observedGeneration"] = obj.at("metadata").has_field("generation") ? obj.at("metadata").at("generation") : value::number(1);
      status["disruptionsAllowed"] = value::number(c.allowed);
      status["currentHealthy"] = value::number(c.healthy);
      status["desiredHealthy"] = value::number(c.desired);
      status["expectedPods"] = value::number(c.expected);
      obj["status"] = status;
      UpdateLocked(*pdb_info, pdb, obj, "status", false);  // a no-op when nothing changed
    }
  }
  // CRD cleanup: custom resources go first, then the cleanup finalizer.
  auto crd_info = info_for("customresourcedefinitions.apiextensions.k8s.io");
  for (const auto& crd : store_.List("customresourcedefinitions.apiextensions.k8s.io", "")) {
    if (!HasDeletionTimestamp(crd->json)) continue;
    auto fins = Finalizers(crd->json);
    if (std::find(fins.begin(), fins.end(), "customresourcecleanup.apiextensions.k8s.io") == fins.end())
      continue;
    const auto& spec = crd->json.at("spec");
    std::string gr = JStr(spec.at("names"), "plural") + "." + JStr(spec, "group");
    auto cr_info = info_for(gr);
    bool remaining = false;
    if (cr_info) {
      for (const auto& obj : store_.List(gr, "")) {
        remaining = true;
        if (HasDeletionTimestamp(obj->json)) continue;
        bool gone;
        DeleteLocked(*cr_info, obj, "Background", false, &gone);
      }
    }
    if (!remaining) {
      value o = crd->json;
      fins.erase(std::remove(fins.begin(), fins.end(), "customresourcecleanup.apiextensions.k8s.io"), fins.end());
      SetFinalizers(o, fins);
      UpdateLocked(*crd_info, crd, o, "", false);
    }
  }
}

// ---- HTTP verbs ----

HttpResponse ApiServer::HandleResource(const RequestInfo& ri, const HttpRequest& req) {
  int code = 200;
  value out;
  if (ri.verb == "get") out = DoGet(ri);
  else if (ri.verb == "list") {
    HttpResponse r;
    r.body = DoList(ri, req).as_string();  // pre-serialized
    return r;
  } else if (ri.verb == "create" && ri.subresource == "eviction") out = DoEviction(ri, req, &code);
  else if (ri.verb == "create") out = DoCreate(ri, req, &code);
  else if (ri.verb == "update") out = DoUpdate(ri, req);
  else if (ri.verb == "patch") out = DoPatch(ri, req, &code);
  else if (ri.verb == "delete") out = DoDelete(ri, req, &code);
  else if (ri.verb == "deletecollection") out = DoDeleteCollection(ri, req);
  else throw MethodNotAllowed(req.method);
  HttpResponse r;
  r.status = code;
  r.body = out.serialize();
  return r;
}

static value DecodeBody(const ResourceInfo& info, const std::string& version, const HttpRequest& req) {
  std::string mt = MediaType(req);
  value obj;
  if (mt.empty() || mt == "application/json") obj = ParseJson(req.body);
  else if (mt == "application/yaml") obj = ParseYamlOrJson(req.body);
  else
    throw UnsupportedMediaType({"application/json", "application/yaml"});
  if (!obj.is_object()) throw BadRequest("couldn't get version/kind; json parse error: expected an object");
  std::string want = info.ApiVersion(version);
  if (obj.has_field("apiVersion")) {
    if (!obj.at("apiVersion").is_string() || obj.at("apiVersion").as_string() != want)
      throw BadRequest("the API version in the data (" + JStr(obj, "apiVersion") +
                       ") does not match the expected API version (" + want + ")");
  }
  if (obj.has_field("kind") && (!obj.at("kind").is_string() || obj.at("kind").as_string() != info.kind))
    throw BadRequest("the kind in the data (" + JStr(obj, "kind") +
                     ") does not match the expected kind (" + info.kind + ")");
  obj["apiVersion"] = value::string(want);
  obj["kind"] = value::string(info.kind);
  CheckMetadataTypes(info, version, obj);
  return obj;
}

value ApiServer::DoGet(const RequestInfo& ri) {
  std::lock_guard<std::mutex> lock(store_.mu());
  auto obj = store_.Get(ri.info->GroupResource(), ri.ns, ri.name);
  if (!obj) throw NotFound(ri.resource, ri.group, ri.name);
  return WithApiVersion(obj, ri.info->ApiVersion(ri.version));
}

value ApiServer::DoList(const RequestInfo& ri, const HttpRequest& req) {
  const ResourceInfo& info = *ri.info;
  LabelSelector labels = LabelSelector::Parse(Query(req, "labelSelector"));
  FieldSelector fields = FieldSelector::Parse(Query(req, "fieldSelector"), info);
  std::string limit_s = Query(req, "limit"), cont = Query(req, "continue");
  std::string rv_s = Query(req, "resourceVersion"), match = Query(req, "resourceVersionMatch");
  size_t limit = 0;
  if (!limit_s.empty()) {
    try {
      long long l = std::stoll(limit_s);
      limit = l > 0 ? static_cast<size_t>(l) : 0;
    } catch (...) {
      throw BadRequest("invalid limit \"" + limit_s + "\"");
    }
  }
  if (!match.empty() && match != "Exact" && match != "NotOlderThan")
    throw Invalid("ListOptions", "meta.k8s.io", "",
                  {{"FieldValueNotSupported",
                    "Unsupported value: \"" + match + "\": supported values: \"Exact\", \"NotOlderThan\", \"\"",
                    "resourceVersionMatch"}});
  if (!match.empty() && rv_s.empty())
    throw Invalid("ListOptions", "meta.k8s.io", "",
                  {{"FieldValueForbidden",
                    "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
                    "resourceVersionMatch"}});
  if (!cont.empty() && !rv_s.empty() && rv_s != "0")
    throw BadRequest("specifying resource version is not allowed when using continue");
  std::function<bool(const StoredObject&)> filter;
  if (!labels.Empty() || !fields.Empty())
    filter = [&](const StoredObject& o) { return labels.Matches(o.json) && fields.Matches(o.json); };

  std::lock_guard<std::mutex> lock(store_.mu());
  uint64_t rv = store_.current_rv();
  std::string after;
  if (!cont.empty()) {
    if (!DecodeContinue(cont, &rv, &after))
      throw BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  } else if (!rv_s.empty() && rv_s != "0") {
    uint64_t want = ParseRv(rv_s);
    if (want > store_.current_rv()) {
      ApiError e(504, "Timeout", "Too large resource version: " + rv_s + ", current: " +
                                     std::to_string(store_.current_rv()));
      e.causes.push_back({"ResourceVersionTooLarge", "Too large resource version", ""});
      e.retry_after_seconds = 1;
      throw e;
    }
    if (match == "Exact") rv = want;
  } else if (rv_s == "0") {
    limit = 0;  // served from the watch cache, which ignores limit for resourceVersion=0
  }
  ListPage page;
  if (!store_.ListAt(info.GroupResource(), ri.ns, rv, after, limit, filter, &page)) {
    if (!cont.empty()) {
      ApiError e = Expired(
          "The provided continue parameter is too old to display a consistent list result. You "
          "can start a new list without the continue parameter, or use the continue token in "
          "this response to retrieve the remainder of the results. Continuing with the provided "
          "token results in an inconsistent list - objects that were created, modified, or "
          "deleted between the time the first chunk was returned and now may show up in the list.");
      e.list_continue = EncodeContinue(store_.current_rv(), after);
      throw e;
    }
    throw Expired("too old resource version: " + std::to_string(rv) + " (" +
                  std::to_string(store_.compacted_rv()) + ")");
  }
  std::string api_version = info.ApiVersion(ri.version);
  bool rewrite = api_version != info.ApiVersion(info.versions[0]);
  std::string out;
  out.reserve(128 + page.items.size() * (page.items.empty() ? 0 : page.items[0]->text.size() + 8));
  out += "{\"kind\":\"" + info.kind + "List\",\"apiVersion\":\"" + api_version +
         "\",\"metadata\":{\"resourceVersion\":\"" + std::to_string(page.rv) + "\"";
  if (page.more) {
    out += ",\"continue\":\"" + EncodeContinue(page.rv, page.last_key) + "\"";
    if (page.remaining > 0) out += ",\"remainingItemCount\":" + std::to_string(page.remaining);
  }
  out += "},\"items\":[";
  for (size_t i = 0; i < page.items.size(); ++i) {
    if (i) out += ',';
    out += rewrite ? WithApiVersion(page.items[i], api_version).serialize() : page.items[i]->text;
  }
  out += "]}";
  return value::string(out);
}

value ApiServer::DoCreate(const RequestInfo& ri, const HttpRequest& req, int* code) {
  value obj = DecodeBody(*ri.info, ri.version, req);
  bool dry = DryRun(req);
  value& md = Meta(obj);
  if (ri.info->namespaced) {
    std::string body_ns = JStr(md, "namespace");
    if (!body_ns.empty() && body_ns != ri.ns)
      throw BadRequest("the namespace of the provided object does not match the namespace sent on the request");
    md["namespace"] = value::string(ri.ns);
  }
  std::lock_guard<std::mutex> lock(store_.mu());
  auto stored = CreateLocked(*ri.info, obj, false, dry);
  *code = 201;
  return WithApiVersion(stored, ri.info->ApiVersion(ri.version));
}

static void CheckNameAndNamespace(const value& obj, const std::string& ns, const std::string& name) {
  std::string body_name = JStr(obj, "metadata", "name");
  if (body_name != name)
    throw BadRequest("the name of the object (" + body_name + ") does not match the name on the URL (" + name + ")");
  std::string body_ns = JStr(obj, "metadata", "namespace");
  if (!body_ns.empty() && body_ns != ns)
    throw BadRequest("the namespace of the provided object does not match the namespace sent on the request");
}

value ApiServer::DoUpdate(const RequestInfo& ri, const HttpRequest& req) {
  value obj = DecodeBody(*ri.info, ri.version, req);
  bool dry = DryRun(req);
  CheckNameAndNamespace(obj, ri.ns, ri.name);
  std::lock_guard<std::mutex> lock(store_.mu());
  auto old = store_.Get(ri.info->GroupResource(), ri.ns, ri.name);
  if (!old) throw NotFound(ri.resource, ri.group, ri.name);
  std::string rv = JStr(obj, "metadata", "resourceVersion");
  if (rv.empty() && ri.info->custom)
    throw Invalid(ri.info->kind, ri.group, ri.name,
                  {{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                    "metadata.resourceVersion"}});
  if (!rv.empty() && rv != std::to_string(old->rv))
    throw ConflictModified(ri.resource, ri.group, ri.name);
  std::string uid = JStr(obj, "metadata", "uid");
  if (!uid.empty() && uid != JStr(old->json, "metadata", "uid"))
    throw Conflict(ri.resource, ri.group, ri.name,
                   "Precondition failed: UID in precondition: " + uid +
                       ", UID in object meta: " + JStr(old->json, "metadata", "uid"));
  auto stored = UpdateLocked(*ri.info, old, obj, ri.subresource, dry);
  return WithApiVersion(stored, ri.info->ApiVersion(ri.version));
}

value ApiServer::DoPatch(const RequestInfo& ri, const HttpRequest& req, int* code) {
  const ResourceInfo& info = *ri.info;
  std::vector<std::string> accepted = {"application/json-patch+json", "application/merge-patch+json"};
  if (info.strategic_merge) accepted.push_back("application/strategic-merge-patch+json");
  accepted.push_back("application/apply-patch+yaml");
  std::string mt = MediaType(req);
  if (std::find(accepted.begin(), accepted.end(), mt) == accepted.end()) throw UnsupportedMediaType(accepted);
  bool apply = mt == "application/apply-patch+yaml";
  if (apply && Query(req, "fieldManager").empty())
    throw Invalid("PatchOptions", "meta.k8s.io", "",
                  {FieldRequired("fieldManager", "is required for apply patch")});
  value patch = apply ? ParseYamlOrJson(req.body) : ParseJson(req.body);
  bool dry = DryRun(req);
  std::lock_guard<std::mutex> lock(store_.mu());
  auto old = store_.Get(info.GroupResource(), ri.ns, ri.name);
  if (!old) {
    if (!apply || !ri.subresource.empty()) throw NotFound(ri.resource, ri.group, ri.name);
    if (!patch.is_object()) throw BadRequest("error decoding YAML: expected an object");
    value& md = Meta(patch);
    if (JStr(md, "name") != ri.name)
      throw BadRequest("the name of the object (" + JStr(md, "name") + ") does not match the name on the URL (" + ri.name + ")");
    if (info.namespaced) md["namespace"] = value::string(ri.ns);
    auto stored = CreateLocked(info, patch, false, dry);
    *code = 201;
    return WithApiVersion(stored, info.ApiVersion(ri.version));
  }
  value current = WithApiVersion(old, info.ApiVersion(ri.version));
  value patched;
  if (mt == "application/json-patch+json") patched = ApplyJsonPatch(current, patch);
  else if (mt == "application/merge-patch+json") patched = ApplyMergePatch(current, patch);
  else if (!info.strategic_merge) patched = ApplyMergePatch(current, patch);
  else patched = ApplyStrategicMergePatch(current, patch);
  if (!patched.is_object()) throw BadRequest("the patched object is not a JSON object");
  CheckNameAndNamespace(patched, ri.ns, ri.name);
  std::string rv = JStr(patched, "metadata", "resourceVersion");
  if (!rv.empty() && rv != std::to_string(old->rv)) throw ConflictModified(ri.resource, ri.group, ri.name);
  if (rv.empty()) Meta(patched)["resourceVersion"] = value::string(std::to_string(old->rv));
  auto stored = UpdateLocked(info, old, patched, ri.subresource, dry);
  return WithApiVersion(stored, info.ApiVersion(ri.version));
}

struct DeleteOpts {
  std::string propagation;
  std::string pre_uid, pre_rv;
  bool dry_run = false;
};

static DeleteOpts ParseDeleteOptions(const HttpRequest& req, const value* embedded) {
  DeleteOpts o;
  value body = value::object();
  if (embedded) body = *embedded;
  else if (!req.body.empty()) body = ParseJson(req.body);
  if (!body.is_object()) throw BadRequest("DeleteOptions must be an object");
  o.propagation = JStr(body, "propagationPolicy");
  if (o.propagation.empty()) o.propagation = Query(req, "propagationPolicy");
  if (body.has_field("preconditions")) {
    o.pre_uid = JStr(body.at("preconditions"), "uid");
    o.pre_rv = JStr(body.at("preconditions"), "resourceVersion");
  }
  if (body.has_field("dryRun") && body.at("dryRun").is_array())
    for (const auto& d : body.at("dryRun").as_array())
      if (d.is_string() && d.as_string() == "All") o.dry_run = true;
  o.dry_run = o.dry_run || DryRun(req);
  if (!o.propagation.empty() && o.propagation != "Orphan" && o.propagation != "Background" &&
      o.propagation != "Foreground")
    throw Invalid("DeleteOptions", "meta.k8s.io", "",
                  {{"FieldValueNotSupported",
                    "Unsupported value: \"" + o.propagation +
                        "\": supported values: \"Foreground\", \"Background\", \"Orphan\"",
                    "propagationPolicy"}});
  return o;
}

static void CheckPreconditions(const DeleteOpts& o, const ResourceInfo& info, const StoredPtr& obj,
                               const std::string& name) {
  std::string uid = JStr(obj->json, "metadata", "uid");
  if (!o.pre_uid.empty() && o.pre_uid != uid)
    throw Conflict(info.resource, info.group, name,
                   "Precondition failed: UID in precondition: " + o.pre_uid + ", UID in object meta: " + uid);
  if (!o.pre_rv.empty() && o.pre_rv != std::to_string(obj->rv))
    throw Conflict(info.resource, info.group, name,
                   "Precondition failed: ResourceVersion in precondition: " + o.pre_rv +
                       ", ResourceVersion in object meta: " + std::to_string(obj->rv));
}

value ApiServer::DoDelete(const RequestInfo& ri, const HttpRequest& req, int* code) {
  DeleteOpts opts = ParseDeleteOptions(req, nullptr);
  std::lock_guard<std::mutex> lock(store_.mu());
  auto obj = store_.Get(ri.info->GroupResource(), ri.ns, ri.name);
  if (!obj) throw NotFound(ri.resource, ri.group, ri.name);
  CheckPreconditions(opts, *ri.info, obj, ri.name);
  bool gone = false;
  auto result = DeleteLocked(*ri.info, obj, opts.propagation, opts.dry_run, &gone);
  *code = 200;
  if (gone && !ri.info->return_deleted_object) {
    value s = SuccessStatus(200);
    s["details"] = value::object();
    s["details"]["name"] = value::string(ri.name);
    if (!ri.group.empty()) s["details"]["group"] = value::string(ri.group);
    s["details"]["kind"] = value::string(ri.resource);
    s["details"]["uid"] = value::string(JStr(obj->json, "metadata", "uid"));
    return s;
  }
  return WithApiVersion(result, ri.info->ApiVersion(ri.version));
}

value ApiServer::DoDeleteCollection(const RequestInfo& ri, const HttpRequest& req) {
  DeleteOpts opts = ParseDeleteOptions(req, nullptr);
  LabelSelector labels = LabelSelector::Parse(Query(req, "labelSelector"));
  FieldSelector fields = FieldSelector::Parse(Query(req, "fieldSelector"), *ri.info);
  std::lock_guard<std::mutex> lock(store_.mu());
  value items = value::array();
  size_t n = 0;
  for (const auto& obj : store_.List(ri.info->GroupResource(), ri.ns)) {
    if (!labels.Matches(obj->json) || !fields.Matches(obj->json)) continue;
    bool gone;
    items[n++] = WithApiVersion(DeleteLocked(*ri.info, obj, opts.propagation, opts.dry_run, &gone),
                                ri.info->ApiVersion(ri.version));
  }
  value list = value::object();
  list["kind"] = value::string(ri.info->kind + "List");
  list["apiVersion"] = value::string(ri.info->ApiVersion(ri.version));
  list["metadata"] = value::object();
  list["metadata"]["resourceVersion"] = value::string(std::to_string(store_.current_rv()));
  list["items"] = items;
  return list;
}


value ApiServer::DoEviction(const RequestInfo& ri, const HttpRequest& req, int* code) {
  value ev = ParseJson(req.body);
  if (!ev.is_object()) throw BadRequest("Eviction must be an object");
  std::string body_name = JStr(ev, "metadata", "name");
  if (!body_name.empty() && body_name != ri.name)
    throw BadRequest("name in URL does not match name in Eviction object");
  const value* delete_options = ev.has_field("deleteOptions") && ev.at("deleteOptions").is_object()
                                    ? &ev.at("deleteOptions")
                                    : nullptr;
  value empty = value::object();
  DeleteOpts opts = ParseDeleteOptions(req, delete_options ? delete_options : &empty);
  std::lock_guard<std::mutex> lock(store_.mu());
  auto pod = store_.Get("pods", ri.ns, ri.name);
  if (!pod) throw NotFound("pods", "", ri.name);
  CheckPreconditions(opts, *ri.info, pod, ri.name);
  *code = 201;
  auto evict = [&] {
    bool gone;
    DeleteLocked(*ri.info, pod, opts.propagation, opts.dry_run, &gone);
    return SuccessStatus(201);
  };
  if (HasDeletionTimestamp(pod->json)) return SuccessStatus(201);
  std::string phase = JStr(pod->json, "status", "phase");
  if (phase == "Succeeded" || phase == "Failed") return evict();
  std::vector<StoredPtr> pdbs;
  for (const auto& pdb : store_.List("poddisruptionbudgets.policy", ri.ns)) {
    if (!pdb->json.has_field("spec") || !pdb->json.at("spec").has_field("selector")) continue;
    const auto& sel = pdb->json.at("spec").at("selector");
    if (sel.is_null()) continue;
    if (LabelSelector::FromObject(sel).Matches(pod->json)) pdbs.push_back(pdb);
  }
  if (pdbs.empty()) return evict();
  if (pdbs.size() > 1)
    throw InternalError("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
  const value& pdb = pdbs[0]->json;
  const value& spec = pdb.at("spec");
  PdbCounts counts = CountPdb(pdb, store_.List("pods", ri.ns));
  int64_t healthy = counts.healthy, desired = counts.desired, allowed = counts.allowed;
  bool pod_healthy = PodReady(pod->json);
  std::string policy = JStr(spec, "unhealthyPodEvictionPolicy");
  if (!pod_healthy && (policy == "AlwaysAllow" || healthy >= desired)) return evict();
  if (pod_healthy && allowed > 0) return evict();
  ApiError e = TooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0);
  e.causes.push_back({"DisruptionBudget",
                      "The disruption budget " + JStr(pdb, "metadata", "name") + " needs " +
                          std::to_string(desired) + " healthy pods and has " +
                          std::to_string(healthy) + " currently",
                      ""});
  throw e;
}

}  // namespace riposte::testapi
