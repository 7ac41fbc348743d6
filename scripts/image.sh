#!/usr/bin/env bash
# Builds the container image from the Dockerfile without a Docker daemon (buildah) and
# smoke-tests it (podman): version and revision, labels, non-root user without capabilities,
# the webhook over TLS (health, an attack denied, a benign Ingress admitted, TLS 1.1 refused),
# `controller --help`, `audit` against an HTTPS API server whose CA is only in the image's
# system trust store, a clean stop on SIGTERM within 2 s, and the size limit.
#
# Usage: scripts/image.sh [--skip-build]
#   --skip-build    smoke-test the image that is already built (RIPOSTE_IMAGE)
# Environment:
#   RIPOSTE_IMAGE=localhost/riposte:dev  name of the image to build and test
#   RIPOSTE_IMAGE_BASE=auto              auto: debian:bookworm from its registry when one answers,
#                                        else a local base; registry / local force one of them
#   RIPOSTE_BASE_MAX_AGE_DAYS=30         the local base is remade when older (security updates)
#   RIPOSTE_BASE_SOURCES="FILE..."       apt source files for the local base (default: every
#                                        sources.list(.d) file of this machine; name only the
#                                        Debian ones when others need keyrings the base lacks)
#   RIPOSTE_TEST_APISERVER=PATH          the test API server the audit check talks to
#                                        (default build/tests/apiserver/riposte-test-apiserver,
#                                        built there when missing)
#   BUILDAH_ISOLATION=chroot             buildah's RUN isolation (chroot needs no OCI runtime)
#   RIPOSTE_STORAGE_DRIVER               containers/storage driver; default: overlay when the
#                                        kernel mounts it, else vfs (in its own storage root)
#
# The local base (no registry reachable): mmdebstrap makes a minimal Debian bookworm from this
# machine's apt sources and imports it as localhost/riposte-base/debian:bookworm, which
# replaces the Dockerfile's `FROM debian:bookworm` through `buildah bud --from`. The Dockerfile
# itself is never changed; what this machine lacks (ulimit raising, cgroup v2, ...) is worked
# around with flags chosen by probing, printed before use.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${RIPOSTE_IMAGE:-localhost/riposte:dev}
BASE_LOCAL=localhost/riposte-base/debian:bookworm
BASE_REGISTRY=docker.io/library/debian:bookworm
SIZE_LIMIT=25000000  # bytes (25 MB)
skip_build=0
for arg in "$@"; do
  case "$arg" in
    --skip-build) skip_build=1 ;;
    *) echo "image.sh: unknown argument $arg (expected --skip-build)" >&2; exit 2 ;;
  esac
done

say() { echo "image: $*"; }
die() { echo "image: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

for tool in buildah podman curl openssl git; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/bootstrap.sh installs it)"
done
[ "$(id -u)" = 0 ] || die "run as root (rootless storage and user namespaces are not set up here)"

work=$(mktemp -d /tmp/riposte-image.XXXXXX)
chmod 755 "$work"
containers=()
apiserver_pid=""
derived=""
cleanup() {
  local c
  for c in "${containers[@]}"; do podman "${STORE[@]}" rm -f "$c" >/dev/null 2>&1 || true; done
  if [ -n "$apiserver_pid" ]; then kill "$apiserver_pid" 2>/dev/null || true; wait "$apiserver_pid" 2>/dev/null || true; fi
  if [ -n "$derived" ]; then buildah "${STORE[@]}" rmi "$derived" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
STORE=()
trap cleanup EXIT

# --- storage ------------------------------------------------------------------------------
driver=${RIPOSTE_STORAGE_DRIVER:-}
if [ -z "$driver" ]; then
  mkdir -p "$work/ov/l" "$work/ov/u" "$work/ov/w" "$work/ov/m"
  if mount -t overlay overlay -o "lowerdir=$work/ov/l,upperdir=$work/ov/u,workdir=$work/ov/w" "$work/ov/m" 2>/dev/null; then
    umount "$work/ov/m"
    driver=overlay
  else
    driver=vfs
  fi
  rm -rf "$work/ov"
fi
if [ "$driver" != overlay ]; then
  # A storage root belongs to one driver; keep the fallback's images apart from the default.
  STORE=(--storage-driver "$driver" --root "/var/lib/containers/storage-$driver")
fi
say "storage driver $driver${STORE:+ (${STORE[*]})}"
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}

# --- base image ---------------------------------------------------------------------------
make_local_base() {
  command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (scripts/bootstrap.sh installs it)"
  local sources=() f opts=() key value
  for f in ${RIPOSTE_BASE_SOURCES:-/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources}; do
    if [ -s "$f" ]; then sources+=("$f"); fi
  done
  [ ${#sources[@]} -gt 0 ] || die "no apt sources configured on this machine"
  # Settings this machine's apt needs to use those sources (a proxy, a frozen snapshot whose
  # Release files are past Valid-Until) go into the base too, so its apt works the same.
  for key in Acquire::http::Proxy Acquire::https::Proxy Acquire::Check-Valid-Until Acquire::Check-Date; do
    value=$(apt-config dump "$key" | sed -n "s/^$key \"\\(.*\\)\";\$/\\1/p" | head -n1)
    [ -n "$value" ] && opts+=(--aptopt="$key \"$value\"")
  done
  say "making $BASE_LOCAL with mmdebstrap (minbase, bookworm) from ${sources[*]}"
  local t0; t0=$(now)
  mmdebstrap --variant=minbase "${opts[@]}" bookworm "$work/base.tar" "${sources[@]}" > "$work/mmdebstrap.log" 2>&1 \
    || { cat "$work/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
  podman "${STORE[@]}" import --change 'CMD ["bash"]' "$work/base.tar" "$BASE_LOCAL" >/dev/null
  rm -f "$work/base.tar"
  say "local base made in $(elapsed "$t0") s"
}

FROM_ARGS=()
base_mode=${RIPOSTE_IMAGE_BASE:-auto}
if [ "$skip_build" = 0 ]; then
  base=""
  if [ "$base_mode" != local ]; then
    if timeout 300 buildah "${STORE[@]}" pull --quiet "$BASE_REGISTRY" > "$work/pull.log" 2>&1; then
      base=$BASE_REGISTRY
      say "base $BASE_REGISTRY from its registry"
    elif [ "$base_mode" = registry ]; then
      cat "$work/pull.log" >&2; die "cannot pull $BASE_REGISTRY"
    else
      say "no registry reachable ($(tail -n1 "$work/pull.log" | cut -c1-160)); using a local base"
    fi
  fi
  if [ -z "$base" ]; then
    created=$(podman "${STORE[@]}" image inspect --format '{{.Created.Unix}}' "$BASE_LOCAL" 2>/dev/null || echo 0)
    max_age=$(( ${RIPOSTE_BASE_MAX_AGE_DAYS:-30} * 86400 ))
    if [ $(( $(date +%s) - created )) -gt "$max_age" ]; then
      make_local_base
    else
      say "reusing $BASE_LOCAL (made $(date -u -d "@$created" +%Y-%m-%dT%H:%MZ))"
    fi
    FROM_ARGS=(--from "$BASE_LOCAL" --pull=false)
  fi
fi

# --- build --------------------------------------------------------------------------------
version=$(sed -n 's/^project(riposte VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || die "cannot read the project version from CMakeLists.txt"
revision=$(git rev-parse HEAD)
# The context is the work tree, so uncommitted changes are built too: say so in the revision.
if [ -n "$(git status --porcelain)" ]; then revision="$revision-dirty"; fi
source_url=$(sed -n 's/^ARG RIPOSTE_SOURCE=//p' Dockerfile | head -n1)

build_seconds=""
if [ "$skip_build" = 0 ]; then
  # Layers are cached (--layers), so a rebuild reuses the package layer. The build stage is
  # tagged too: it keeps that cache alive while the previous build's images are removed below.
  build_tag="${IMAGE%:*}-build:${IMAGE##*:}"
  image_id() { podman "${STORE[@]}" image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
  old_ids=("$(image_id "$IMAGE")" "$(image_id "$build_tag")")
  bud=(buildah "${STORE[@]}" bud --layers --format oci "${FROM_ARGS[@]}"
       --build-arg RIPOSTE_GIT_REVISION="$revision" --build-arg RIPOSTE_VERSION="$version" -f Dockerfile)
  say "building $IMAGE (revision $revision, version $version, isolation $BUILDAH_ISOLATION)"
  t0=$(now)
  # OCI annotations on the manifest as well as the Dockerfile's labels in the config: registries
  # and tools read one or the other.
  if ! "${bud[@]}" \
      --annotation org.opencontainers.image.revision="$revision" \
      --annotation org.opencontainers.image.version="$version" \
      --annotation org.opencontainers.image.source="$source_url" \
      -t "$IMAGE" . 2>&1 | tee "$work/build.log"; then
    die "image build failed"
  fi
  build_seconds=$(elapsed "$t0")
  say "built $IMAGE in $build_seconds s"
  "${bud[@]}" --quiet --target build -t "$build_tag" . >/dev/null || die "cannot tag the build stage"
  for id in "${old_ids[@]}"; do
    # Untagged now: removing it also removes its parents that no other image needs.
    if [ -n "$id" ] && [ -z "$(podman "${STORE[@]}" image inspect --format '{{.RepoTags}}' "$id" 2>/dev/null | tr -d '[]')" ]; then
      podman "${STORE[@]}" rmi "$id" >/dev/null 2>&1 || true
    fi
  done
  echo "image: Debian packages of the files in the image (from the build log):"
  sed -n '/^image-rootfs: Debian packages/,/^image-rootfs: [0-9]* libraries/p' "$work/build.log" | sed '1d;$d'
else
  podman "${STORE[@]}" image exists "$IMAGE" || die "$IMAGE does not exist; build it first"
  revision=$(podman "${STORE[@]}" image inspect --format '{{index .Labels "org.opencontainers.image.revision"}}' "$IMAGE")
  say "smoke-testing the existing $IMAGE (revision $revision)"
fi

# --- smoke test ---------------------------------------------------------------------------
t_smoke=$(now)
passed=()
ok() { passed+=("$1"); say "ok: $1"; }

inspect() { podman "${STORE[@]}" image inspect --format "$1" "$IMAGE"; }

# Run flags: the first set under which the image's `version` runs. Machines without
# CAP_SYS_RESOURCE cannot raise RLIMIT_NOFILE to podman's default; crun refuses a hybrid
# cgroup v1/v2 layout, runc does not.
hard_nofile=$(ulimit -Hn)
candidates=(
  ""
  "--ulimit nofile=$hard_nofile:$hard_nofile --ulimit nproc=4096:4096"
  "--runtime runc --ulimit nofile=$hard_nofile:$hard_nofile --ulimit nproc=4096:4096"
)
RUN=()
for c in "${candidates[@]}"; do
  read -r -a flags <<<"$c"
  if out=$(timeout 120 podman "${STORE[@]}" run --rm --network=host "${flags[@]}" "$IMAGE" version 2>&1); then
    RUN=(run --network=host "${flags[@]}")
    break
  fi
  say "podman run ${c:-(no extra flags)}: $(tail -n1 <<<"$out" | cut -c1-160)"
done
[ ${#RUN[@]} -gt 0 ] || die "the image does not run under any of the tried podman flags"
say "podman ${RUN[*]}"
echo "$out" | sed 's/^/    /'

# 1. version and revision, in the binary and in the labels/annotations.
grep -qx "riposte $version" <<<"$out" || die "version does not print riposte $version"
grep -qx "  git: *$revision" <<<"$out" || die "version does not print revision $revision"
grep -Eq '^  ca file: .*: [1-9][0-9]* certificates$' <<<"$out" || die "the image's default CA file holds no certificates"
for key in revision version source; do
  label=$(inspect "{{index .Labels \"org.opencontainers.image.$key\"}}")
  case $key in revision) want=$revision ;; version) want=$version ;; source) want=$source_url ;; esac
  [ "$label" = "$want" ] || die "label org.opencontainers.image.$key is \"$label\", expected \"$want\""
done
for key in revision version source; do
  annotation=$(inspect "{{index .Annotations \"org.opencontainers.image.$key\"}}")
  label=$(inspect "{{index .Labels \"org.opencontainers.image.$key\"}}")
  [ "$annotation" = "$label" ] || die "annotation org.opencontainers.image.$key is \"$annotation\", label \"$label\""
done
ok "version prints riposte $version, git $revision; labels and annotations carry revision, version, source"

# 2. size.
size=$(inspect '{{.Size}}')
[ "$size" -le "$SIZE_LIMIT" ] || die "image is $size bytes, over $SIZE_LIMIT"
size_mb=$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }')
ok "size $size bytes ($size_mb MB) <= 25 MB"

# 3. image metadata: non-root numeric user, exec-form entrypoint, package records for scanners.
user=$(inspect '{{.Config.User}}')
[ "$user" = "65532:65532" ] || die "image user is \"$user\", expected 65532:65532"
ctr=$(buildah "${STORE[@]}" from --pull=false "$IMAGE")
mnt=$(buildah "${STORE[@]}" mount "$ctr")
records=$(cd "$mnt/var/lib/dpkg/status.d" && for f in *; do
  awk '/^Package:/ { p = $2 } /^Version:/ { v = $2 } END { print p "=" v }' "$f"; done | sort | tr '\n' ' ')
[ -e "$mnt/usr/lib/ssl/cert.pem" ] || die "/usr/lib/ssl/cert.pem does not resolve in the image"
image_bundle=$work/image-bundle.crt
cp "$mnt/etc/ssl/certs/ca-certificates.crt" "$image_bundle"
buildah "${STORE[@]}" umount "$ctr" >/dev/null
buildah "${STORE[@]}" rm "$ctr" >/dev/null
for p in libssl3 libcpprest2.10 libc6 ca-certificates; do
  grep -q "\\b$p=" <<<"$records" || die "no package record for $p in /var/lib/dpkg/status.d"
done
ok "user 65532:65532; package records: $records"

# TLS material for the webhook and the API server, made here: nothing secret in the repo.
tls=$work/tls
mkdir -p "$tls"
make_ca() {  # NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=riposte smoke test $1 CA" -keyout "$tls/$1-ca.key" -out "$tls/$1-ca.crt" 2>/dev/null
}
make_server_cert() {  # CA NAME
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/$2.key" -out "$tls/$2.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$tls/$2.ext"
  openssl x509 -req -in "$tls/$2.csr" -CA "$tls/$1-ca.crt" -CAkey "$tls/$1-ca.key" -CAcreateserial \
    -days 2 -extfile "$tls/$2.ext" -out "$tls/$2.crt" 2>/dev/null
}
make_ca webhook
make_server_cert webhook webhook
make_ca api
make_server_cert api api
chmod 755 "$tls"
chmod 644 "$tls"/*

# 4. webhook: health over TLS, an attack denied, a benign Ingress admitted, TLS 1.1 refused;
# the process is uid/gid 65532 with no capabilities (no --user, no --cap-drop: the image's own
# user does it); hardened as the chart runs it (read-only root, no privilege escalation).
name=riposte-smoke-webhook-$$
containers+=("$name")
podman "${STORE[@]}" "${RUN[@]}" -d --name "$name" --read-only --security-opt no-new-privileges \
  -v "$tls:/tls:ro" "$IMAGE" webhook --tls-cert /tls/webhook.crt --tls-key /tls/webhook.key \
  --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 >/dev/null
port=""
for _ in $(seq 1 200); do
  logs=$(podman "${STORE[@]}" logs "$name" 2>&1 || true)
  port=$(sed -n 's/.*"msg":"webhook ready".*"port":"\([0-9]*\)".*/\1/p' <<<"$logs" | head -n1)
  [ -n "$port" ] && break
  [ "$(podman "${STORE[@]}" inspect --format '{{.State.Running}}' "$name")" = true ] \
    || die "webhook exited: $logs"
  sleep 0.1  # polling the log for the ready line, not waiting for a race
done
[ -n "$port" ] || die "webhook did not log ready: $logs"

pid=$(podman "${STORE[@]}" inspect --format '{{.State.Pid}}' "$name")
status=$(cat "/proc/$pid/status")
for field in Uid Gid; do
  grep -Eq "^$field:\s+65532\s+65532\s+65532\s+65532$" <<<"$status" \
    || die "$field is not 65532: $(grep "^$field:" <<<"$status")"
done
for cap in CapInh CapPrm CapEff CapAmb; do
  grep -Eq "^$cap:\s+0+$" <<<"$status" || die "$cap is not empty: $(grep "^$cap:" <<<"$status")"
done
ok "webhook process: uid/gid 65532, no inheritable, permitted, effective or ambient capabilities"

health=$(curl -sS --cacert "$tls/webhook-ca.crt" "https://127.0.0.1:$port/healthz")
[ -n "$health" ] || die "empty /healthz answer"
if curl -sS --cacert "$tls/webhook-ca.crt" --tlsv1.1 --tls-max 1.1 -o /dev/null "https://127.0.0.1:$port/healthz" 2>/dev/null; then
  die "the webhook accepted TLS 1.1"
fi
review() {  # UID ANNOTATION-VALUE (JSON-escaped)
  cat <<EOF
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"$1",
 "kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},
 "resource":{"group":"networking.k8s.io","version":"v1","resource":"ingresses"},
 "namespace":"smoke","operation":"CREATE","userInfo":{"username":"smoke"},
 "object":{"apiVersion":"networking.k8s.io/v1","kind":"Ingress",
  "metadata":{"name":"smoke","namespace":"smoke","annotations":{"nginx.ingress.kubernetes.io/auth-url":"$2"}},
  "spec":{"ingressClassName":"nginx","rules":[{"host":"smoke.example.com","http":{"paths":[{"path":"/","pathType":"Prefix",
   "backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}}}
EOF
}
admit() {  # UID VALUE
  review "$1" "$2" | curl -sS --cacert "$tls/webhook-ca.crt" -H 'Content-Type: application/json' \
    --data-binary @- "https://127.0.0.1:$port/validate/ingress"
}
attack=$(admit 5e1f6a3c-0000-4000-8000-000000000001 'http://example.com/#;\n}}}\nssl_engine /proc/1/fd/3;\n#')
grep -q '"uid":"5e1f6a3c-0000-4000-8000-000000000001"' <<<"$attack" || die "attack answer lacks the request UID: $attack"
grep -q '"allowed":false' <<<"$attack" || die "attack AdmissionReview was not denied: $attack"
grep -q 'RIP-ANN-CONTROL' <<<"$attack" || die "denial does not name RIP-ANN-CONTROL: $attack"
benign=$(admit 5e1f6a3c-0000-4000-8000-000000000002 'https://auth.example.com/oauth2/auth')
grep -q '"allowed":true' <<<"$benign" || die "benign AdmissionReview was not admitted: $benign"
ok "webhook over TLS: /healthz answers ($health), attack denied (RIP-ANN-CONTROL), benign admitted, TLS 1.1 refused"

# 5. SIGTERM: the webhook (PID 1 in the container) stops cleanly within 2 s.
t_term=$(now)
podman "${STORE[@]}" kill --signal TERM "$name" >/dev/null
exit_code=$(timeout 30 podman "${STORE[@]}" wait "$name")
stop_seconds=$(elapsed "$t_term")
[ "$exit_code" = 0 ] || die "webhook exited with $exit_code after SIGTERM: $(podman "${STORE[@]}" logs "$name" 2>&1 | tail -n3)"
awk -v s="$stop_seconds" 'BEGIN { exit !(s <= 2.0) }' || die "webhook took $stop_seconds s to stop after SIGTERM"
ok "SIGTERM: exit 0 after $stop_seconds s (limit 2 s, including podman's own overhead)"

# 6. controller --help.
help=$(timeout 60 podman "${STORE[@]}" "${RUN[@]}" --rm "$IMAGE" controller --help 2>&1) || die "controller --help failed: $help"
grep -q -- '--alerts-tls-cert' <<<"$help" || die "controller --help does not list --alerts-tls-cert: $help"
ok "controller --help lists its flags"

# 7. audit through the system trust store. The API server's certificate comes from a CA made
# a moment ago; the kubeconfig has no certificate-authority and no insecure-skip-tls-verify,
# and the container gets no SSL_CERT_FILE/SSL_CERT_DIR. The unchanged image must fail to
# verify the server; an image whose only change is that CA appended to the bundle at
# /etc/ssl/certs/ca-certificates.crt (a derived layer, as a user adds a private CA) must audit.
apiserver=${RIPOSTE_TEST_APISERVER:-build/tests/apiserver/riposte-test-apiserver}
if [ ! -x "$apiserver" ] && [ -z "${RIPOSTE_TEST_APISERVER:-}" ]; then
  say "building riposte-test-apiserver into build/"
  [ -f build/CMakeCache.txt ] || cmake -S . -B build -DRIPOSTE_BUILD_TESTS=ON -DRIPOSTE_BUILD_BENCH=OFF >/dev/null
  cmake --build build --target riposte-test-apiserver -j "${JOBS:-$(nproc)}" >/dev/null
fi
[ -x "$apiserver" ] || die "no test API server at $apiserver"
token=$(openssl rand -hex 24)
"$apiserver" --tls-cert-file "$tls/api.crt" --tls-key-file "$tls/api.key" --token "$token" \
  --port-file "$work/api.port" > "$work/apiserver.log" 2>&1 &
apiserver_pid=$!
for _ in $(seq 1 200); do
  [ -s "$work/api.port" ] && break
  kill -0 "$apiserver_pid" 2>/dev/null || die "test API server exited: $(cat "$work/apiserver.log")"
  sleep 0.05  # polling for the port file the server writes once it listens
done
api_port=$(cat "$work/api.port")
mkdir -p "$work/kube"
cat > "$work/kube/config" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: smoke
  cluster: {server: "https://127.0.0.1:$api_port"}
users:
- name: smoke
  user: {token: "$token"}
contexts:
- name: smoke
  context: {cluster: smoke, user: smoke}
current-context: smoke
EOF
chmod 755 "$work/kube"
chmod 644 "$work/kube/config"
curl -sS --cacert "$tls/api-ca.crt" -H "Authorization: Bearer $token" -o /dev/null \
  "https://127.0.0.1:$api_port/api/v1/pods" || die "the test API server does not answer with its CA"

audit() {  # IMAGE -> output; exit code in audit_rc
  audit_rc=0
  audit_out=$(timeout 120 podman "${STORE[@]}" "${RUN[@]}" --rm -v "$work/kube:/kube:ro" "$1" \
    audit --kubeconfig /kube/config --no-timestamp 2>&1) || audit_rc=$?
}
for img in "$IMAGE"; do
  env=$(podman "${STORE[@]}" image inspect --format '{{range .Config.Env}}{{.}} {{end}}' "$img")
  if grep -q 'SSL_CERT' <<<"$env"; then die "$img sets $env"; fi
done
audit "$IMAGE"
[ "$audit_rc" = 2 ] || die "audit without the CA in the store exited $audit_rc (expected 2): $audit_out"
grep -qiE 'certificate|handshake' <<<"$audit_out" || die "audit without the CA failed for another reason: $audit_out"
say "control: without the CA in the store, audit exits 2: $(grep -iE 'certificate|handshake' <<<"$audit_out" | head -n1 | cut -c1-160)"

cat "$image_bundle" "$tls/api-ca.crt" > "$work/ca-certificates.crt"
printf 'FROM %s\nCOPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n' "$IMAGE" > "$work/Containerfile"
derived=localhost/riposte-smoke-ca:$$
buildah "${STORE[@]}" bud --quiet --pull=false -f "$work/Containerfile" -t "$derived" "$work" >/dev/null \
  || die "cannot build the derived image with the test CA"
env=$(podman "${STORE[@]}" image inspect --format '{{range .Config.Env}}{{.}} {{end}}' "$derived")
if grep -q 'SSL_CERT' <<<"$env"; then die "$derived sets $env"; fi
bundled=$(grep -c 'BEGIN CERTIFICATE' "$work/ca-certificates.crt")
derived_version=$(timeout 60 podman "${STORE[@]}" "${RUN[@]}" --rm "$derived" version)
grep -q "^  ca file: .*: $bundled certificates$" <<<"$derived_version" \
  || die "the derived image does not load the $bundled certificates of its bundle: $derived_version"
audit "$derived"
if [ "$audit_rc" != 0 ] && [ "$audit_rc" != 1 ]; then
  die "audit with the CA in the system store exited $audit_rc: $audit_out"
fi
grep -q '^AT RISK: ' <<<"$audit_out" || die "audit printed no report: $audit_out"
ok "audit reached https://127.0.0.1:$api_port through the system store (exit $audit_rc, $(grep '^AT RISK: ' <<<"$audit_out")); without the CA it exits 2"

smoke_seconds=$(elapsed "$t_smoke")
echo "image: PASS $IMAGE: revision $revision, $size_mb MB${build_seconds:+, built in $build_seconds s}, smoke test ${#passed[@]} checks in $smoke_seconds s"
