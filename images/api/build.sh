#!/usr/bin/env bash
# Builds the API image from scratch: a static appydex-api binary in an empty
# image (no base to pull).
#
#   images/api/build.sh [IMAGE]      default IMAGE: appydex-smoke/api:dev
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${1:-appydex-smoke/api:dev}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/appydex-api" ./cmd/appydex-api)
cp "$here/Dockerfile" "$work/"
# The legacy builder's deprecation notice is noise here: show stderr only on failure.
docker build --quiet -t "$image" "$work" >/dev/null 2>"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
echo "api-image: built $image"
