package prevailtest

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the disagreement list, keeping known reasons")

const (
	suiteDir          = "../../../shared/verifier-tests"
	disagreementsFile = "../testdata/prevail-disagreements.txt"
)

// TestPrevailSuite runs every comparable case of PREVAIL's YAML suite and
// compares accept/reject. Every disagreement must be listed, with its
// reason, in testdata/prevail-disagreements.txt; a listed case that now
// agrees must be removed from it (run with -update).
func TestPrevailSuite(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(suiteDir, "*.yaml"))
	if len(files) == 0 {
		t.Skip("PREVAIL suite not found at " + suiteDir)
	}
	reasons := readReasons(t)
	var matrix [2][2]int // [prevail rejects][we reject]
	var disagree []string
	total := 0
	for _, f := range files {
		cases, err := ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if c.Exception != "" {
				continue
			}
			total++
			key := filepath.Base(f) + ": " + c.Name
			res, err := Verify(c)
			weReject := true
			detail := ""
			if err != nil {
				detail = "harness: " + err.Error()
			} else {
				weReject = len(res.Diagnostics) > 0
				if weReject {
					detail = res.Diagnostics[0].Message
				}
			}
			theyReject := c.Rejected()
			matrix[b2i(theyReject)][b2i(weReject)]++
			if theyReject != weReject {
				disagree = append(disagree, key)
				if _, ok := reasons[key]; !ok {
					verdict := "we reject, PREVAIL accepts"
					if theyReject {
						verdict = "we accept, PREVAIL rejects"
					}
					reasons[key] = fmt.Sprintf("TODO (%s) %s | PREVAIL: %s", verdict, detail, strings.Join(c.Messages, "; "))
				}
			}
		}
	}
	agree := matrix[0][0] + matrix[1][1]
	t.Logf("PREVAIL suite: %d cases, %d agree (%.1f%%)", total, agree, 100*float64(agree)/float64(total))
	t.Logf("  PREVAIL accepts: we accept %d, we reject %d", matrix[0][0], matrix[0][1])
	t.Logf("  PREVAIL rejects: we accept %d, we reject %d", matrix[1][0], matrix[1][1])
	if float64(agree) < 0.95*float64(total) {
		t.Errorf("agreement %d/%d is below 95%%", agree, total)
	}
	sort.Strings(disagree)
	if *update {
		writeReasons(t, disagree, reasons)
		return
	}
	listed := map[string]bool{}
	for _, k := range disagree {
		listed[k] = true
		r, ok := reasons[k]
		switch {
		case !ok:
			t.Errorf("unlisted disagreement: %s", k)
		case strings.HasPrefix(r, "TODO"):
			t.Errorf("disagreement without a reason: %s: %s", k, r)
		}
	}
	for k := range readReasons(t) {
		if !listed[k] {
			t.Errorf("listed disagreement now agrees (run -update): %s", k)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The disagreement file has one line per case: "file: case name\treason".
func readReasons(t *testing.T) map[string]string {
	m := map[string]string{}
	f, err := os.Open(disagreementsFile)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, r, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("%s: malformed line %q", disagreementsFile, l)
		}
		m[k] = r
	}
	return m
}

func writeReasons(t *testing.T, keys []string, reasons map[string]string) {
	var b strings.Builder
	b.WriteString("# Cases of PREVAIL's YAML suite (../shared/verifier-tests) where bpf2native's\n")
	b.WriteString("# verifier and PREVAIL disagree on accept/reject, one per line:\n")
	b.WriteString("# \"file: case name<TAB>reason\". Maintained by\n")
	b.WriteString("# go test ./verifier/prevailtest -run PrevailSuite -update (reasons are kept).\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s\t%s\n", k, reasons[k])
	}
	if err := os.WriteFile(disagreementsFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
