#pragma once
// Container image references ("registry.k8s.io/ingress-nginx/controller:v1.12.1@sha256:...")
// split into parts, and the test for "this container is an ingress-nginx controller".

#include <string>
#include <string_view>
#include <vector>

namespace riposte::audit {

struct ImageRef {
  std::string registry;    // "registry.k8s.io", "" when the reference has none (Docker Hub)
  std::string repository;  // "ingress-nginx/controller"
  std::string tag;         // "v1.12.1", "" when absent
  std::string digest;      // "sha256:...", "" when absent
};

// Follows the distribution reference grammar loosely: the first path component is a registry
// when it contains '.' or ':' or is "localhost". Never fails; garbage yields a repository only.
ImageRef ParseImageRef(std::string_view image);

// An ingress-nginx controller image from any registry or mirror: the repository path ends in
// "ingress-nginx/controller" or "ingress-nginx/controller-chroot" (a mirror may add path
// components in front), or the container runs /nginx-ingress-controller.
bool IsIngressNginxController(const ImageRef& image, const std::vector<std::string>& command_and_args);

}  // namespace riposte::audit
