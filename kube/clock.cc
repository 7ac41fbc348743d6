#include "kube/clock.h"

namespace riposte::kube {

ClockPtr DefaultClock() {
  static const ClockPtr clock = std::make_shared<SteadyClock>();
  return clock;
}

}  // namespace riposte::kube
