# Shared by tools/run, tools/test and tools/db. Sourced, not run.
# shellcheck shell=bash

CG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CG_STATE=${CG_STATE_DIR:-$CG_ROOT/state}

# Debian packages the build, the tests and the development run need.
CG_BUILD_PACKAGES=(
	build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
	libevent-dev libmariadb-dev libyaml-dev libssl-dev libcurl4-openssl-dev
	libjansson-dev libargon2-dev libsecp256k1-dev libqrencode-dev
	libcriterion-dev abigail-tools
	mariadb-server mariadb-client
	curl python3
)

cg_say() { printf '==> %s\n' "$*" >&2; }
cg_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

cg_sudo() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs whatever Debian packages are missing; quiet when all are there.
cg_install_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	cg_say "installing Debian packages: ${missing[*]}"
	cg_sudo apt-get update -qq
	# Keep the distribution's MariaDB service from starting: we run our own.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | cg_sudo tee /usr/sbin/policy-rc.d >/dev/null
		cg_sudo chmod 755 /usr/sbin/policy-rc.d
		local created_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive cg_sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2
	[ -n "${created_policy:-}" ] && cg_sudo rm -f /usr/sbin/policy-rc.d
	return 0
}

# Configures (once) and builds a meson build directory.
#   cg_build DIR [meson setup args…]
cg_build() {
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		cg_say "configuring $dir"
		meson setup "$dir" "$CG_ROOT" "$@" >&2 || return 1
	elif [ -n "$(find "$CG_ROOT" -path "$CG_ROOT/build*" -prune -o \
		-name meson.build -newer "$dir/build.ninja" -print -quit)" ]; then
		# Areas are found with fs.exists(), which meson does not track:
		# a meson.build newer than the build means a new area may exist.
		meson setup --reconfigure "$dir" "$CG_ROOT" >&2 || return 1
	fi
	cg_say "building $dir"
	ninja -C "$dir" >&2
}

# Colon-separated list of the plugin folders of a build directory.
cg_plugin_path() {
	local dir=$1
	find "$dir/plugins" -mindepth 1 -maxdepth 1 -type d 2>/dev/null |
		sort | paste -sd: -
}
