#!/usr/bin/env bash
# Builds the harness's image: the static smoke binary on the browser's image
# (images/chromium, built first when missing or out of date). Nothing is
# pulled. The image is rebuilt only when the binary, this recipe or the base
# changed (the label dev.appydex.smoke.recipe holds their hash), so an image
# never runs code older than the checkout's.
#
#   images/smoke/build.sh [IMAGE]      default IMAGE: appydex-smoke/smoke
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${1:-appydex-smoke/smoke}
base=${SMOKE_CHROMIUM_IMAGE:-appydex-smoke/chromium:bookworm}

"$root/images/chromium/build.sh" "$base"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "smoke-image: go build ./cmd/smoke (static)"
(cd "$root" && CGO_ENABLED=0 go build -buildvcs=auto -trimpath -ldflags='-s -w' -o "$work/smoke" ./cmd/smoke)
cp "$here/Dockerfile" "$work/"
recipe=$( (cd "$work" && cat Dockerfile smoke; docker image inspect --format '{{ .Id }}' "$base") | sha256sum | cut -c1-16)
if [ "$(docker image inspect --format '{{ index .Config.Labels "dev.appydex.smoke.recipe" }}' "$image" 2>/dev/null)" = "$recipe" ]; then
	echo "smoke-image: $image is up to date (recipe $recipe)"
	exit 0
fi
echo "smoke-image: docker build $image"
docker build --quiet --build-arg "BASE=$base" --label "dev.appydex.smoke.recipe=$recipe" -t "$image" "$work" >/dev/null 2>"$work/build.log" ||
	{ cat "$work/build.log" >&2; exit 1; }
docker image inspect --format "smoke-image: built {{ .RepoTags }} {{ .Size }} bytes" "$image"
