#!/usr/bin/env bash
# Builds a headless Chromium image from Debian's packages, without any
# registry: debootstrap a minimal bookworm with chromium and a font, then a
# FROM scratch Dockerfile around it. The harness runs it when the host has
# no Chromium (harness/browser/container).
#
#   images/chromium/build.sh [IMAGE]      default IMAGE: appydex-smoke/chromium:bookworm
#
# The build is skipped when IMAGE exists and was built from this same recipe
# (the label dev.appydex.smoke.recipe holds a hash of this folder). The Debian
# mirror is read from this machine's apt configuration; set DEBIAN_MIRROR to
# override it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
image=${1:-appydex-smoke/chromium:bookworm}
tag=chromium-image
# shellcheck source=../lib/rootfs.sh
. "$here/../lib/rootfs.sh"

recipe=$(cat "$here/build.sh" "$here/Dockerfile" "$here/../lib/rootfs.sh" | sha256sum | cut -c1-16)
if have=$(docker image inspect --format '{{ index .Config.Labels "dev.appydex.smoke.recipe" }}' "$image" 2>/dev/null) &&
	[ "$have" = "$recipe" ]; then
	echo "chromium-image: $image is up to date (recipe $recipe)"
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

echo "chromium-image: debootstrap $suite (about a minute)"
make_rootfs "$root" fonts-dejavu-core
# chromium is installed by apt inside the new root, not by debootstrap's
# --include: debootstrap configures packages in an order that fails for
# chromium's desktop dependencies (dconf-service).
echo "chromium-image: apt-get install chromium (about a minute; the packages are about 100 MB)"
mirror=${DEBIAN_MIRROR:-$(apt_mirror | head -n 1)}
echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
# Chromium's security fixes come only through the security suite: this
# machine's, or the one beside the mirror ($DEBIAN_SECURITY_MIRROR overrides).
security=${DEBIAN_SECURITY_MIRROR:-$(suite=$suite-security apt_mirror | head -n 1)}
security=${security:-${mirror%/debian}/debian-security}
echo "deb $security $suite-security main" >>"$root/etc/apt/sources.list"
mount -t proc proc "$root/proc"
if ! chroot "$root" /bin/sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium' 2>&1 |
	show_progress "apt-get install chromium" "$work/apt.log"; then
	tail -n 30 "$work/apt.log" >&2
	echo "chromium-image: apt-get install chromium failed; the log is above" >&2
	exit 1
fi
umount "$root/proc"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
	"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*

ctx=$work/context
mkdir "$ctx"
tar -C "$root" --numeric-owner -cf "$ctx/rootfs.tar" .
cp "$here/Dockerfile" "$ctx/"

echo "chromium-image: docker build $image"
docker build --quiet --label "dev.appydex.smoke.recipe=$recipe" -t "$image" "$ctx" >/dev/null 2>"$work/build.log" ||
	{ cat "$work/build.log" >&2; exit 1; }
docker image inspect --format "chromium-image: built {{ .RepoTags }} {{ .Size }} bytes" "$image"
