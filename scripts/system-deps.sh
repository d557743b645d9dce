#!/usr/bin/env bash
# Install the system programs provgraph needs: the Graphviz `dot` binary (always) and, with
# `--test`, Debian's Chromium for the browser tests. Uses apt-get when we are root; otherwise says
# exactly what to install and fails.
set -euo pipefail
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
if [ "$want_test" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v virtuoso-t >/dev/null 2>&1 || missing+=(virtuoso-opensource-7-bin)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "provgraph needs these system packages: ${missing[*]}" >&2
  echo "  Debian/Ubuntu: sudo apt-get install ${missing[*]}" >&2
  echo "  macOS:         brew install ${missing[*]/chromium/--cask chromium}" >&2
  exit 1
fi
