#!/usr/bin/env bash
# Installs the browser of hookline-mlflow's UI check (tests/plugins/mlflow/test_browser.py):
# Debian's `chromium`, run headless by the test (--dump-dom for the page text, --screenshot).
# Idempotent: installs only what is missing and is quick when it is there. Without root or
# apt-get it prints why and exits 0: the browser test then skips (or fails, under CI=true).
set -u

if command -v chromium >/dev/null 2>&1; then
  echo "chromium: present ($(command -v chromium))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium: not root, cannot apt-get install chromium; the browser test will skip"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: no apt-get here, cannot install chromium; the browser test will skip"
  exit 0
fi
echo "chromium: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists may be empty or old: update once if the install fails.
if ! apt-get install -y --no-install-recommends chromium fonts-liberation >/dev/null; then
  apt-get update -qq && apt-get install -y --no-install-recommends chromium fonts-liberation >/dev/null \
    || echo "chromium: apt-get install failed; the browser test will skip"
fi
command -v chromium >/dev/null 2>&1 && echo "chromium: installed ($(chromium --version 2>/dev/null))"
exit 0
