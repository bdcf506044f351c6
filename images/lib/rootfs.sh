# Shared by the image builds that assemble a root file system from Debian's
# packages, so that no registry is needed: source it, then call
# make_rootfs ROOT PACKAGES (comma separated). The Debian mirror is read
# from this machine's apt configuration; DEBIAN_MIRROR overrides it.

suite=bookworm

# apt_mirror prints the first "deb" source of this machine's apt
# configuration that serves the suite, in deb822 (*.sources) or one-line
# (*.list) form.
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

# make_rootfs ROOT PACKAGES debootstraps a minimal bookworm into ROOT with
# PACKAGES (comma separated), then drops what an image does not need. The
# caller's $tag names it in messages.
make_rootfs() {
	local root=$1 packages=$2 mirror log
	mirror=${DEBIAN_MIRROR:-$(apt_mirror | head -n 1)}
	if [ -z "$mirror" ]; then
		echo "$tag: no Debian mirror for $suite found in /etc/apt; set DEBIAN_MIRROR=<mirror URL> and run again" >&2
		return 2
	fi
	if ! command -v debootstrap >/dev/null; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
			echo "$tag: installing debootstrap"
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
		else
			echo "$tag: debootstrap is missing; install it (apt-get install debootstrap) and run again" >&2
			return 2
		fi
	fi
	log=$(dirname "$root")/debootstrap.log
	if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" 2>&1 | show_progress debootstrap "$log"; then
		tail -n 30 "$log" >&2
		echo "$tag: debootstrap failed; the log is above" >&2
		return 1
	fi
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
		"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
		"$root"/usr/share/locale/*
}

# unmount_rootfs ROOT undoes the mounts an interrupted debootstrap can leave.
unmount_rootfs() {
	local m
	for m in proc sys dev/pts dev; do
		mountpoint -q "$1/$m" 2>/dev/null && umount -l "$1/$m"
	done
	return 0
}

# show_progress WHAT LOG reads a package tool's output (debootstrap's or
# apt-get's) into LOG and says how far along it is, as packages are
# fetched, unpacked and set up: a line every 10 s, and one at the end.
show_progress() {
	local what=$1 log=$2 line fetched=0 unpacked=0 configured=0 start=$SECONDS last=$SECONDS
	: >"$log"
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$log"
		case $line in
		"I: Retrieving "* | Get:*) fetched=$((fetched + 1)) ;;
		"I: Extracting "* | "I: Unpacking "* | "Unpacking "*) unpacked=$((unpacked + 1)) ;;
		"I: Configuring "* | "Setting up "*) configured=$((configured + 1)) ;;
		esac
		if ((SECONDS - last >= 10)); then
			echo "$tag: $what: $fetched packages fetched, $unpacked unpacked, $configured set up ($((SECONDS - start)) s)"
			last=$SECONDS
		fi
	done
	echo "$tag: $what: done: $fetched packages fetched, $unpacked unpacked, $configured set up ($((SECONDS - start)) s)"
}
