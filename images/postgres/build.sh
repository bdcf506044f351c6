#!/usr/bin/env bash
# Builds a PostgreSQL 15 image from Debian's packages, without any registry:
# debootstrap a minimal bookworm root with postgresql-15, then a FROM scratch
# Dockerfile around it. The image keeps the official postgres image's contract
# (see docker-entrypoint.sh), so testcontainers-go's postgres module runs it.
#
#   images/postgres/build.sh [IMAGE]      default IMAGE: appydex-smoke/postgres:15
#
# The build is skipped when IMAGE exists and was built from this same recipe
# (the label dev.appydex.smoke.recipe holds a hash of this folder). The Debian
# mirror is read from this machine's apt configuration; set DEBIAN_MIRROR to
# override it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
image=${1:-appydex-smoke/postgres:15}
suite=bookworm

recipe=$(cat "$here/build.sh" "$here/Dockerfile" "$here/docker-entrypoint.sh" | sha256sum | cut -c1-16)
if have=$(docker image inspect --format '{{ index .Config.Labels "dev.appydex.smoke.recipe" }}' "$image" 2>/dev/null) &&
	[ "$have" = "$recipe" ]; then
	echo "pg-image: $image is up to date (recipe $recipe)"
	exit 0
fi

# The first "deb" source of this machine's apt configuration that serves the
# suite, in deb822 (*.sources) or one-line (*.list) form.
apt_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$suite" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") {
					split(uris, u, " "); print u[1]; found = 1; exit
				}
				types = ""; suites = ""; uris = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^Types:/  { sub(/^Types:[ \t]*/, ""); types = $0 }
			/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
			/^URIs:/   { sub(/^URIs:[ \t]*/, ""); uris = $0 }
			END { if (!found) flush() }
		' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI suite components...
		sed -E 's/\[[^]]*\]//' "$f" | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
	done
}

mirror=${DEBIAN_MIRROR:-$(apt_mirror | head -n 1)}
if [ -z "$mirror" ]; then
	echo "pg-image: no Debian mirror for $suite found in /etc/apt; set DEBIAN_MIRROR=<mirror URL> and run again" >&2
	exit 2
fi

if ! command -v debootstrap >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "pg-image: installing debootstrap"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	else
		echo "pg-image: debootstrap is missing; install it (apt-get install debootstrap) and run again" >&2
		exit 2
	fi
fi

work=$(mktemp -d)
cleanup() {
	# An interrupted debootstrap can leave proc and sys mounted in the root.
	local m
	for m in proc sys dev/pts dev; do
		mountpoint -q "$work/rootfs/$m" 2>/dev/null && umount -l "$work/rootfs/$m"
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
root=$work/rootfs

echo "pg-image: debootstrap $suite with postgresql-15 (about a minute)"
debootstrap --variant=minbase --include=postgresql-15 "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
	tail -n 30 "$work/debootstrap.log" >&2
	echo "pg-image: debootstrap failed; the log is above" >&2
	exit 1
}

# The package's post-install created a cluster the image does not use: the
# entrypoint makes its own in $PGDATA.
rm -rf "$root/var/lib/postgresql/15" "$root/etc/postgresql/15"
mkdir -p "$root/docker-entrypoint-initdb.d" "$root/var/lib/postgresql/data"
chroot "$root" chown postgres:postgres /var/lib/postgresql/data
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
	"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
	"$root"/usr/share/locale/*

ctx=$work/context
mkdir "$ctx"
tar -C "$root" --numeric-owner -cf "$ctx/rootfs.tar" .
cp "$here/Dockerfile" "$here/docker-entrypoint.sh" "$ctx/"

echo "pg-image: docker build $image"
docker build --quiet --label "dev.appydex.smoke.recipe=$recipe" -t "$image" "$ctx" >/dev/null 2>"$work/build.log" ||
	{ cat "$work/build.log" >&2; exit 1; }
docker image inspect --format "pg-image: built {{ .RepoTags }} {{ .Size }} bytes" "$image"
