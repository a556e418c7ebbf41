#!/usr/bin/env bash
# CI machine setup for the report's headless-browser tests: Debian's chromium and the DejaVu fonts the figures use.
# Idempotent: installs only what is missing; a no-op (no apt call) when both are present.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "ci-setup: chromium and fonts-dejavu-core already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "ci-setup: installing ${missing[*]}"
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}"
