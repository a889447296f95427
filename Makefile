# bpf2native: the two commands a fresh machine needs are `make sample` (the
# main job on the bundled sample) and `make test` (the whole suite). Both
# install what they need first (scripts/deps.sh).

GO ?= go
SHARED ?= ../shared
BIN := bin/bpf2native
SAMPLE := testdata/xdp_parse.o
SAMPLE_PACKET := testdata/packets/ipv4_tcp.bin

.PHONY: all deps build sample test go-test conformance testdata testdata-fresh fuzz bench clean

all: build

deps:
	@scripts/deps.sh

build:
	$(GO) build -o $(BIN) ./cmd/bpf2native

# The main job on the bundled sample. Until native code generation lands this
# is: describe the object, then run its firewall program on a packet.
sample: build
	$(BIN) inspect $(SAMPLE)
	$(BIN) run --program xdp_firewall --input $(SAMPLE_PACKET) $(SAMPLE)

test: deps build
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(MAKE) testdata-fresh
	$(MAKE) conformance
	$(GO) test -count=1 ./...

# The external conformance suite through the CLI, as a user would run it.
conformance: build
	$(BIN) conformance --engine interp $(SHARED)/conformance/tests

# eBPF test objects (testdata/*.o, *.v4.o); the rules live in testdata/Makefile.
testdata:
	$(MAKE) -C testdata

# Fails if a committed object differs from a fresh build of its source.
testdata-fresh:
	$(MAKE) -s -C testdata repro gcc-check

clean:
	rm -rf bin
