#include "core/ingress.h"

namespace riposte::core {

std::string EffectiveClass(const Ingress& ingress) {
  if (!ingress.ingress_class.empty()) return ingress.ingress_class;
  for (const auto& [key, value] : ingress.annotations) {
    if (key == kIngressClassAnnotation) return value;
  }
  return "";
}

}  // namespace riposte::core
