#!/usr/bin/env bash
# Makes sure the container source has a PostgreSQL 15 image, before tests run:
#   - no Docker Engine answers: nothing to do (tests use the local binaries);
#   - the image is present: nothing to do;
#   - it can be pulled: pulled;
#   - else, for the default image, build appydex-smoke/postgres:15 from
#     Debian's packages (build.sh), which pgenv uses when postgres:15 is absent.
# The image is $SMOKE_PG_IMAGE, default postgres:15.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
image=${SMOKE_PG_IMAGE:-postgres:15}
local_image=appydex-smoke/postgres:15

if ! docker info >/dev/null 2>&1; then
	echo "pg-image: no Docker Engine answers; tests use PostgreSQL's local binaries"
	exit 0
fi
if docker image inspect "$image" >/dev/null 2>&1; then
	exit 0
fi
# The default image is absent. A local build made earlier is kept current
# (build.sh rebuilds only when its recipe changed).
if [ "$image" = postgres:15 ] && docker image inspect "$local_image" >/dev/null 2>&1; then
	exec "$here/build.sh" "$local_image"
fi
if [ "$image" != "$local_image" ] && timeout 120 docker pull --quiet "$image" >/dev/null 2>&1; then
	echo "pg-image: pulled $image"
	exit 0
fi
case "$image" in
postgres:15 | "$local_image")
	echo "pg-image: $image cannot be pulled here; building $local_image from Debian's packages"
	exec "$here/build.sh" "$local_image"
	;;
*)
	echo "pg-image: $image is not on this machine and cannot be pulled; unset SMOKE_PG_IMAGE to use postgres:15 (or the image make pg-image builds)" >&2
	exit 2
	;;
esac
