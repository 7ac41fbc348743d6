#include "core/ingress_json.h"

#include <simdjson.h>

#include <algorithm>

#include "core/text.h"

namespace riposte::core {

namespace dom = simdjson::dom;

std::string DecodeError::PathString() const {
  std::string out;
  for (const auto& step : path) {
    if (step.index != PathStep::kNoIndex) {
      out += "[" + std::to_string(step.index) + "]";
    } else if (step.map_entry) {
      out += "[" + JsonQuote(step.key) + "]";
    } else {
      if (!out.empty()) out += '.';
      out += step.key;
    }
  }
  return out;
}

std::string DecodeError::ToString() const {
  const std::string where = PathString();
  return where.empty() ? message : where + " " + message;
}

namespace {

// The decoder keeps the current path as a stack and only turns it into a DecodeError when
// something is wrong, so a good object costs no string building.
class Decoder {
 public:
  explicit Decoder(DecodeError* error) : error_(error) {}

  bool Fail(const char* message) {
    if (error_ != nullptr) {
      error_->path.clear();
      for (const auto& step : path_) error_->path.push_back(PathStep{std::string(step.key), step.index, step.map_entry});
      error_->message = message;
    }
    return false;
  }

  // Pushes a path step for the lifetime of the guard.
  class Step {
   public:
    Step(Decoder& d, std::string_view key, bool map_entry = false) : d_(d) {
      d_.path_.push_back(ViewStep{key, PathStep::kNoIndex, map_entry});
    }
    Step(Decoder& d, size_t index) : d_(d) { d_.path_.push_back(ViewStep{{}, index, false}); }
    ~Step() { d_.path_.pop_back(); }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

   private:
    Decoder& d_;
  };

  static bool IsNull(const dom::element& e) { return e.type() == dom::element_type::NULL_VALUE; }

  bool String(const dom::element& e, std::string* out) {
    switch (e.type()) {
      case dom::element_type::NULL_VALUE: return true;
      case dom::element_type::STRING: {
        std::string_view v = e.get_string().value_unsafe();
        out->assign(v.data(), v.size());
        return true;
      }
      default: return Fail("must be a string");
    }
  }

  // Calls fn(key, value) for the last occurrence of each key listed in `keys` (the API
  // server's decoder keeps the last duplicate). Absent and null members are not reported.
  template <size_t N, typename F>
  bool Members(const dom::element& e, const std::string_view (&keys)[N], F fn) {
    if (IsNull(e)) return true;
    if (e.type() != dom::element_type::OBJECT) return Fail("must be an object");
    dom::element found[N];
    bool seen[N] = {};
    // Copy the handle out of the result: a range-for over value_unsafe() of a temporary
    // would dangle.
    const dom::object obj = e.get_object().value_unsafe();
    for (auto field : obj) {
      for (size_t i = 0; i < N; ++i) {
        if (field.key == keys[i]) {
          found[i] = field.value;
          seen[i] = true;
          break;
        }
      }
    }
    for (size_t i = 0; i < N; ++i) {
      if (!seen[i] || IsNull(found[i])) continue;
      Step step(*this, keys[i]);
      if (!fn(i, found[i])) return false;
    }
    return true;
  }

  template <typename F>
  bool Array(const dom::element& e, F fn) {
    if (IsNull(e)) return true;
    if (e.type() != dom::element_type::ARRAY) return Fail("must be an array");
    size_t i = 0;
    const dom::array arr = e.get_array().value_unsafe();
    for (dom::element item : arr) {
      Step step(*this, i++);
      if (!fn(item)) return false;
    }
    return true;
  }

  // map[string]string: null values read as "", later duplicates replace earlier ones.
  bool StringMap(const dom::element& e, KeyValues* out) {
    if (IsNull(e)) return true;
    if (e.type() != dom::element_type::OBJECT) return Fail("must be an object");
    const dom::object obj = e.get_object().value_unsafe();
    for (auto field : obj) {
      std::string value;
      {
        Step step(*this, field.key, true);
        if (!String(field.value, &value)) return false;
      }
      out->emplace_back(std::string(field.key), std::move(value));
    }
    Dedupe(out);
    return true;
  }

  static void Dedupe(KeyValues* kv) {
    const size_t n = kv->size();
    if (n < 2) return;
    bool dup = false;
    if (n <= 16) {
      for (size_t i = 1; i < n && !dup; ++i) {
        for (size_t j = 0; j < i; ++j) {
          if ((*kv)[i].first == (*kv)[j].first) {
            dup = true;
            break;
          }
        }
      }
    } else {
      std::vector<std::string_view> keys;
      keys.reserve(n);
      for (const auto& [k, v] : *kv) keys.push_back(k);
      std::sort(keys.begin(), keys.end());
      dup = std::adjacent_find(keys.begin(), keys.end()) != keys.end();
    }
    if (!dup) return;
    // Rare: keep each key's last value, at the position of its last occurrence.
    KeyValues out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      bool later = false;
      for (size_t j = i + 1; j < n && !later; ++j) later = (*kv)[j].first == (*kv)[i].first;
      if (!later) out.push_back(std::move((*kv)[i]));
    }
    *kv = std::move(out);
  }

  bool Metadata(const dom::element& meta, std::string* name, std::string* ns, std::string* uid, KeyValues* annotations) {
    static constexpr std::string_view kKeys[] = {"name", "namespace", "uid", "annotations"};
    return Members(meta, kKeys, [&](size_t i, const dom::element& v) {
      switch (i) {
        case 0: return String(v, name);
        case 1: return String(v, ns);
        case 2: return uid == nullptr || String(v, uid);
        default: return annotations == nullptr || StringMap(v, annotations);
      }
    });
  }

  bool Path(const dom::element& e, IngressRule* rule) {
    if (IsNull(e)) return true;
    static constexpr std::string_view kKeys[] = {"path", "pathType"};
    IngressPath p;
    if (!Members(e, kKeys, [&](size_t i, const dom::element& v) { return String(v, i == 0 ? &p.path : &p.path_type); }))
      return false;
    rule->paths.push_back(std::move(p));
    return true;
  }

  bool Rule(const dom::element& e, core::Ingress* ing) {
    if (IsNull(e)) return true;
    static constexpr std::string_view kKeys[] = {"host", "http"};
    static constexpr std::string_view kHttp[] = {"paths"};
    IngressRule rule;
    if (!Members(e, kKeys, [&](size_t i, const dom::element& v) {
          if (i == 0) return String(v, &rule.host);
          return Members(v, kHttp, [&](size_t, const dom::element& paths) {
            return Array(paths, [&](const dom::element& p) { return Path(p, &rule); });
          });
        }))
      return false;
    ing->rules.push_back(std::move(rule));
    return true;
  }

  bool Tls(const dom::element& e, core::Ingress* ing) {
    if (IsNull(e)) return true;
    static constexpr std::string_view kKeys[] = {"hosts", "secretName"};
    IngressTls tls;
    if (!Members(e, kKeys, [&](size_t i, const dom::element& v) {
          if (i == 1) return String(v, &tls.secret_name);
          return Array(v, [&](const dom::element& h) {
            std::string host;
            if (!String(h, &host)) return false;
            tls.hosts.push_back(std::move(host));
            return true;
          });
        }))
      return false;
    ing->tls.push_back(std::move(tls));
    return true;
  }

  bool IngressObject(const dom::element& obj, core::Ingress* ing) {
    if (obj.type() != dom::element_type::OBJECT) return Fail("must be an object");
    static constexpr std::string_view kKeys[] = {"metadata", "spec"};
    static constexpr std::string_view kSpec[] = {"ingressClassName", "rules", "tls"};
    return Members(obj, kKeys, [&](size_t i, const dom::element& v) {
      if (i == 0) return Metadata(v, &ing->name, &ing->ns, &ing->uid, &ing->annotations);
      return Members(v, kSpec, [&](size_t j, const dom::element& s) {
        switch (j) {
          case 0: return String(s, &ing->ingress_class);
          case 1: return Array(s, [&](const dom::element& r) { return Rule(r, ing); });
          default: return Array(s, [&](const dom::element& t) { return Tls(t, ing); });
        }
      });
    });
  }

  bool ConfigMapObject(const dom::element& obj, core::ConfigMap* cm) {
    if (obj.type() != dom::element_type::OBJECT) return Fail("must be an object");
    static constexpr std::string_view kKeys[] = {"metadata", "data"};
    return Members(obj, kKeys, [&](size_t i, const dom::element& v) {
      if (i == 0) return Metadata(v, &cm->name, &cm->ns, nullptr, nullptr);
      return StringMap(v, &cm->data);
    });
  }

 private:
  // Keys point into the JSON document or into static key tables, both alive for the decode.
  struct ViewStep {
    std::string_view key;
    size_t index;
    bool map_entry;
  };
  DecodeError* error_;
  std::vector<ViewStep> path_;
};

template <typename T, typename F>
bool DecodeText(std::string_view json, T* out, DecodeError* error, F decode) {
  dom::parser parser;
  dom::element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root)) {
    if (error != nullptr) {
      error->path.clear();
      error->message = std::string("malformed JSON: ") + simdjson::error_message(err);
    }
    return false;
  }
  return decode(root, out, error);
}

}  // namespace

bool DecodeIngress(const dom::element& obj, Ingress* out, DecodeError* error) { return Decoder(error).IngressObject(obj, out); }

bool DecodeConfigMap(const dom::element& obj, ConfigMap* out, DecodeError* error) {
  return Decoder(error).ConfigMapObject(obj, out);
}

bool DecodeIngressJson(std::string_view json, Ingress* out, DecodeError* error) {
  return DecodeText(json, out, error, [](const dom::element& e, Ingress* i, DecodeError* err) {
    return DecodeIngress(e, i, err);
  });
}

bool DecodeConfigMapJson(std::string_view json, ConfigMap* out, DecodeError* error) {
  return DecodeText(json, out, error, [](const dom::element& e, ConfigMap* c, DecodeError* err) {
    return DecodeConfigMap(e, c, err);
  });
}

std::string IngressClassOf(const dom::element& obj) {
  Ingress ing;
  Decoder(nullptr).IngressObject(obj, &ing);
  return EffectiveClass(ing);
}

}  // namespace riposte::core
