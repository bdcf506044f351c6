#!/usr/bin/env bash
# Builds the API image from scratch: static appydex-api and appydex-migrate
# binaries in an empty image (no base to pull). The image is rebuilt only when
# the binaries changed (the label dev.appydex.smoke.recipe holds their hash).
#
#   images/api/build.sh [IMAGE]      default IMAGE: appydex-smoke/api:dev
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${1:-appydex-smoke/api:dev}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/" ./cmd/appydex-api ./cmd/appydex-migrate)
cp "$here/Dockerfile" "$work/"
recipe=$(cd "$work" && cat Dockerfile appydex-api appydex-migrate | sha256sum | cut -c1-16)
if [ "$(docker image inspect --format '{{ index .Config.Labels "dev.appydex.smoke.recipe" }}' "$image" 2>/dev/null)" = "$recipe" ]; then
	echo "api-image: $image is up to date (recipe $recipe)"
	exit 0
fi
# The legacy builder's deprecation notice is noise here: show stderr only on failure.
docker build --quiet --label "dev.appydex.smoke.recipe=$recipe" -t "$image" "$work" >/dev/null 2>"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
echo "api-image: built $image"
