#!/usr/bin/env bash
# `npm test`: makes sure the programs the suite drives are installed, then runs vitest with the
# arguments given (`npm test -- test/unit`). Debian's nginx-light (deploy/nginx.conf in front of two
# nodes), chromium (the browser test, driven by playwright-core; never a downloaded browser) and
# redis-server (tests that stop and start a Redis of their own) are installed with apt-get when
# missing and run as root; otherwise the run fails naming them. PostgreSQL and Redis themselves are
# checked by test/support/global-setup.ts, which fails with a message saying how to start them.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "npm test: $*" >&2
  exit 1
}

# The pinned Node.js of the `node` package; first on the PATH even when this runs outside npm.
[ -x node_modules/.bin/node ] || fail "node_modules/.bin/node is missing: run \`npm install\` first."
# /usr/sbin: where Debian puts nginx, off the PATH of users other than root.
export PATH="$PWD/node_modules/.bin:$PATH:/usr/sbin"

missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    fail "the tests need Debian's ${missing[*]}; install them with \`sudo apt-get install -y ${missing[*]}\`" \
      "(or run npm test as root, which installs them)."
  fi
  echo "npm test: installing Debian's ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  command -v nginx >/dev/null 2>&1 || fail "nginx is still missing after installing nginx-light."
  [ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is still missing after installing chromium."
  command -v redis-server >/dev/null 2>&1 || fail "redis-server is still missing after installing redis-server."
fi

exec vitest run "$@"
