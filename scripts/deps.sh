#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when missing.
# Tests that need clang or llvm tools must run, never skip, so the suite
# installs them itself instead of asking the developer to.
set -euo pipefail

need=()
command -v clang-19 >/dev/null 2>&1 || need+=(clang-19)
command -v llvm-objdump-19 >/dev/null 2>&1 || need+=(llvm-19)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v make >/dev/null 2>&1 || need+=(make)
command -v osslsigncode >/dev/null 2>&1 || need+=(osslsigncode)
# arm64: the package tests run as arm64 binaries under qemu-user (make
# test-arm64), cgo cross-builds with the aarch64 cross compiler, whose libc
# the C-linking test links statically.
command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.a ] || need+=(libc6-dev-arm64-cross)

if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "deps: missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
		exit 1
	fi
	sudo=sudo
fi
echo "deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
