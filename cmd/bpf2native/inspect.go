package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/platform"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "list the programs, maps, globals and helpers of an eBPF object, a native object or a driver (with its signer)",
		ArgsUsage: "OBJ",
		Flags:     platformFlags(),
		Action: func(c *cli.Context) error {
			path, err := oneObject(c)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			win, err := platformNamed(platform.Windows, c.String("program-types"))
			if err != nil {
				return err
			}
			if done, err := inspectArtifact(c.App.Writer, path, data, win); done || err != nil {
				return err
			}
			mod, plat, err := loadObject(c)
			if err != nil {
				return err
			}
			w := c.App.Writer
			fmt.Fprintf(w, "object %s\nplatform %s\nlicense %q\n", mod.Source, mod.Platform, mod.License)
			fmt.Fprintf(w, "programs %d\n", len(mod.Programs))
			for _, p := range mod.Programs {
				typ := p.Type
				if typ == "" {
					typ = "unknown"
				}
				fmt.Fprintf(w, "  %s section=%s type=%s instructions=%d functions=%d\n",
					p.Name, p.Section, typ, len(p.Insns), len(p.Funcs))
				if len(p.Helpers) > 0 {
					names := make([]string, len(p.Helpers))
					for i, id := range p.Helpers {
						names[i] = fmt.Sprintf("%d", id)
						if n := plat.HelperName(id); n != "" {
							names[i] = fmt.Sprintf("%s(%d)", n, id)
						}
					}
					fmt.Fprintf(w, "    helpers %s\n", strings.Join(names, " "))
				}
				if len(p.MapRefs) > 0 {
					names := make([]string, len(p.MapRefs))
					for i, m := range p.MapRefs {
						names[i] = mod.Maps[m].Name
					}
					fmt.Fprintf(w, "    maps %s\n", strings.Join(names, " "))
				}
			}
			var maps, globals int
			for _, m := range mod.Maps {
				if m.IsGlobal() {
					globals++
				} else {
					maps++
				}
			}
			fmt.Fprintf(w, "maps %d\n", maps)
			for _, m := range mod.Maps {
				if !m.IsGlobal() {
					fmt.Fprintf(w, "  %s\n", strings.TrimPrefix(m.String(), "map "))
				}
			}
			fmt.Fprintf(w, "globals %d\n", globals)
			for _, m := range mod.Maps {
				if m.IsGlobal() {
					fmt.Fprintf(w, "  %s\n", strings.TrimPrefix(m.String(), "global "))
				}
			}
			return nil
		},
	}
}
