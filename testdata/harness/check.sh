#!/bin/sh
# Proves the gcc oracle driver works: builds it for known programs and compares the
# output on hand-made inputs with values computed independently (zlib CRC-32 check
# values, an IPv4 header checksum computed by hand); then builds every entry listed
# in ../ORACLE_ENTRIES with AddressSanitizer and UBSan and runs it over crafted and
# pseudo-random packets, so an out-of-bounds access or undefined behaviour in any
# oracle program fails the check. Run from anywhere; needs gcc and awk.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
CC=${GCC:-gcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# record HEX: one input record (4-byte little-endian length, then the bytes).
record() {
	LC_ALL=C awk -v hex="$1" 'BEGIN {
		n = length(hex) / 2;
		printf "%c%c%c%c", n % 256, int(n / 256) % 256, 0, 0;
		for (i = 1; i < length(hex); i += 2)
			printf "%c", (index("0123456789abcdef", substr(hex, i, 1)) - 1) * 16 + \
				index("0123456789abcdef", substr(hex, i + 1, 1)) - 1;
	}'
}

# build FILE ENTRY KIND OUT [extra gcc flags]: the documented oracle build.
build() {
	file=$1 entry=$2 kind=$3 out=$4
	shift 4
	$CC -O2 -fno-strict-aliasing -fwrapv -I../include "$@" \
		-include "../$file" -DENTRY="$entry" -D"$kind" driver.c -o "$out"
}

expect() {
	name=$1 want=$2 got=$3
	if [ "$want" != "$got" ]; then
		printf 'FAIL %s\nwant:\n%s\ngot:\n%s\n' "$name" "$want" "$got" >&2
		exit 1
	fi
	echo "ok   $name"
}

# 1. sample context: CRC-32 check values ("123456789", the quick brown fox, empty).
build crc32.c sample_crc32 CTX_SAMPLE "$tmp/crc"
got=$({ record 313233343536373839
	record 54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f67
	record ""; } | "$tmp/crc")
expect "crc32.c sample_crc32" "3421780262 313233343536373839
1095738169 54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f67
0 " "$got"

# 2. xdp context, packet rewritten: MACs swapped, TTL 64 -> 63, checksum f8b6 -> f9b6.
pkt=00112233445566778899aabb080045000028000100004006f8b6c0a80001c0a800c7d431005000000001000000005002200000000000
reflected=66778899aabb001122334455080045000028000100003f06f9b6c0a80001c0a800c7d431005000000001000000005002200000000000
build xdp_rewrite.c xdp_reflect CTX_XDP "$tmp/reflect"
got=$({ record $pkt; record 0102030405; } | "$tmp/reflect")
expect "xdp_rewrite.c xdp_reflect" "3 $reflected
2 0102030405" "$got"

# 3. xdp context, checksum repaired: a corrupted checksum is fixed (XDP_TX = 3), a
#    correct one passes untouched (XDP_PASS = 1).
corrupt=00112233445566778899aabb08004500002800010000400607b6c0a80001c0a800c7d431005000000001000000005002200000000000
build xdp_rewrite.c xdp_fix_csum CTX_XDP "$tmp/fix"
got=$({ record $corrupt; record $pkt; } | "$tmp/fix")
expect "xdp_rewrite.c xdp_fix_csum" "3 $pkt
1 $pkt" "$got"

# 4. Every oracle entry under the sanitizers (without -fwrapv, so that a signed
#    overflow is reported rather than defined away). Alignment is not checked: packet
#    headers sit at any offset, which eBPF and x86 allow.
{
	record "$pkt"
	record "$corrupt"
	record 8100000a86dd # truncated VLAN + IPv6
	record 0011223344556677889900110800450000280001200040110000c0a80001c0a800c7d4310013000800000000 # IPv4 UDP, more fragments
	record 00112233445566778899aabb86dd6000000000200040fe800000000000000000000000000001fe80000000000000000000000000000206000000000000000017005000000000000000005002010000000000 # IPv6 hop-by-hop + TCP
	record 474554202f20485454502f312e310d0a # "GET / HTTP/1.1\r\n"
	record ""
	LC_ALL=C awk 'BEGIN {
		srand(1);
		for (r = 0; r < 40; r++) {
			n = (r < 20) ? r : int(rand() * 1600);
			printf "%c%c%c%c", n % 256, int(n / 256), 0, 0;
			for (i = 0; i < n; i++) printf "%c", int(rand() * 256);
		}
	}'
} > "$tmp/inputs"

sed 's/#.*//' ../ORACLE_ENTRIES | while read -r file entry kind; do
	[ -n "$file" ] || continue
	$CC -O1 -g -fno-strict-aliasing -I../include -fsanitize=address,undefined \
		-fno-sanitize=alignment -fno-sanitize-recover=all \
		-include "../$file" -DENTRY="$entry" -D"$kind" driver.c -o "$tmp/san"
	lines=$("$tmp/san" < "$tmp/inputs" | wc -l)
	[ "$lines" -eq 47 ] || { echo "FAIL $file $entry: $lines output lines" >&2; exit 1; }
	echo "ok   $file $entry under ASan/UBSan (47 inputs)"
done
echo "harness check passed"
