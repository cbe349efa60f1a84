#!/usr/bin/env bash
# PostgreSQL's server binaries for team mode (make services): Debian's `postgresql` package,
# installed only when no initdb is found (on PATH or under /usr/lib/postgresql/*/bin).
set -euo pipefail
if command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
echo "Installing Debian's postgresql package (server binaries for team mode)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql
