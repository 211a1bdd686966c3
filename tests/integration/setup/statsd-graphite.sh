#!/usr/bin/env bash
# Installs what hookline-statsd's integration tests start (tests/integration/servers/statsd_graphite.py):
#   - the StatsD daemon, npm statsd@0.9.0, under <repo>/.services/statsd/ (gitignored);
#   - Carbon (graphite-carbon, with whisper) and graphite-web (graphite-web, gunicorn,
#     python3-whitenoise) from Debian's packages.
# Idempotent: installs only what is missing and is quick when everything is there. Without root
# (apt-get) or without npm it prints why, installs nothing it cannot, and exits 0: the tests
# that need the stack then skip (or fail, under CI=true).
set -u

repo=$(cd "$(dirname "$0")/../../.." && pwd)
services="$repo/.services"
statsd_dir="$services/statsd"
statsd_version="0.9.0"

# --- Debian packages ------------------------------------------------------------------------
debs=(graphite-carbon graphite-web gunicorn python3-whitenoise)
missing=()
for pkg in "${debs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "statsd-graphite: Debian packages present (${debs[*]})"
elif [ "$(id -u)" -ne 0 ]; then
  echo "statsd-graphite: not root, cannot apt-get install ${missing[*]}; the StatsD/Graphite tests will skip"
elif ! command -v apt-get >/dev/null 2>&1; then
  echo "statsd-graphite: no apt-get here, cannot install ${missing[*]}; the StatsD/Graphite tests will skip"
else
  echo "statsd-graphite: installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  # Debian would start carbon-cache as a service; the tests start their own, on free ports.
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    apt-get update -qq && apt-get install -y --no-install-recommends "${missing[@]}" \
      || echo "statsd-graphite: apt-get install failed; the StatsD/Graphite tests will skip"
  fi
  [ "$policy_added" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# --- The StatsD daemon from npm ---------------------------------------------------------------
installed=""
if [ -f "$statsd_dir/node_modules/statsd/package.json" ]; then
  installed=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$statsd_dir/node_modules/statsd/package.json" | head -n 1)
fi
if [ "$installed" = "$statsd_version" ]; then
  echo "statsd-graphite: StatsD daemon $statsd_version present in $statsd_dir"
elif ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "statsd-graphite: node/npm not found, cannot install statsd@$statsd_version; the StatsD tests will skip"
else
  echo "statsd-graphite: installing statsd@$statsd_version under $statsd_dir"
  mkdir -p "$statsd_dir"
  [ -f "$statsd_dir/package.json" ] || printf '{"name": "hookline-test-services-statsd", "private": true}\n' >"$statsd_dir/package.json"
  (cd "$statsd_dir" && npm install --no-audit --no-fund --loglevel=error "statsd@$statsd_version") \
    || echo "statsd-graphite: npm install failed; the StatsD tests will skip"
fi
exit 0
