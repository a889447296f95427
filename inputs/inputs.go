// Package inputs generates inputs for differential testing of eBPF
// programs: packets of every shape a parser must survive, reproducibly from
// a seed.
package inputs

import (
	"bytes"
	"math/rand"
)

// Packets returns inputs for programs that read packets: random bytes of
// every length from 0 to small, large random packets up to a full frame,
// and well-formed frames (a quarter of them cut short at a random point),
// so both the early rejections and the deep paths of a parser run.
func Packets(rng *rand.Rand, small, large, frames int) [][]byte {
	var packets [][]byte
	random := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	for n := 0; n <= small; n++ {
		packets = append(packets, random(n))
	}
	for i := 0; i < large; i++ {
		packets = append(packets, random(small+rng.Intn(1536-small)))
	}
	for i := 0; i < frames; i++ {
		p := Frame(rng)
		if rng.Intn(4) == 0 {
			p = p[:rng.Intn(len(p)+1)]
		}
		packets = append(packets, p)
	}
	return packets
}

// Frame builds an Ethernet frame (optionally VLAN-tagged) holding
// IPv4 (with options, sometimes fragmented) or IPv6 (sometimes with a
// hop-by-hop header), then TCP, UDP or another protocol, then a payload.
func Frame(rng *rand.Rand) []byte {
	var b bytes.Buffer
	mac := make([]byte, 12)
	rng.Read(mac)
	b.Write(mac)
	if rng.Intn(5) == 0 {
		b.Write([]byte{0x81, 0x00, byte(rng.Intn(16)), byte(rng.Intn(256))})
	}
	protos := []byte{6, 17, 1, 47}
	proto := protos[rng.Intn(len(protos))]
	switch rng.Intn(6) {
	case 0: // not IP
		b.Write([]byte{0x08, 0x06})
	case 1, 2: // IPv6
		b.Write([]byte{0x86, 0xdd})
		next := proto
		if rng.Intn(3) == 0 {
			next = 0 // hop-by-hop first
		}
		hdr := []byte{0x60, 0, 0, 0, 0, 40, next, 64}
		b.Write(hdr)
		addrs := make([]byte, 32)
		rng.Read(addrs)
		b.Write(addrs)
		if next == 0 {
			b.Write([]byte{proto, 0, 0, 0, 0, 0, 0, 0})
		}
	default: // IPv4
		b.Write([]byte{0x08, 0x00})
		opts := rng.Intn(4) * 4
		ihl := byte(5 + opts/4)
		frag := uint16(0)
		if rng.Intn(6) == 0 {
			frag = uint16(rng.Intn(0x2000)) | 0x2000
		}
		hdr := []byte{0x40 | ihl, 0, 0, 60, byte(rng.Intn(256)), byte(rng.Intn(256)),
			byte(frag >> 8), byte(frag), byte(1 + rng.Intn(255)), proto, 0, 0}
		b.Write(hdr)
		addrs := make([]byte, 8)
		rng.Read(addrs)
		b.Write(addrs)
		b.Write(make([]byte, opts))
	}
	switch proto {
	case 6:
		tcp := make([]byte, 20)
		rng.Read(tcp)
		tcp[12] = 0x50
		b.Write(tcp)
	case 17:
		udp := make([]byte, 8)
		rng.Read(udp)
		b.Write(udp)
	}
	payload := make([]byte, rng.Intn(64))
	rng.Read(payload)
	b.Write(payload)
	return b.Bytes()
}
