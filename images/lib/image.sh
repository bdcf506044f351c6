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
