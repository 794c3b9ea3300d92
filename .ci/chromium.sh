#!/usr/bin/env bash
# Makes sure Debian's chromium is installed at /usr/bin/chromium, the browser
# the browser tests drive with playwright-core (test/support/src/browser.ts),
# then prints its version on stderr and its path on stdout.
#
#   bin=$(bash .ci/chromium.sh) && "$bin" --version
#
# Why Debian's package: only Debian's apt mirror and the npm registry are
# reachable, so a test tool's own browser download (`playwright install`)
# fails here; playwright-core drives the system chromium by executablePath.
# `apt-get update` runs only when there are no package lists or the install
# fails (stale lists): an update on every run would cost a round of mirror fetches.
# Quiet and quick when chromium is already there. Needs root to install (CI
# runs as root).
set -euo pipefail
bin=/usr/bin/chromium

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

apt_update() {
  apt-get update -qq >/dev/null || { echo "chromium.sh: apt-get update failed" >&2; exit 1; }
}

install_chromium() {
  [[ -x $bin ]] && return 0 # another caller installed it while we waited for the lock
  echo "chromium.sh: installing Debian's chromium" >&2
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    echo "chromium.sh: no apt package lists; running apt-get update" >&2
    apt_update
  fi
  if ! apt_install 2>/dev/null; then
    echo "chromium.sh: install failed; refreshing the package lists and retrying" >&2
    apt_update
    apt_install || { echo "chromium.sh: apt-get install chromium failed" >&2; exit 1; }
  fi
  [[ -x $bin ]] || { echo "chromium.sh: chromium installed but $bin is missing" >&2; exit 1; }
}

if [[ ! -x $bin ]]; then
  command -v apt-get >/dev/null 2>&1 || { echo "chromium.sh: $bin is missing and there is no apt-get to install it" >&2; exit 1; }
  [[ $(id -u) -eq 0 ]] || { echo "chromium.sh: $bin is missing and installing it needs root (run: apt-get install chromium)" >&2; exit 1; }
  # Test files run in parallel workers, each calling this script: one
  # installs, the others wait for it (two apt-gets at once fail on dpkg's lock).
  exec 9>/tmp/ops-chromium-install.lock
  flock -w 600 9 || { echo "chromium.sh: waited 10 min for another chromium install" >&2; exit 1; }
  install_chromium
  flock -u 9
fi
version=$("$bin" --version 2>/dev/null) || { echo "chromium.sh: $bin --version failed" >&2; exit 1; }
version=${version#Chromium }
echo "chromium: ${version%% *} at $bin" >&2
printf '%s\n' "$bin"
