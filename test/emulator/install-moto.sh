#!/usr/bin/env bash
# Installs the local AWS API emulator for the integration tier (test/integration): moto server.
#
# Packages come through the machine's own apt configuration (its sources, mirror, proxy and keys); this
# script names no host. moto is pure Python and is unpacked with dpkg -x into .tools/moto/root, beside the
# newer pure-Python libraries it needs from the same suite (boto3, botocore, s3transfer); Flask and the
# other dependencies are installed with apt-get install.
#
# - When the configured sources have python3-moto (Debian trixie and later), it is fetched with a plain
#   `apt-get download`.
# - When they do not (bookworm), the suite that has it ($SPOTWISE_MOTO_SUITE, default trixie) is read from
#   the Debian archive the system is already configured with, through a PRIVATE source list and state
#   directory: the system's sources and package database are not touched, and only `apt-get download` runs.
#
# Idempotent and quick when installed: a stamp file records what was installed, and a short import check
# proves it still works. Exit status 0 = installed; non-zero = not installed, with the reason on stderr
# (the integration tests then fail when CI=true and skip locally, saying why).
set -euo pipefail
cd "$(dirname "$0")/../.."

TOOLS_DIR="${SPOTWISE_MOTO_DIR:-$PWD/.tools/moto}"
ROOT="$TOOLS_DIR/root"
SITE="$ROOT/usr/lib/python3/dist-packages"
STAMP="$TOOLS_DIR/installed.txt"
SUITE="${SPOTWISE_MOTO_SUITE:-trixie}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PYTHON=/usr/bin/python3

# Unpacked from $SUITE (pure Python, "Architecture: all").
# python3-jsonpath-ng: moto's EventBridge parses every rule target's input with it (events/utils.py), so PutEvents
# to a bus with a rule fails without it.
NEWER_PACKAGES=(python3-moto python3-boto3 python3-botocore python3-s3transfer python3-jsonpath-ng)
# Installed from the system's own suite (bookworm): moto's runtime and server dependencies.
SYSTEM_PACKAGES=(python3-flask python3-flask-cors python3-werkzeug python3-jinja2 python3-requests python3-responses
  python3-dateutil python3-xmltodict python3-jmespath python3-urllib3 python3-six python3-cryptography python3-yaml python3-ply)

log() { echo "install-moto: $*" >&2; }

import_check() {
  PYTHONPATH="$SITE" "$PYTHON" - <<'EOF' 2>&1
import moto, moto.server, flask, werkzeug, boto3, botocore
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
import moto.dynamodb.models, moto.cloudwatch.models, moto.ec2.models, moto.autoscaling.models
import moto.events.models, moto.scheduler.models, jsonpath_ng.ext
print(moto.__version__)
EOF
}

if [ -f "$STAMP" ] && version=$(import_check); then
  log "moto $version already installed in $TOOLS_DIR"
  exit 0
fi

if [ ! -x "$PYTHON" ]; then
  log "no $PYTHON: install Debian's python3 first"
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
  command -v sudo >/dev/null || { log "not root and no sudo: cannot apt-get install ${SYSTEM_PACKAGES[*]}"; exit 1; }
else
  SUDO=
fi

missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { log "apt-get install failed"; exit 1; }
  fi
fi

# Whether the configured sources offer a package (a candidate version, not "(none)").
configured_candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }' | grep -qv '^(none)$'; }

# The Debian archive the system's apt is configured with (its URI as written in the system's sources).
configured_debian_archive() {
  apt-get indextargets --format '$(TARGET_OF) $(LABEL) $(REPO_URI)' 2>/dev/null | awk '$1 == "deb" && $2 == "Debian" { print $3; exit }'
}

APT_DIR="$TOOLS_DIR/apt"
mkdir -p "$APT_DIR/debs"
rm -f "$APT_DIR/debs"/*.deb
if configured_candidate python3-moto; then
  log "apt-get download ${NEWER_PACKAGES[*]} (from the configured sources)"
  (cd "$APT_DIR/debs" && apt-get download -qq "${NEWER_PACKAGES[@]}" >/dev/null) || { log "apt-get download ${NEWER_PACKAGES[*]} failed"; exit 1; }
else
  ARCHIVE="$(configured_debian_archive)"
  if [ -z "$ARCHIVE" ]; then
    log "python3-moto is not in the configured apt suites, and no Debian archive is configured to read $SUITE from (run apt-get update, or add one)"
    exit 1
  fi
  # A private apt for $SUITE on the configured archive: its own source list, lists and cache under $APT_DIR.
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/preferences.d"
  echo "deb [signed-by=$KEYRING] $ARCHIVE $SUITE main" >"$APT_DIR/sources.list"
  APT_OPTS=(
    -o "Dir::Etc::SourceList=$APT_DIR/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::Etc::Preferences=/dev/null"
    -o "Dir::Etc::PreferencesParts=$APT_DIR/preferences.d"
    -o "Dir::State::Lists=$APT_DIR/lists"
    -o "Dir::Cache=$APT_DIR/cache"
    -o "APT::Sandbox::User=root"
  )
  log "python3-moto is not in the configured suites: reading $SUITE from the configured Debian archive (private apt state in $APT_DIR)"
  apt-get "${APT_OPTS[@]}" update -qq >/dev/null || { log "apt-get update of the private $SUITE source list failed"; exit 1; }
  (cd "$APT_DIR/debs" && apt-get "${APT_OPTS[@]}" download -qq "${NEWER_PACKAGES[@]}" >/dev/null) || { log "apt-get download ${NEWER_PACKAGES[*]} from $SUITE failed"; exit 1; }
fi

rm -rf "$ROOT.new"
mkdir -p "$ROOT.new"
versions=""
for deb in "$APT_DIR/debs"/*.deb; do
  dpkg -x "$deb" "$ROOT.new"
  versions+="$(dpkg-deb -f "$deb" Package Version | paste -sd' ')"$'\n'
done
rm -rf "$ROOT"
mv "$ROOT.new" "$ROOT"
# The index and the .debs are not needed any more (about 40 MB).
rm -rf "$APT_DIR/lists" "$APT_DIR/cache" "$APT_DIR/debs"

if ! version=$(import_check); then
  log "moto was unpacked but does not import:"
  echo "$version" >&2
  exit 1
fi
{
  echo "moto $version, unpacked in $ROOT:"
  printf '%s' "$versions"
  date -u +"installed %Y-%m-%dT%H:%M:%SZ"
} >"$STAMP"
log "moto $version installed in $TOOLS_DIR"
