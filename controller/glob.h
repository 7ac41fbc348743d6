#pragma once
#include <string_view>

namespace riposte::controller {

// `*` matches any run, `?` one byte; everything else literally. Linear-time two-pointer
// match (no exponential backtracking on hostile patterns).
bool GlobMatch(std::string_view pattern, std::string_view text);
inline bool HasGlob(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

}  // namespace riposte::controller
