// `riposte scan [--policy FILE] [--format text|json] [--namespace NS] PATH...`: judges Ingress
// manifests, and the successor controllers' resources of the profiles the policy enables
// (VirtualServer, SnippetsFilter, ...), offline with the same engine as the admission webhook.
// Exit 0 = no findings, 1 = findings, 2 = usage error or unreadable/unparsable input (findings
// in the readable documents are still printed).

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/flags.h"
#include "core/engine.h"
#include "core/manifest_loader.h"
#include "core/text.h"

namespace riposte::cli {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxInputBytes = 64 * 1024 * 1024;

struct InputFile {
  std::string name;  // as shown in output; "-" is "<stdin>"
  std::string text;
};

struct InputError {
  std::string file;
  size_t document = 0;
  int line = 0;
  int column = 0;
  std::string message;
};

struct ScanFinding {
  const core::ManifestObject* object;
  std::string file;
  core::Finding finding;
};

bool ReadStream(std::istream& in, std::string* out) {
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    out->append(buf, static_cast<size_t>(in.gcount()));
    if (out->size() > kMaxInputBytes) return false;
  }
  return !in.bad();
}

bool IsManifestFile(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void ReadFile(const std::string& path, std::vector<InputFile>* files, std::vector<InputError>* errors) {
  std::ifstream in(path, std::ios::binary);
  InputFile f{path, {}};
  if (!in) {
    errors->push_back({path, 0, 0, 0, "cannot read file"});
    return;
  }
  if (!ReadStream(in, &f.text)) {
    errors->push_back({path, 0, 0, 0, "file unreadable or larger than 64 MiB"});
    return;
  }
  files->push_back(std::move(f));
}

void Gather(const std::string& arg, std::vector<InputFile>* files, std::vector<InputError>* errors) {
  if (arg == "-") {
    InputFile f{"<stdin>", {}};
    if (!ReadStream(std::cin, &f.text)) {
      errors->push_back({"<stdin>", 0, 0, 0, "stdin unreadable or larger than 64 MiB"});
      return;
    }
    files->push_back(std::move(f));
    return;
  }
  std::error_code ec;
  const auto status = fs::status(arg, ec);
  if (ec || !fs::exists(status)) {
    errors->push_back({arg, 0, 0, 0, "no such file or directory"});
    return;
  }
  if (!fs::is_directory(status)) {
    ReadFile(arg, files, errors);
    return;
  }
  std::vector<std::string> found;
  fs::recursive_directory_iterator it(arg, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && IsManifestFile(it->path())) found.push_back(it->path().string());
  }
  if (ec) errors->push_back({arg, 0, 0, 0, "cannot list directory: " + ec.message()});
  std::sort(found.begin(), found.end());
  for (const auto& p : found) ReadFile(p, files, errors);
}

// ConfigMaps from every input, so an Ingress in one file can name a ConfigMap in another.
class ScanConfigMaps : public core::ConfigMapLookup {
 public:
  void Add(const core::ConfigMap* cm) { maps_[cm->ns + "/" + cm->name] = cm; }
  const core::ConfigMap* Find(const std::string& ns, const std::string& name) const override {
    auto it = maps_.find(ns + "/" + name);
    return it == maps_.end() ? nullptr : it->second;
  }

 private:
  std::map<std::string, const core::ConfigMap*> maps_;
};

struct Style {
  bool color = false;
  std::string Paint(std::string_view code, std::string_view text) const {
    if (!color) return std::string(text);
    return "\033[" + std::string(code) + "m" + std::string(text) + "\033[0m";
  }
  std::string Severity(core::Severity s) const {
    std::string name(core::SeverityName(s));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    switch (s) {
      case core::Severity::kCritical: return Paint("1;31", name);
      case core::Severity::kHigh: return Paint("31", name);
      case core::Severity::kMedium: return Paint("33", name);
      case core::Severity::kLow: return Paint("36", name);
    }
    return name;
  }
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

const std::string& Namespace(const core::ManifestObject& o) {
  return o.resource.kind != nullptr ? o.resource.ns : o.ingress.ns;
}

const std::string& Name(const core::ManifestObject& o) {
  return o.resource.kind != nullptr ? o.resource.name : o.ingress.name;
}

struct Counts {
  size_t ingresses = 0;
  size_t resources = 0;     // successor controllers' resources read
  size_t unjudged = 0;      // ... of them, of a profile the policy does not enable
  std::set<std::string> disabled;  // those profiles' policy keys
};

void PrintText(const std::vector<ScanFinding>& findings, const std::vector<InputError>& errors, const Counts& counts,
               size_t files, const Style& style) {
  const core::ManifestObject* current = nullptr;
  std::string current_file;
  std::set<const core::ManifestObject*> objects;
  for (const auto& sf : findings) {
    if (sf.object != current || sf.file != current_file) {
      current = sf.object;
      current_file = sf.file;
      objects.insert(current);
      std::printf("\n%s\n", style.Paint("1", core::EscapeForDisplay(sf.file) + ":" + std::to_string(current->line) +
                                                  " (document " + std::to_string(current->document) + ") " +
                                                  current->kind + " " + core::EscapeForDisplay(Namespace(*current)) + "/" +
                                                  core::EscapeForDisplay(Name(*current)))
                                  .c_str());
    }
    const auto& f = sf.finding;
    std::string cves = f.cves.empty() ? "" : "  [" + Join(f.cves) + "]";
    std::printf("  %s %s  %s%s\n", style.Severity(f.severity).c_str(), f.rule_id.c_str(),
                core::EscapeForDisplay(f.field).c_str(), cves.c_str());
    std::printf("      %s\n", f.message.c_str());
    std::printf("      %s %s\n", style.Paint("2", "fix:").c_str(), f.remediation.c_str());
  }
  for (const auto& e : errors) {
    std::fprintf(stderr, "%s:%d:%d: error: %s%s\n", core::EscapeForDisplay(e.file).c_str(), e.line, e.column,
                 core::EscapeForDisplay(e.message).c_str(),
                 e.line > 0 ? (" (document " + std::to_string(e.document) + ")").c_str() : "");
  }
  size_t flagged_ingresses = 0;
  for (const auto* o : objects) flagged_ingresses += o->kind == "Ingress" ? 1 : 0;
  std::string others;
  if (counts.resources > 0) {
    others = " and " + std::to_string(objects.size() - flagged_ingresses) + " of " + std::to_string(counts.resources) +
             " other resource(s)";
  }
  std::printf("\n%s: %zu finding(s) in %zu of %zu Ingress object(s)%s from %zu file(s)%s\n",
              findings.empty() ? style.Paint("32", "OK").c_str() : style.Paint("1;31", "FAIL").c_str(),
              findings.size(), flagged_ingresses, counts.ingresses, others.c_str(), files,
              errors.empty() ? "" : ("; " + std::to_string(errors.size()) + " input error(s)").c_str());
  if (counts.unjudged > 0) {
    std::string keys;
    for (const auto& k : counts.disabled) keys += (keys.empty() ? "" : ", ") + k;
    std::fprintf(stderr, "riposte scan: %zu resource(s) not judged: their profile is not enabled in the policy (%s)\n",
                 counts.unjudged, keys.c_str());
  }
}

void PrintJson(const std::vector<ScanFinding>& findings, const std::vector<InputError>& errors, const Counts& counts,
               size_t files) {
  using core::JsonQuote;
  std::ostringstream out;
  out << "{\"findings\":[";
  for (size_t i = 0; i < findings.size(); ++i) {
    const auto& sf = findings[i];
    const auto& f = sf.finding;
    out << (i ? "," : "") << "\n{\"file\":" << JsonQuote(sf.file) << ",\"document\":" << sf.object->document
        << ",\"line\":" << sf.object->line << ",\"kind\":" << JsonQuote(sf.object->kind)
        << ",\"namespace\":" << JsonQuote(Namespace(*sf.object)) << ",\"name\":" << JsonQuote(Name(*sf.object))
        << ",\"field\":" << JsonQuote(f.field)
        << ",\"rule_id\":" << JsonQuote(f.rule_id) << ",\"cves\":[";
    for (size_t k = 0; k < f.cves.size(); ++k) out << (k ? "," : "") << JsonQuote(f.cves[k]);
    out << "],\"severity\":" << JsonQuote(core::SeverityName(f.severity)) << ",\"message\":" << JsonQuote(f.message)
        << ",\"remediation\":" << JsonQuote(f.remediation) << "}";
  }
  out << "],\n\"errors\":[";
  for (size_t i = 0; i < errors.size(); ++i) {
    const auto& e = errors[i];
    out << (i ? "," : "") << "\n{\"file\":" << JsonQuote(e.file) << ",\"document\":" << e.document
        << ",\"line\":" << e.line << ",\"column\":" << e.column << ",\"message\":" << JsonQuote(e.message) << "}";
  }
  out << "],\n\"summary\":{\"files\":" << files << ",\"ingresses\":" << counts.ingresses
      << ",\"resources\":" << counts.resources << ",\"unjudged_resources\":" << counts.unjudged
      << ",\"findings\":" << findings.size() << ",\"errors\":" << errors.size() << "}}\n";
  std::fputs(out.str().c_str(), stdout);
}

int Usage(const FlagSet& flags, const std::string& error) {
  if (!error.empty()) std::fprintf(stderr, "riposte scan: %s\n\n", error.c_str());
  std::fprintf(stderr, "usage: riposte scan [--policy FILE] [--format text|json] [--namespace NS] PATH...\n%s",
               flags.Usage().c_str());
  return 2;
}

}  // namespace

int RunScan(const Args& args) {
  std::string policy_file, format = "text", default_ns;
  bool help = false;
  FlagSet flags("scan");
  flags.String("policy", &policy_file, "policy file (YAML, see docs/policy.md); default policy when absent");
  flags.String("format", &format, "output format: text or json");
  flags.String("namespace", &default_ns,
               "namespace for objects without metadata.namespace, like kubectl -n (objects naming another "
               "namespace are then an error); default: default");
  flags.Bool("help", &help, "show this help");
  std::string error;
  if (!flags.Parse(args, &error)) return Usage(flags, error);
  if (help) {
    std::printf("usage: riposte scan [--policy FILE] [--format text|json] [--namespace NS] PATH...\n%s",
                flags.Usage().c_str());
    return 0;
  }
  if (format != "text" && format != "json") return Usage(flags, "--format must be text or json");
  if (flags.positional().empty()) return Usage(flags, "no PATH given (use - for stdin)");

  core::PolicyPtr policy = core::DefaultPolicy();
  if (!policy_file.empty()) {
    core::PolicyError perr;
    policy = core::LoadPolicyFile(policy_file, &perr);
    if (!policy) {
      std::fprintf(stderr, "riposte scan: %s\n", core::EscapeForDisplay(perr.ToString()).c_str());
      return 2;
    }
  }

  std::vector<InputFile> files;
  std::vector<InputError> errors;
  for (const auto& p : flags.positional()) Gather(p, &files, &errors);

  // Like kubectl: objects without a namespace get -n's (or the context's, "default"), and with
  // -n given an object naming another namespace is refused. Ingresses and the ConfigMaps they
  // reference are placed by the same rule, so the lookup below sees what the cluster would.
  core::ManifestLimits limits;
  limits.enforce_namespace = !default_ns.empty();
  if (default_ns.empty()) default_ns = "default";
  std::vector<core::ManifestSet> sets(files.size());
  ScanConfigMaps configmaps;
  for (size_t i = 0; i < files.size(); ++i) {
    sets[i] = core::ParseManifests(files[i].text, default_ns, limits);
    for (const auto& e : sets[i].errors) errors.push_back({files[i].name, e.document, e.line, e.column, e.message});
    for (const auto& obj : sets[i].objects) {
      if (obj.kind == "ConfigMap") configmaps.Add(&obj.configmap);
    }
  }

  const core::Engine engine(policy);
  std::vector<ScanFinding> findings;
  Counts counts;
  for (size_t i = 0; i < files.size(); ++i) {
    for (const auto& obj : sets[i].objects) {
      if (obj.resource.kind != nullptr) {
        ++counts.resources;
        if (!engine.Judges(obj.resource) && !policy->IsExempt(obj.resource.ns)) {
          const bool f5 = obj.resource.kind->profile == core::ProfileId::kF5NginxIngress;
          const bool enabled = f5 ? policy->f5_nginx_ingress.enabled : policy->nginx_gateway_fabric.enabled;
          if (!enabled) {
            ++counts.unjudged;
            counts.disabled.insert(f5 ? "profiles.f5NginxIngress.enabled" : "profiles.nginxGatewayFabric.enabled");
          }
        }
        for (auto& f : engine.Check(obj.resource)) findings.push_back({&obj, files[i].name, std::move(f)});
        continue;
      }
      if (obj.kind != "Ingress") continue;
      ++counts.ingresses;
      for (auto& f : engine.Check(obj.ingress, &configmaps)) findings.push_back({&obj, files[i].name, std::move(f)});
    }
  }

  if (format == "json") {
    PrintJson(findings, errors, counts, files.size());
  } else {
    Style style;
    style.color = ::isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
    PrintText(findings, errors, counts, files.size(), style);
  }
  std::fflush(stdout);
  if (!errors.empty()) return 2;
  return findings.empty() ? 0 : 1;
}

}  // namespace riposte::cli
