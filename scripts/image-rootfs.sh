#!/usr/bin/env bash
# Completes the container image's root filesystem around an installed binary
# (ROOTFS/usr/local/bin/riposte, from `cmake --install --prefix ROOTFS/usr/local`):
#   - every shared library the dynamic loader resolves for it, and the loader itself (ldd);
#   - the CA bundle at /etc/ssl/certs/ca-certificates.crt and, where the copied libcrypto looks
#     for it (its OPENSSLDIR), cert.pem and certs/ pointing there, as on Debian;
#   - /etc/passwd and /etc/group with the non-root user 65532, and /tmp;
#   - the Debian package record of each copied file in var/lib/dpkg/status.d/ (one file per
#     package, as distroless images carry them) and /etc/os-release, so image scanners can map
#     the libraries to Debian security advisories.
# Prints each copied file with its package, version and source package, so a CVE in, say,
# libssl or libcpprest can be traced to an image from its build log.
#
# Usage: scripts/image-rootfs.sh ROOTFS      (run in the build stage, or any Debian system)
set -euo pipefail

die() { echo "image-rootfs: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 ROOTFS"
rootfs=$1
binary="$rootfs/usr/local/bin/riposte"
[ -x "$binary" ] || die "$binary is not an executable (run cmake --install first)"

# --- shared libraries -------------------------------------------------------------------
ldd_out=$(ldd "$binary") || die "ldd $binary failed"
if grep -q 'not found' <<<"$ldd_out"; then
  die "unresolved libraries:
$(grep 'not found' <<<"$ldd_out")"
fi
mapfile -t libs < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out" | sort -u)
[ ${#libs[@]} -gt 0 ] || die "ldd found no libraries for $binary"
for lib in "${libs[@]}"; do cp -L --parents "$lib" "$rootfs/"; done

# --- CA trust store -----------------------------------------------------------------------
# libcrypto loads $OPENSSLDIR/cert.pem and searches $OPENSSLDIR/certs (unless SSL_CERT_FILE /
# SSL_CERT_DIR say otherwise); Debian points both at /etc/ssl/certs. Without these links the
# bundle is in the image but never read.
bundle=/etc/ssl/certs/ca-certificates.crt
[ -s "$bundle" ] || die "$bundle is missing or empty (install ca-certificates)"
openssldir=$(openssl version -d | sed -n 's/^OPENSSLDIR: "\(.*\)"$/\1/p')
[ -n "$openssldir" ] || die "cannot read OPENSSLDIR from \`openssl version -d\`"
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs$openssldir"
cp "$bundle" "$rootfs$bundle"
ln -sfn "$bundle" "$rootfs$openssldir/cert.pem"
ln -sfn /etc/ssl/certs "$rootfs$openssldir/certs"

# --- user, /tmp, OS identification --------------------------------------------------------
echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > "$rootfs/etc/passwd"
echo 'nonroot:x:65532:' > "$rootfs/etc/group"
mkdir -p "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
cp -L /etc/os-release "$rootfs/etc/os-release"

# --- package records ----------------------------------------------------------------------
# dpkg records paths as the package ships them (/lib/... or /usr/lib/...), while ldd reports
# the path it found through the merged-/usr links, so both spellings of the path and of its
# target are looked up, all in one dpkg-query call (each call reads the whole file database).
spellings() {  # PATH -> the candidate spellings, one per line
  local path=$1 real
  real=$(readlink -f "$path")
  printf '%s\n' "$path" "${path#/usr}" "/usr$path" "$real" "${real#/usr}" "/usr$real"
}
declare -A owner=()
mapfile -t candidates < <(for lib in "${libs[@]}" /etc/os-release; do spellings "$lib"; done | sort -u)
while IFS= read -r line; do
  case "$line" in diversion*) continue ;; esac
  owner[${line#*: }]=${line%%: *}
done < <(dpkg-query -S "${candidates[@]}" 2>/dev/null || true)
owner_of() {
  local candidate
  while IFS= read -r candidate; do
    if [ -n "${owner[$candidate]:-}" ]; then
      echo "${owner[$candidate]}"
      return 0
    fi
  done < <(spellings "$1")
  return 1
}

mkdir -p "$rootfs/var/lib/dpkg/status.d"
declare -A recorded=()
echo "image-rootfs: Debian packages of the files in the image (package version source file):"
for entry in "${libs[@]/#/lib:}" "ca:$bundle" "os:/etc/os-release"; do
  file=${entry#*:}
  case "$entry" in
    ca:*) pkg=ca-certificates ;;          # the bundle is generated from this package's data
    *) pkg=$(owner_of "$file") || die "no Debian package owns $file" ;;
  esac
  fields=$(dpkg-query -W -f='${Package} ${Version} ${source:Package}' "$pkg")
  read -r name version source <<<"$fields"
  printf '  %-22s %-28s %-18s %s\n' "$name" "$version" "$source" "$file"
  if [ -z "${recorded[$name]:-}" ]; then
    dpkg-query -s "$pkg" > "$rootfs/var/lib/dpkg/status.d/$name"
    recorded[$name]=1
  fi
done
echo "image-rootfs: ${#libs[@]} libraries, ${#recorded[@]} packages recorded in /var/lib/dpkg/status.d"
