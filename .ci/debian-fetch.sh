#!/usr/bin/env bash
# Fetches binary packages of ANOTHER Debian suite, verifies them and unpacks
# them (never installs them) into the git-ignored .tools/, then prints on
# stdout the absolute path of each unpacked package root, one per package, in
# argument order. Progress and diagnostics go to stderr.
#
#   bash .ci/debian-fetch.sh <suite> <package> [<package>...]
#   root=$(bash .ci/debian-fetch.sh trixie nats-server)
#   "$root/usr/sbin/nats-server" --version
#   # root is <repo>/.tools/debian/trixie/nats-server_<version> (no trailing /)
#
# Why: this machine runs Debian bookworm, whose nats-server (2.9) and
# docker-compose (v1) are older than what the project ships (nats-server 2.10,
# compose v2). trixie's builds of both depend only on libc6 >= 2.34, which
# bookworm has, so their unpacked binaries run here as they are. Only Debian's
# apt mirror and the npm registry are reachable, so the mirror is the one the
# machine's apt already uses; no host name is written here.
#
# Private apt: apt-get runs with APT_CONFIG pointing at a generated apt.conf
# under .tools/debian/apt/<suite>/ that sets Dir::Etc, Dir::State, Dir::Cache
# and the dpkg status file to private places there. APT_CONFIG is read before
# the machine's /etc/apt/apt.conf.d, and it points Dir::Etc::parts and
# Dir::Etc::main at the private (empty) etc, so none of the machine's apt
# settings or hooks (e.g. APT::Update::Post-Invoke-Success) apply; only its
# Acquire::http(s)::Proxy are copied over. Only `apt-get update` and
# `apt-get download` run; nothing is installed and /etc/apt, /var/lib/apt,
# /var/cache/apt and /var/lib/dpkg are only read.
# The private sources list has one entry: the URI, components and Signed-By of
# the machine's entry for its own main archive (type deb, suite = the machine's
# codename, e.g. "bookworm", not bookworm-security/-updates, component main),
# read from /etc/apt/sources.list, sources.list.d/*.list (one-line format) and
# sources.list.d/*.sources (deb822), with the suite replaced by <suite>. No
# Signed-By there means /usr/share/keyrings/debian-archive-keyring.gpg. No
# option other than Signed-By is carried over (so never trusted=yes).
#
# Verification chain, all done by apt with the machine's Debian keyring:
#   InRelease signature (Signed-By keyring; `update --error-on=any` makes a bad
#   or unknown signature fatal) -> Packages index hashes listed in InRelease
#   -> .deb hash listed in Packages (apt-get download refuses a mismatch; the
#   SHA256 is checked once more here, and dpkg-deb's Package/Version fields).
# If the machine's debian-archive-keyring is too old for <suite>, update fails
# with NO_PUBKEY: upgrade that package; verification is never turned off.
#
# Layout and re-run policy:
#   .tools/debian/apt/<suite>/             private apt config, lists, .debs
#   .tools/debian/<suite>/<pkg>_<version>/ unpacked package root (version with
#                                          ':' written as %3a, as apt does)
#   <root>/.debian-fetch-stamp             written only after a complete unpack;
#                                          a root without it is redone
# A stamp whose mtime is less than DEBIAN_FETCH_MAX_AGE_DAYS (default 7) days
# old is trusted without any network access (newest stamp of that package and
# suite wins). Otherwise apt-get update runs (once per call), and if apt's
# candidate is already unpacked its stamp is touched (so no network for
# another 7 days); else the candidate is downloaded, verified and unpacked.
# DEBIAN_FETCH_MAX_AGE_DAYS=0 always asks the mirror. Older versions' roots
# are left in place. For tests: DEBIAN_FETCH_ROOT (default <repo>/.tools/debian)
# and DEBIAN_FETCH_APT_ETC (default /etc/apt: whose sources are read).
set -euo pipefail

say() { printf 'debian-fetch: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

# `--mirror`: print the URI of the machine's own main archive (the one the
# private sources list below uses) and exit; deploy/docker/engine.sh
# debootstraps its base image from it.
mirror_only=
if [[ ${1:-} == --mirror && $# -eq 1 ]]; then
  mirror_only=1
  set -- mirror-only none
fi
[[ $# -ge 2 ]] || die "usage: bash .ci/debian-fetch.sh <suite> <package> [<package>...] | --mirror"
suite=$1
shift
[[ $suite =~ ^[a-z0-9][a-z0-9.-]*$ ]] || die "bad suite name: $suite"
for pkg in "$@"; do
  [[ $pkg =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || die "bad package name: $pkg"
done

script_dir=${BASH_SOURCE[0]%/*}
[[ $script_dir == "${BASH_SOURCE[0]}" ]] && script_dir=.
repo=$(cd "$script_dir/.." && pwd)
base=${DEBIAN_FETCH_ROOT:-$repo/.tools/debian}
max_age_days=${DEBIAN_FETCH_MAX_AGE_DAYS:-7}
[[ $max_age_days =~ ^[0-9]+$ ]] || die "DEBIAN_FETCH_MAX_AGE_DAYS must be a whole number"
machine_etc=${DEBIAN_FETCH_APT_ETC:-/etc/apt}
pkgdir=$base/$suite
aptdir=$base/apt/$suite
stamp_name=.debian-fetch-stamp

# newest_stamp PKG: sets $stamp to the newest stamp of PKG in this suite, or ""
newest_stamp() {
  local s
  stamp=
  for s in "$pkgdir/$1"_*/"$stamp_name"; do
    [[ -f $s ]] || continue
    if [[ -z $stamp || $s -nt $stamp ]]; then stamp=$s; fi
  done
}

# fresh_root PKG: prints the root of PKG if its newest stamp is young enough
fresh_root() {
  local now mtime
  newest_stamp "$1"
  [[ -n $stamp && $max_age_days -gt 0 ]] || return 1
  printf -v now '%(%s)T' -1
  mtime=$(stat -c %Y "$stamp")
  ((now - mtime < max_age_days * 86400)) || return 1
  printf '%s\n' "${stamp%/"$stamp_name"}"
}

# machine_entry CODENAME: prints the URI, the components and the Signed-By
# value (rest of the output; may span lines for an inline key) of the
# machine's first "deb" entry for suite CODENAME with component main.
machine_entry() {
  local files=() f
  # apt's order: sources.list, then sources.list.d/ by name (.list and .sources)
  for f in "$machine_etc/sources.list" "$machine_etc"/sources.list.d/*; do
    if [[ -f $f && ($f == */sources.list || $f == *.list || $f == *.sources) ]]; then
      files+=("$f")
    fi
  done
  [[ ${#files[@]} -gt 0 ]] || return 0
  awk -v want="$1" '
    function has(list, word,   n, a, i) {
      n = split(list, a, /[ \t\n]+/)
      for (i = 1; i <= n; i++) if (a[i] == word) return 1
      return 0
    }
    function first(list,   n, a, i) {
      n = split(list, a, /[ \t\n]+/)
      for (i = 1; i <= n; i++) if (a[i] != "") return a[i]
    }
    function take(types, uris, suites, comps, signed) {
      if (done || !has(types, "deb") || !has(suites, want) || !has(comps, "main")) return
      gsub(/^[ \t\n]+|[ \t\n]+$/, "", comps); gsub(/[ \t\n]+/, " ", comps)
      printf "%s\n%s\n%s\n", first(uris), comps, signed
      done = 1
    }
    function flush() {
      if (("enabled" in f) && tolower(f["enabled"]) ~ /^[ \t]*no[ \t]*$/) { delete f; return }
      if (("types" in f) && ("uris" in f)) {
        sb = f["signed-by"]; sub(/^[ \t]+/, "", sb); sub(/[ \t\n]+$/, "", sb)
        take(" " f["types"] " ", " " f["uris"] " ", " " f["suites"] " ", f["components"], sb)
      }
      delete f; key = ""
    }
    FNR == 1 { flush() }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^#/) next
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^[ \t]/) { if (key != "") f[key] = f[key] "\n" $0; next }
      i = index($0, ":"); if (!i) next
      key = tolower(substr($0, 1, i - 1)); f[key] = substr($0, i + 1)
      next
    }
    {
      line = $0; sub(/#.*/, "", line)
      if (line ~ /^[ \t]*$/) next
      signed = ""
      if (match(line, /\[[^]]*\]/)) {
        n = split(substr(line, RSTART + 1, RLENGTH - 2), o, /[ \t]+/)
        for (i = 1; i <= n; i++) if (o[i] ~ /^signed-by=/) signed = substr(o[i], 11)
        line = substr(line, 1, RSTART - 1) " " substr(line, RSTART + RLENGTH)
      }
      n = split(line, w, /[ \t]+/); j = (w[1] == "" ? 2 : 1)
      comps = ""; for (i = j + 3; i <= n; i++) comps = comps " " w[i]
      take(" " w[j] " ", w[j + 1], " " w[j + 2] " ", comps, signed)
    }
    END { flush() }
  ' "${files[@]}"
}

# setup_apt: writes the private apt configuration and runs apt-get update
apt_ready=
setup_apt() {
  [[ -z $apt_ready ]] || return 0
  local codename entry uri comps signed arch proxies proxy_http='' proxy_https=''
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  [[ -n $codename ]] || die "no VERSION_CODENAME in /etc/os-release"
  entry=$(machine_entry "$codename")
  [[ -n $entry ]] || die "no 'deb' entry for suite $codename with component main in $machine_etc/sources.list{,.d/*.list,.d/*.sources}"
  {
    IFS= read -r uri
    IFS= read -r comps
    signed=$(cat)
  } <<<"$entry"
  if [[ -z $signed ]]; then
    signed=/usr/share/keyrings/debian-archive-keyring.gpg
    [[ -f $signed ]] || die "the machine's entry has no Signed-By and $signed is missing (package debian-archive-keyring)"
  fi
  arch=$(dpkg --print-architecture)
  proxies=$(apt-config shell proxy_http Acquire::http::Proxy proxy_https Acquire::https::Proxy)
  eval "$proxies"

  mkdir -p "$aptdir"/etc/apt.conf.d "$aptdir"/etc/preferences.d "$aptdir"/etc/sources.list.d \
    "$aptdir"/etc/trusted.gpg.d "$aptdir"/state/lists/partial "$aptdir"/cache/archives/partial \
    "$aptdir"/download
  # one run at a time per suite (a second apt-get update would fail on apt's lock)
  exec {lock_fd}>"$aptdir/lock"
  flock "$lock_fd"
  : >"$aptdir/state/status"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\nSigned-By: %s\n' \
      "$uri" "$suite" "$comps" "$signed"
  } >"$aptdir/etc/sources.list.d/debian.sources"
  {
    printf 'Dir::Etc "%s";\n' "$aptdir/etc"
    printf 'Dir::Etc::main "apt.conf";\nDir::Etc::parts "apt.conf.d";\n'
    printf 'Dir::Etc::sourcelist "sources.list";\nDir::Etc::sourceparts "sources.list.d";\n'
    printf 'Dir::Etc::preferences "preferences";\nDir::Etc::preferencesparts "preferences.d";\n'
    printf 'Dir::Etc::trusted "trusted.gpg";\nDir::Etc::trustedparts "trusted.gpg.d";\n'
    printf 'Dir::Etc::netrc "auth.conf";\nDir::Etc::netrcparts "auth.conf.d";\n'
    printf 'Dir::State "%s";\nDir::State::lists "lists/";\n' "$aptdir/state"
    printf 'Dir::State::status "%s";\n' "$aptdir/state/status"
    printf 'Dir::State::extended_states "extended_states";\n'
    printf 'Dir::Cache "%s";\nDir::Cache::archives "archives/";\nDir::Cache::srcpkgcache "";\n' "$aptdir/cache"
    printf 'Dir::Log "%s";\n' "$aptdir/log"
    printf 'APT::Architecture "%s";\nAPT::Architectures { "%s"; };\n' "$arch" "$arch"
    printf 'Acquire::Languages "none";\nAcquire::GzipIndexes "true";\n'
    printf 'Acquire::AllowInsecureRepositories "false";\nAcquire::AllowDowngradeToInsecureRepositories "false";\n'
    [[ -z $proxy_http ]] || printf 'Acquire::http::Proxy "%s";\n' "$proxy_http"
    [[ -z $proxy_https ]] || printf 'Acquire::https::Proxy "%s";\n' "$proxy_https"
  } >"$aptdir/apt.conf"
  export APT_CONFIG=$aptdir/apt.conf

  local keydesc=${signed%%$'\n'*}
  say "apt-get update: $uri $suite ($comps), Signed-By ${keydesc:-(inline key)}"
  if ! apt-get -q update --error-on=any >&2; then
    die "apt-get update for $suite failed (see above). If it says NO_PUBKEY, the machine's debian-archive-keyring is too old for $suite: upgrade it; verification is never disabled."
  fi
  local release
  release=$(printf '%s\n' "$aptdir"/state/lists/*_dists_"${suite}"_InRelease)
  [[ -f $release ]] || die "no InRelease for $suite in $aptdir/state/lists"
  grep -qx 'Origin: Debian' "$release" || die "$uri $suite is not the Debian archive (Origin is not Debian)"
  apt_ready=1
}

# fetch PKG: resolves apt's candidate, downloads, verifies, unpacks; prints root
fetch() {
  local pkg=$1 rec ver arch sha want_sha deb dest qver got_pkg got_ver now
  setup_apt
  rec=$(apt-cache show --no-all-versions "$pkg") || die "$pkg not found in $suite"
  rec=$(awk '/^$/ { exit } { print }' <<<"$rec")
  ver=$(sed -n 's/^Version: //p' <<<"$rec")
  arch=$(sed -n 's/^Architecture: //p' <<<"$rec")
  want_sha=$(sed -n 's/^SHA256: //p' <<<"$rec")
  [[ -n $ver && -n $arch && -n $want_sha ]] || die "no candidate version (with SHA256) of $pkg in $suite"
  qver=${ver//:/%3a}
  dest=$pkgdir/${pkg}_$qver
  if [[ -f $dest/$stamp_name ]]; then
    touch "$dest/$stamp_name"
    say "$pkg $ver ($suite) is already unpacked"
    printf '%s\n' "$dest"
    return
  fi

  say "downloading $pkg $ver ($arch) from $suite"
  deb=$aptdir/download/${pkg}_${qver}_$arch.deb
  # apt-get download keeps an existing file of the right size without hashing
  # it, so never leave one there
  rm -f "$deb"
  if [[ $EUID -eq 0 ]] && getent passwd _apt >/dev/null; then
    chown _apt "$aptdir/download" # so apt's unprivileged downloader can write there
  fi
  (cd "$aptdir/download" && apt-get -q download "$pkg=$ver" >&2) ||
    die "apt-get download of $pkg $ver failed (see above)"
  [[ -f $deb ]] || die "apt-get download did not produce $deb"
  sha=$(sha256sum "$deb")
  sha=${sha%% *}
  [[ $sha == "$want_sha" ]] || die "SHA256 of $deb is $sha, the signed index says $want_sha"
  got_pkg=$(dpkg-deb -f "$deb" Package)
  got_ver=$(dpkg-deb -f "$deb" Version)
  [[ $got_pkg == "$pkg" && $got_ver == "$ver" ]] || die "$deb is $got_pkg $got_ver, not $pkg $ver"

  mkdir -p "$pkgdir"
  rm -rf "$dest" "$dest.partial"
  dpkg-deb -x "$deb" "$dest.partial"
  mv "$dest.partial" "$dest"
  now=$(date -u +%FT%TZ)
  printf 'package=%s\nversion=%s\narchitecture=%s\nsuite=%s\nsha256=%s\nfetched=%s\n' \
    "$pkg" "$ver" "$arch" "$suite" "$sha" "$now" >"$dest/$stamp_name.tmp"
  mv "$dest/$stamp_name.tmp" "$dest/$stamp_name"
  say "unpacked $pkg $ver (sha256 $sha) into $dest"
  printf '%s\n' "$dest"
}

if [[ -n $mirror_only ]]; then
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  entry=$(machine_entry "$codename")
  [[ -n $entry ]] || die "no 'deb' entry for suite $codename with component main in $machine_etc"
  printf '%s\n' "${entry%%$'\n'*}"
  exit 0
fi

for pkg in "$@"; do
  fresh_root "$pkg" || fetch "$pkg"
done
