#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace riposte::metrics {

void Counter::Inc(double v) {
  if (!(v > 0)) return;
  value_.fetch_add(v, std::memory_order_relaxed);
}

void Gauge::Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  while (!bounds_.empty() && std::isinf(bounds_.back())) bounds_.pop_back();
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(acc);
  }
  // count is derived from the buckets so a scrape racing an Observe stays self-consistent.
  s.count = acc;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

std::string EscapeHelp(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string EscapeLabelValue(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Integral values (counts, unix timestamps) print as integers rather than 1.764e+09.
  if (std::fabs(v) < 1e15 && v == std::floor(v)) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, r.ptr);
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

namespace {
bool NameChars(std::string_view s, bool allow_colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}
std::string_view TypeName(Type t) {
  switch (t) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}
}  // namespace

bool ValidMetricName(std::string_view s) { return NameChars(s, true); }
bool ValidLabelName(std::string_view s) { return NameChars(s, false) && s.substr(0, 2) != "__"; }

FamilyBase::FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)) {
  if (!ValidMetricName(name_)) throw std::invalid_argument("invalid metric name: " + name_);
  for (const auto& l : label_names_) {
    if (!ValidLabelName(l) || (type_ == Type::kHistogram && l == "le"))
      throw std::invalid_argument("invalid label name: " + l);
  }
}

std::string FamilyBase::Header() const {
  return "# HELP " + name_ + " " + EscapeHelp(help_) + "\n# TYPE " + name_ + " " +
         std::string(TypeName(type_)) + "\n";
}

std::string FamilyBase::Labels(const std::vector<std::string>& values, std::string_view extra_name,
                               std::string_view extra_value) const {
  std::string out;
  for (size_t i = 0; i < label_names_.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += label_names_[i] + "=\"" + EscapeLabelValue(i < values.size() ? values[i] : "") + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += std::string(extra_name) + "=\"" + EscapeLabelValue(extra_value) + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

template <typename T>
T& Family<T>::With(std::vector<std::string> values) {
  values.resize(label_names_.size());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<T> child;
  if constexpr (std::is_same_v<T, Histogram>) child = std::make_unique<Histogram>(bounds_);
  else child = std::make_unique<T>();
  T& ref = *child;
  children_.emplace(std::move(values), std::move(child));
  return ref;
}

template <typename T>
void Family<T>::Render(std::string* out) const {
  *out += Header();
  std::lock_guard<std::mutex> lock(mu_);
  if (children_.empty() && label_names_.empty()) {
    // An unlabelled family is always exposed, even before the first event.
    if constexpr (std::is_same_v<T, Histogram>) {
      for (double b : bounds_) *out += name_ + "_bucket" + Labels({}, "le", FormatValue(b)) + " 0\n";
      *out += name_ + "_bucket" + Labels({}, "le", "+Inf") + " 0\n" + name_ + "_sum 0\n" + name_ + "_count 0\n";
    } else {
      *out += name_ + " 0\n";
    }
    return;
  }
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      auto s = child->Snap();
      for (size_t i = 0; i < s.cumulative.size(); ++i) {
        std::string le = i < s.upper_bounds.size() ? FormatValue(s.upper_bounds[i]) : "+Inf";
        *out += name_ + "_bucket" + Labels(values, "le", le) + " " + std::to_string(s.cumulative[i]) + "\n";
      }
      *out += name_ + "_sum" + Labels(values) + " " + FormatValue(s.sum) + "\n";
      *out += name_ + "_count" + Labels(values) + " " + std::to_string(s.count) + "\n";
    } else {
      *out += name_ + Labels(values) + " " + FormatValue(child->Value()) + "\n";
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <typename F>
F& Registry::Add(const std::string& name, Type, std::unique_ptr<F> family) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& f : families_) {
    if (f->name() != name) continue;
    auto* same = dynamic_cast<F*>(f.get());
    if (!same) throw std::invalid_argument("metric registered twice with different types: " + name);
    return *same;
  }
  F& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

CounterFamily& Registry::AddCounter(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names) {
  return Add(name, Type::kCounter, std::make_unique<CounterFamily>(name, help, Type::kCounter, std::move(label_names)));
}

GaugeFamily& Registry::AddGauge(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names) {
  return Add(name, Type::kGauge, std::make_unique<GaugeFamily>(name, help, Type::kGauge, std::move(label_names)));
}

HistogramFamily& Registry::AddHistogram(const std::string& name, const std::string& help,
                                        std::vector<double> bounds, std::vector<std::string> label_names) {
  return Add(name, Type::kHistogram,
             std::make_unique<HistogramFamily>(name, help, Type::kHistogram, std::move(label_names), std::move(bounds)));
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) f->Render(&out);
  return out;
}

}  // namespace riposte::metrics
