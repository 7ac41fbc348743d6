#!/usr/bin/env bash
# A real kube-apiserver (v1.26.5) with etcd on loopback, for running the benchmarks against
# the real server instead of the test double:
#
#   bash scripts/envtest-tools.sh build/envtest-assets        # gathers the binaries once
#   bash bench/envtest-cluster.sh up DIR [ASSETS]             # prints DIR/kubeconfig
#   build/bench/controller_bench --kubeconfig DIR/kubeconfig
#   bash bench/envtest-cluster.sh down DIR
#
# Random free ports, a fresh serving certificate and an administrator token per cluster; the
# flags are those of ../shared/envtest/README.md. etcd keeps its data under DIR (fsync'd
# writes, as on a real control plane).
set -euo pipefail

cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 up|down DIR [ASSETS]" >&2; exit 2; }

stop() {
  for p in apiserver etcd; do
    if [ -f "$dir/$p.pid" ]; then
      kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$(cat "$dir/$p.pid")" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$(cat "$dir/$p.pid")" 2>/dev/null || true
      rm -f "$dir/$p.pid"
    fi
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "$cmd" in
  down)
    stop
    exit 0
    ;;
  up) ;;
  *) echo "usage: $0 up|down DIR [ASSETS]" >&2; exit 2 ;;
esac

assets="$(cd "${3:-build/envtest-assets}" && pwd)"
for b in kube-apiserver etcd; do
  [ -x "$assets/$b" ] || { echo "$assets/$b missing: run scripts/envtest-tools.sh $assets" >&2; exit 1; }
done
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
stop

etcd_client=$(free_port)
etcd_peer=$(free_port)
api=$(free_port)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=kube-apiserver \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$dir/serving.key" -out "$dir/serving.crt" 2>/dev/null
openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
token=$(openssl rand -hex 24)
echo "$token,admin,admin,system:masters" > "$dir/tokens.csv"

rm -rf "$dir/etcd-data"
"$assets/etcd" --data-dir "$dir/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "default=http://127.0.0.1:$etcd_peer" > "$dir/etcd.log" 2>&1 &
echo $! > "$dir/etcd.pid"

"$assets/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_client" --bind-address=127.0.0.1 \
  --secure-port="$api" --advertise-address=127.0.0.1 \
  --tls-cert-file="$dir/serving.crt" --tls-private-key-file="$dir/serving.key" \
  --token-auth-file="$dir/tokens.csv" --authorization-mode=RBAC \
  --service-account-key-file="$dir/sa.pub" --service-account-signing-key-file="$dir/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range=10.96.0.0/16 \
  --disable-admission-plugins=ServiceAccount --enable-priority-and-fairness=false > "$dir/apiserver.log" 2>&1 &
echo $! > "$dir/apiserver.pid"

for _ in $(seq 1 600); do
  if curl -sf --cacert "$dir/serving.crt" -H "Authorization: Bearer $token" "https://127.0.0.1:$api/readyz" >/dev/null; then
    cat > "$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster:
    server: https://127.0.0.1:$api
    certificate-authority-data: $(base64 -w0 < "$dir/serving.crt")
users:
- name: admin
  user:
    token: $token
contexts:
- name: envtest
  context: {cluster: envtest, user: admin, namespace: default}
current-context: envtest
EOF
    echo "$dir/kubeconfig"
    exit 0
  fi
  if ! kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null; then
    echo "kube-apiserver exited; see $dir/apiserver.log" >&2
    tail -20 "$dir/apiserver.log" >&2
    stop
    exit 1
  fi
  sleep 0.2
done
echo "kube-apiserver not ready after 120 s; see $dir/apiserver.log" >&2
stop
exit 1
