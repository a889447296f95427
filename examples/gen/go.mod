module github.com/bpf2native/bpf2native/examples/gen

go 1.26

require github.com/bpf2native/bpf2native v0.0.0

require (
	github.com/alessio/shellescape v1.4.1 // indirect
	github.com/cilium/ebpf v0.22.0 // indirect
	github.com/cpuguy83/go-md2man/v2 v2.0.7 // indirect
	github.com/danieljoos/wincred v1.2.0 // indirect
	github.com/godbus/dbus/v5 v5.1.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/howeyc/gopass v0.0.0-20210920133722-c8aef6fb66ef // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/sassoftware/relic/v7 v7.6.2 // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
	github.com/twitchyliquid64/golang-asm v0.15.1 // indirect
	github.com/urfave/cli/v2 v2.27.7 // indirect
	github.com/xrash/smetrics v0.0.0-20240521201337-686a1a2994c1 // indirect
	github.com/zalando/go-keyring v0.2.3 // indirect
	golang.org/x/arch v0.23.0 // indirect
	golang.org/x/crypto v0.46.0 // indirect
	golang.org/x/sys v0.43.0 // indirect
	golang.org/x/term v0.38.0 // indirect
	software.sslmate.com/src/go-pkcs12 v0.4.0 // indirect
)

// The generator is a tool of this module, so that go:generate runs the
// version go.mod names (here: this checkout).
tool github.com/bpf2native/bpf2native/cmd/bpf2native

replace github.com/bpf2native/bpf2native => ../..
