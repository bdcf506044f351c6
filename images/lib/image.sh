# Shared by the image builds that skip an image whose recipe is unchanged:
# source it, then call image_current IMAGE RECIPE and image_build IMAGE
# RECIPE CONTEXT [docker build args…]. A recipe is a hash of what goes into
# the image, kept in its label dev.appydex.smoke.recipe. The caller's $tag
# names it in messages; $work is a scratch folder for the build's log.

# image_current IMAGE RECIPE: is IMAGE there, built from RECIPE?
image_current() {
	[ "$(docker image inspect --format '{{ index .Config.Labels "dev.appydex.smoke.recipe" }}' "$1" 2>/dev/null)" = "$2" ]
}

# image_build IMAGE RECIPE CONTEXT [docker build args…] builds IMAGE from
# CONTEXT, labelled with RECIPE; a failed build shows docker's output.
image_build() {
	local image=$1 recipe=$2 ctx=$3
	shift 3
	docker build --quiet --label "dev.appydex.smoke.recipe=$recipe" -t "$image" "$@" "$ctx" >/dev/null 2>"$work/build.log" ||
		{ cat "$work/build.log" >&2; exit 1; }
	echo "$tag: built $image"
}

# image_base IMAGE PACKAGES DOCKERFILE builds IMAGE: a minimal bookworm
# with PACKAGES (comma separated) from Debian's packages, DOCKERFILE's
# lines over it — unless it is there already, built from the same recipe
# (the packages, DOCKERFILE and rootfs.sh). It sets base_recipe, for the
# images built on it. It needs rootfs.sh sourced, and $work.
image_base() {
	local image=$1 packages=$2 dockerfile=$3 lib
	lib=$(dirname "${BASH_SOURCE[0]}")
	base_recipe=$(printf '%s\n' "$packages" | cat - "$dockerfile" "$lib/rootfs.sh" | sha256sum | cut -c1-16)
	if image_current "$image" "$base_recipe"; then
		echo "$tag: $image is up to date (recipe $base_recipe)"
		return
	fi
	echo "$tag: debootstrap $suite with $packages (about a minute)"
	make_rootfs "$work/rootfs" "$packages"
	mkdir "$work/base"
	tar -C "$work/rootfs" --numeric-owner -cf "$work/base/rootfs.tar" .
	cp "$dockerfile" "$work/base/Dockerfile"
	image_build "$image" "$base_recipe" "$work/base"
}

# image_work makes $work, a scratch folder, removed when the script ends
# (a root file system in it unmounted first, should debootstrap have been
# interrupted). It needs rootfs.sh sourced.
image_work() {
	work=$(mktemp -d)
	trap 'unmount_rootfs "$work/rootfs"; rm -rf "$work"' EXIT
	trap 'exit 130' INT TERM
}
