#include "common/flags.h"

#include <charconv>
#include <cstdlib>

namespace riposte {

void FlagSet::String(const std::string& n, std::string* d, const std::string& h) {
  flags_.push_back({n, Kind::kString, d, h});
}
void FlagSet::Bool(const std::string& n, bool* d, const std::string& h) {
  flags_.push_back({n, Kind::kBool, d, h});
}
void FlagSet::Int(const std::string& n, int64_t* d, const std::string& h) {
  flags_.push_back({n, Kind::kInt, d, h});
}
void FlagSet::Double(const std::string& n, double* d, const std::string& h) {
  flags_.push_back({n, Kind::kDouble, d, h});
}
void FlagSet::StringList(const std::string& n, std::vector<std::string>* d, const std::string& h) {
  flags_.push_back({n, Kind::kList, d, h});
}

FlagSet::Flag* FlagSet::Find(const std::string& name) {
  for (auto& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool FlagSet::WasSet(const std::string& name) const {
  for (const auto& f : flags_) {
    if (f.name == name) return f.set;
  }
  return false;
}

bool FlagSet::Assign(Flag& f, const std::string& value, std::string* error) {
  switch (f.kind) {
    case Kind::kString:
      *static_cast<std::string*>(f.dest) = value;
      break;
    case Kind::kList:
      static_cast<std::vector<std::string>*>(f.dest)->push_back(value);
      break;
    case Kind::kBool:
      if (value == "true" || value == "1") {
        *static_cast<bool*>(f.dest) = true;
      } else if (value == "false" || value == "0") {
        *static_cast<bool*>(f.dest) = false;
      } else {
        *error = "--" + f.name + ": expected true or false, got \"" + value + "\"";
        return false;
      }
      break;
    case Kind::kInt: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size()) {
        *error = "--" + f.name + ": expected an integer, got \"" + value + "\"";
        return false;
      }
      *static_cast<int64_t*>(f.dest) = v;
      break;
    }
    case Kind::kDouble: {
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size()) {
        *error = "--" + f.name + ": expected a number, got \"" + value + "\"";
        return false;
      }
      *static_cast<double*>(f.dest) = v;
      break;
    }
  }
  f.set = true;
  return true;
}

bool FlagSet::Parse(const std::vector<std::string>& args, std::string* error) {
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || a == "-" || a.size() < 2 || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    std::string body = a.substr(a[1] == '-' ? 2 : 1);
    std::string name = body, value;
    bool has_value = false;
    if (auto eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    Flag* f = Find(name);
    if (f == nullptr) {
      *error = command_ + ": unknown flag --" + name;
      return false;
    }
    if (!has_value) {
      if (f->kind == Kind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        *error = command_ + ": flag --" + name + " needs a value";
        return false;
      }
    }
    if (!Assign(*f, value, error)) {
      *error = command_ + ": " + *error;
      return false;
    }
  }
  return true;
}

std::string FlagSet::Usage() const {
  std::string out;
  for (const auto& f : flags_) {
    // One-letter names read as kubectl's short flags (-n), the rest as long flags.
    out += (f.name.size() == 1 ? "  -" : "  --") + f.name;
    switch (f.kind) {
      case Kind::kBool: break;
      case Kind::kInt: out += " N"; break;
      case Kind::kDouble: out += " X"; break;
      default: out += " VALUE"; break;
    }
    out += "\n      " + f.help + "\n";
  }
  return out;
}

}  // namespace riposte
