#include "audit/image_ref.h"

#include <gtest/gtest.h>

namespace riposte::audit {
namespace {

TEST(ParseImageRef, SplitsRegistryRepositoryTagDigest) {
  ImageRef r = ParseImageRef("registry.k8s.io/ingress-nginx/controller:v1.12.1@sha256:abcd");
  EXPECT_EQ(r.registry, "registry.k8s.io");
  EXPECT_EQ(r.repository, "ingress-nginx/controller");
  EXPECT_EQ(r.tag, "v1.12.1");
  EXPECT_EQ(r.digest, "sha256:abcd");
}

TEST(ParseImageRef, RegistryPortIsNotATag) {
  ImageRef r = ParseImageRef("harbor.corp:5000/mirror/ingress-nginx/controller-chroot");
  EXPECT_EQ(r.registry, "harbor.corp:5000");
  EXPECT_EQ(r.repository, "mirror/ingress-nginx/controller-chroot");
  EXPECT_EQ(r.tag, "");
  r = ParseImageRef("localhost:5000/ingress-nginx/controller:v1.2.3");
  EXPECT_EQ(r.registry, "localhost:5000");
  EXPECT_EQ(r.tag, "v1.2.3");
}

TEST(ParseImageRef, DockerHubShortNames) {
  ImageRef r = ParseImageRef("nginx:1.25");
  EXPECT_EQ(r.registry, "");
  EXPECT_EQ(r.repository, "nginx");
  EXPECT_EQ(r.tag, "1.25");
  r = ParseImageRef("ingress-nginx/controller@sha256:ff");
  EXPECT_EQ(r.repository, "ingress-nginx/controller");
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.digest, "sha256:ff");
}

TEST(IsIngressNginxController, ByRepositoryPathOnAnyRegistry) {
  for (const char* image : {"registry.k8s.io/ingress-nginx/controller:v1.11.4",
                            "k8s.gcr.io/ingress-nginx/controller:v1.0.0",
                            "harbor.corp:5000/k8s-mirror/ingress-nginx/controller-chroot:v1.13.0",
                            "123456789.dkr.ecr.eu-west-1.amazonaws.com/ingress-nginx/controller@sha256:aa",
                            "Registry.K8s.io/Ingress-Nginx/Controller:v1.12.0"}) {
    EXPECT_TRUE(IsIngressNginxController(ParseImageRef(image), {})) << image;
  }
}

TEST(IsIngressNginxController, ByEntrypointArgument) {
  EXPECT_TRUE(IsIngressNginxController(ParseImageRef("corp/edge-proxy:3"), {"/nginx-ingress-controller", "--configmap=x/y"}));
}

TEST(IsIngressNginxController, NotOtherImages) {
  for (const char* image : {"nginx:1.25", "nginx/nginx-ingress:3.4.0", "corp/my-ingress-nginx/controller:v1.0.0",
                            "ingress-nginx/controllers:v1", "ingress-nginx/kube-webhook-certgen:v1.4.0",
                            "registry.k8s.io/ingress-nginx/controller-x:v1.2.3"}) {
    EXPECT_FALSE(IsIngressNginxController(ParseImageRef(image), {"--nginx-ingress-controller-ish"})) << image;
  }
}

}  // namespace
}  // namespace riposte::audit
