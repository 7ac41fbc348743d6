#include <cstdio>

#include "cli/commands.h"

namespace riposte::cli {

int RunVersion(const Args&) {
  std::printf("riposte %s\n", RIPOSTE_VERSION);
  std::printf("  git:      %s\n", RIPOSTE_GIT_REVISION);
  std::printf("  build:    %s, %s %s\n", RIPOSTE_BUILD_TYPE, RIPOSTE_COMPILER, __VERSION__);
  std::printf("  cxx:      C++%ld\n", __cplusplus / 100 % 100 + 0L);
  return 0;
}

}  // namespace riposte::cli
