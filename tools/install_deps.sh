#!/usr/bin/env bash
# Install the Debian packages the build and tests need, only those missing.
set -euo pipefail
PKGS=(build-essential pkg-config gcc-multilib gcc-arm-none-eabi libnewlib-arm-none-eabi
      qemu-system-arm socat xz-utils git python3-venv)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
