#!/usr/bin/env bash
# Install what tests/engine.py needs to run a private Docker engine for the
# live-mode tests: dockerd (docker.io, which brings containerd, runc and
# docker-proxy), a *static* busybox for FROM-scratch images (busybox-static)
# and ip (iproute2) for the engine's own bridge; and for the other tests that
# drive system programs: headless Chromium (chromium), which renders the HTML
# report in tests/test_html_browser.py, and ssh-keygen (openssh-client), which
# signs evidence manifests (--sign-key). Idempotent; must run as root.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
installed busybox-static || need+=(busybox-static)   # the plain "busybox" is dynamically linked
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-docker.sh: must run as root to install: ${need[*]}" >&2
    exit 1
fi

apt_install() { apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }

# apt-get update only when there are no package lists yet, or when the install fails on stale ones.
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update -qq >/dev/null
fi
if ! apt_install 2>/dev/null; then
    apt-get update -qq >/dev/null
    apt_install
fi
