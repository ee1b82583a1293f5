# Shared by scripts/start, scripts/test and .ci/run: make a Debian/Ubuntu machine ready.
# PostgreSQL and Redis are the local ones on 127.0.0.1, started when they do not answer,
# unless DATABASE_ADMIN_URL (with DATABASE_URL...) and REDIS_URL point elsewhere.

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "Needs root (or sudo) to run: $*" >&2; return 1
  fi
}

apt_install() {
  local missing=() package
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() {
  local i
  for i in $(seq 1 60); do answers "$1" "$2" && return 0; sleep 0.5; done
  echo "Nothing answers on $1:$2" >&2; return 1
}

ensure_system_packages() {
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "Python 3.11 or newer is needed (python3 is $(python3 --version 2>&1))." >&2; exit 1; }
  command -v dpkg >/dev/null 2>&1 || return 0  # not Debian: see README, "Requirements"
  python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
  # WeasyPrint draws with Pango; gettext compiles the translations.
  apt_install libpango-1.0-0 libpangoft2-1.0-0
  command -v msgfmt >/dev/null 2>&1 || apt_install gettext
  # tests/reliability stop and start a Redis of their own, even when the shared one is
  # elsewhere.
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
}

ensure_venv() {
  [ -x .venv/bin/python ] || { say "Creating .venv"; python3 -m venv .venv; }
  if [ ! -e .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    say "Installing the Python dependencies"
    .venv/bin/pip install -q --disable-pip-version-check -e ".[dev]"
    touch .venv/.installed
  fi
}

ensure_postgres() {
  if [ -n "${DATABASE_ADMIN_URL:-}" ]; then return 0; fi  # another server: setup_database says
  answers 127.0.0.1 5432 && return 0
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  say "Starting PostgreSQL"
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for 127.0.0.1 5432
}

ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then return 0; fi
  answers 127.0.0.1 6379 && return 0
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  say "Starting Redis"
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for 127.0.0.1 6379
}

ensure_database() {
  # The three roles and the database. A fresh Debian PostgreSQL lets its superuser in only
  # through the local socket, as the postgres system user: then the same statements go
  # through psql.
  local output
  if output=$(.venv/bin/python manage.py setup_database 2>&1); then return 0; fi
  if [ -z "${DATABASE_ADMIN_URL:-}" ] && id postgres >/dev/null 2>&1; then
    .venv/bin/python manage.py setup_database --sql | as_root runuser -u postgres -- psql -q -X
  else
    echo "$output" >&2
    echo "Set DATABASE_ADMIN_URL to a superuser connection (see README)." >&2
    return 1
  fi
}

ensure_browser() {
  # The browser journeys (tests/browser) drive the distribution's chromium through
  # Playwright, which downloads nothing; DejaVu draws the accents in their screenshots.
  # Where no chromium package exists (Ubuntu ships it as a snap), they are skipped.
  # pdftoppm (poppler-utils) draws the regenerated formal notice of the deadlines journey
  # as a PNG; without it that journey stops short of the letter.
  command -v dpkg >/dev/null 2>&1 || return 0
  apt_install fonts-dejavu-core
  apt_install poppler-utils || say "No poppler-utils: the deadlines journey will not draw the letter"
  apt_install chromium || say "No chromium package: the browser journeys will be skipped"
}

compile_translations() {
  .venv/bin/python manage.py compilemessages -v0 --ignore=.venv
}

prepare() {
  ensure_system_packages
  ensure_venv
  ensure_postgres
  ensure_redis
  ensure_database
  ensure_browser
  compile_translations
}
