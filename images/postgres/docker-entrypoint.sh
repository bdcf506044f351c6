#!/bin/sh
# Entrypoint of the registry-free PostgreSQL 15 image (see build.sh).
#
# It keeps the contract of the official postgres image that testcontainers-go
# and docker-compose files rely on, written anew for a Debian package layout:
#   - POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required unless
#     POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB (default: the user name),
#     POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD;
#   - *.sh and *.sql files in /docker-entrypoint-initdb.d run once, in name
#     order, on a temporary server that listens on the unix socket only;
#   - the server then restarts for real on port 5432, so the line
#     "database system is ready to accept connections" is logged twice on a
#     first start: a client that waits for the second one (or for the TCP
#     port) is never fooled by the temporary server.
set -eu

# "docker run image -c fsync=off" means "postgres -c fsync=off".
case "${1:-}" in
-*) set -- postgres "$@" ;;
esac

if [ "${1:-}" != postgres ]; then
	exec "$@"
fi

# Started as root: prepare the directories (a tmpfs mount arrives owned by
# root), then run this script again as the postgres user.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown -R postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	POSTGRES_USER=${POSTGRES_USER:-postgres}
	POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
	auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
		echo "error: POSTGRES_PASSWORD is not set. Set it to a non-empty value, or set POSTGRES_HOST_AUTH_METHOD=trust to allow connections without a password." >&2
		exit 1
	fi

	# The image carries a cluster made by initdb at build time with this
	# image's defaults (superuser postgres, UTF8, C.UTF-8): copying it skips
	# initdb's second of probing and writing. Any other user or initdb
	# arguments get a fresh initdb, as the official image does.
	pristine=/var/lib/postgresql/pristine
	if [ "$POSTGRES_USER" = postgres ] && [ -z "${POSTGRES_INITDB_ARGS:-}" ] && [ -s "$pristine/PG_VERSION" ]; then
		cp -a "$pristine/." "$PGDATA/"
		set_password=yes
	else
		pwfile=$(mktemp)
		printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
		# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words by contract.
		initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
			--auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} -D "$PGDATA"
		rm -f "$pwfile"
		set_password=
	fi
	# Host connections use $auth; the pristine cluster was made with scram-sha-256.
	sed -i "s/scram-sha-256\$/$auth/" "$PGDATA/pg_hba.conf"
	printf 'host all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
	# Debian's sample configuration listens on localhost only.
	printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start

	psql_init() {
		psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" "$@"
	}
	if [ -n "$set_password" ] && [ -n "${POSTGRES_PASSWORD:-}" ]; then
		psql_init --dbname postgres --set pw="$POSTGRES_PASSWORD" <<-'SQL'
			ALTER ROLE postgres PASSWORD :'pw';
		SQL
	fi
	if [ "$POSTGRES_DB" != postgres ]; then
		psql_init --dbname postgres --set db="$POSTGRES_DB" <<-'SQL'
			CREATE DATABASE :"db";
		SQL
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh) echo "running $f"; . "$f" ;;
		*.sql) echo "running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" ;;
		*.sql.gz) echo "running $f"; gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB" ;;
		*) [ -e "$f" ] && echo "ignoring $f" ;;
		esac
	done

	pg_ctl -D "$PGDATA" -m fast -w stop
	echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
