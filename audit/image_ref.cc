#include "audit/image_ref.h"

#include <algorithm>
#include <cctype>

namespace riposte::audit {

ImageRef ParseImageRef(std::string_view image) {
  ImageRef ref;
  if (auto at = image.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(image.substr(at + 1));
    image = image.substr(0, at);
  }
  // A ':' after the last '/' separates the tag; one before it belongs to a registry port.
  size_t last_slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(image.substr(colon + 1));
    image = image.substr(0, colon);
  }
  size_t first_slash = image.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view first = image.substr(0, first_slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      ref.registry = std::string(first);
      image = image.substr(first_slash + 1);
    }
  }
  ref.repository = std::string(image);
  return ref;
}

namespace {
bool EndsWithPathComponent(std::string_view repo, std::string_view suffix) {
  if (!repo.ends_with(suffix)) return false;
  return repo.size() == suffix.size() || repo[repo.size() - suffix.size() - 1] == '/';
}
}  // namespace

bool IsIngressNginxController(const ImageRef& image, const std::vector<std::string>& command_and_args) {
  std::string repo = image.repository;
  std::transform(repo.begin(), repo.end(), repo.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (EndsWithPathComponent(repo, "ingress-nginx/controller") ||
      EndsWithPathComponent(repo, "ingress-nginx/controller-chroot")) {
    return true;
  }
  return std::any_of(command_and_args.begin(), command_and_args.end(), [](const std::string& a) {
    return a == "/nginx-ingress-controller" || a.ends_with("/nginx-ingress-controller");
  });
}

}  // namespace riposte::audit
