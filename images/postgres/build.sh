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
tag=pg-image
# shellcheck source=../lib/rootfs.sh
. "$here/../lib/rootfs.sh"

recipe=$(cat "$here/build.sh" "$here/Dockerfile" "$here/docker-entrypoint.sh" "$here/../lib/rootfs.sh" | sha256sum | cut -c1-16)
if have=$(docker image inspect --format '{{ index .Config.Labels "dev.appydex.smoke.recipe" }}' "$image" 2>/dev/null) &&
	[ "$have" = "$recipe" ]; then
	echo "pg-image: $image is up to date (recipe $recipe)"
	exit 0
fi

work=$(mktemp -d)
cleanup() {
	unmount_rootfs "$work/rootfs"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
root=$work/rootfs

echo "pg-image: debootstrap $suite with postgresql-15 (about a minute)"
make_rootfs "$root" postgresql-15

# The package's post-install created a cluster the image does not use: the
# entrypoint makes its own in $PGDATA.
rm -rf "$root/var/lib/postgresql/15" "$root/etc/postgresql/15"
mkdir -p "$root/docker-entrypoint-initdb.d" "$root/var/lib/postgresql/data"
chroot "$root" chown postgres:postgres /var/lib/postgresql/data

ctx=$work/context
mkdir "$ctx"
tar -C "$root" --numeric-owner -cf "$ctx/rootfs.tar" .
cp "$here/Dockerfile" "$here/docker-entrypoint.sh" "$ctx/"

echo "pg-image: docker build $image"
docker build --quiet --label "dev.appydex.smoke.recipe=$recipe" -t "$image" "$ctx" >/dev/null 2>"$work/build.log" ||
	{ cat "$work/build.log" >&2; exit 1; }
docker image inspect --format "pg-image: built {{ .RepoTags }} {{ .Size }} bytes" "$image"
