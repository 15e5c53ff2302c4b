package docsnippets

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the repository's top directory, two levels up.
const repoRoot = "../.."

// snippet is one fenced code block of a documentation page.
type snippet struct {
	page  string
	line  int
	lang  string
	lines []string // normalized: see normalize
}

// normalize drops each line's leading and trailing white space, so that a
// snippet matches code that indents it differently (a function body, a
// test's nested block).
func normalize(text []string) []string {
	out := make([]string, len(text))
	for i, l := range text {
		out[i] = strings.TrimSpace(l)
	}
	return out
}

// docSnippets reads the Go and C blocks of the README and docs/*.md.
func docSnippets(t *testing.T) []snippet {
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append([]string{filepath.Join(repoRoot, "README.md")}, pages...)
	var all []snippet
	for _, page := range pages {
		f, err := os.Open(page)
		if err != nil {
			t.Fatal(err)
		}
		var cur *snippet
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			switch {
			case cur == nil && strings.HasPrefix(line, "```"):
				cur = &snippet{page: page, line: n, lang: strings.TrimPrefix(line, "```")}
			case cur != nil && line == "```":
				if cur.lang == "go" || cur.lang == "c" {
					cur.lines = normalize(cur.lines)
					all = append(all, *cur)
				}
				cur = nil
			case cur != nil:
				cur.lines = append(cur.lines, line)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		if cur != nil {
			t.Errorf("%s:%d: code block never closed", page, cur.line)
		}
	}
	return all
}

// compiledSources reads the source files that `go test ./...` (Go files,
// and the C files of cgo packages) or the C/C++ build compiles: everything
// under the repository's code directories except testdata, which no build
// compiles as it stands.
func compiledSources(t *testing.T) map[string][]string {
	src := map[string][]string{}
	for _, dir := range []string{"internal", "examples", "gobindings", "cmd", "tests"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			switch filepath.Ext(path) {
			case ".go", ".c", ".cc", ".h":
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				src[path] = normalize(strings.Split(string(data), "\n"))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// contains reports whether want occurs in have as consecutive lines.
func contains(have, want []string) bool {
	for i := 0; i+len(want) <= len(have); i++ {
		match := true
		for j := range want {
			if have[i+j] != want[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// Every Go and C snippet of the documentation is a verbatim copy of code
// that a build compiles (this package, an Example test, an example
// program): a snippet that no longer compiles against the API fails here
// or in that build.
func TestEveryDocumentedSnippetCompiles(t *testing.T) {
	snippets := docSnippets(t)
	if len(snippets) < 10 {
		t.Fatalf("found %d Go and C snippets in the README and docs/; the pages have more", len(snippets))
	}
	sources := compiledSources(t)
	for _, s := range snippets {
		found := ""
		for path, lines := range sources {
			if contains(lines, s.lines) {
				found = path
				break
			}
		}
		if found == "" {
			t.Errorf("%s:%d: this %s snippet is in no compiled source file (add it, verbatim, to internal/docsnippets):\n%s",
				s.page, s.line, s.lang, strings.Join(s.lines, "\n"))
		}
	}
}
