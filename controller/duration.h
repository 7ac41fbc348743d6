#pragma once
// Durations on the command line, written the way Kubernetes and Go users write them:
// "90s", "10m", "1h30m", "1.5h", "500ms". A bare "0" means zero; any other number needs a
// unit, so "10" (seconds? minutes?) is an error instead of a guess.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace riposte::controller {

// nullopt with a message naming the problem ("missing unit in \"10\" (use ms, s, m or h)").
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text, std::string* error);

// "1h30m", "10m", "45s", "250ms", "0s": the shortest spelling that ParseDuration reads back.
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace riposte::controller
