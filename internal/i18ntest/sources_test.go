package i18ntest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
)

// personFacing are the files and folders whose string literals a person
// reads unless they are developer diagnostics: a sentence there must come
// from the catalogue.
var personFacing = []string{
	"../../ui", "../../cmd/mailprobe", "../../cmd/mailsetup", "../../report",
	"../../detect/warnings.go", "../../detect/verdict.go", "../../detect/login.go", "../../detect/address.go",
	"../../detect/export.go", "../../autoconfig/apple.go", "../../i18n/words",
}

// developerCall are calls whose string arguments are for developers:
// wrapped errors, logs, panics, the defaults of flags and commands that
// the catalogue replaces (cmd/mailprobe/help.go), tests.
var developerCall = regexp.MustCompile(`^(fmt\.Errorf|errors\.New|panic|.*\.(Debug|Info|Warn|Error|Log|Logf|Errorf|Fatalf|Fatal)|.*Var|.*VarP|.*\.String|.*\.Bool|.*\.Int|exitErrorf)$`)

// TestNoSentenceOutsideCatalogue fails on an English sentence written in a
// string literal of the person-facing code, other than a developer
// diagnostic: it has to go through the catalogue (package i18n). It is what
// catches, at merge, a sentence added in English in a parallel change.
func TestNoSentenceOutsideCatalogue(t *testing.T) {
	fset := token.NewFileSet()
	for _, root := range personFacing {
		err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if info.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			skip := map[*ast.BasicLit]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				switch v := n.(type) {
				case *ast.CallExpr:
					var name string
					switch fn := v.Fun.(type) {
					case *ast.Ident:
						name = fn.Name
					case *ast.SelectorExpr:
						if x, ok := fn.X.(*ast.Ident); ok {
							name = x.Name + "." + fn.Sel.Name
						} else {
							name = "." + fn.Sel.Name
						}
					}
					if developerCall.MatchString(name) {
						ast.Inspect(v, func(m ast.Node) bool {
							if b, ok := m.(*ast.BasicLit); ok {
								skip[b] = true
							}
							return true
						})
					}
				case *ast.KeyValueExpr: // cobra's defaults, replaced by help.go
					if k, ok := v.Key.(*ast.Ident); ok && (k.Name == "Short" || k.Name == "Long" || k.Name == "Use") {
						ast.Inspect(v.Value, func(m ast.Node) bool {
							if b, ok := m.(*ast.BasicLit); ok {
								skip[b] = true
							}
							return true
						})
					}
				case *ast.FuncDecl: // Error methods: developer diagnostics, by Go's convention
					if v.Name.Name == "Error" && v.Recv != nil {
						ast.Inspect(v, func(m ast.Node) bool {
							if b, ok := m.(*ast.BasicLit); ok {
								skip[b] = true
							}
							return true
						})
					}
				case *ast.Field: // struct tags
					if v.Tag != nil {
						skip[v.Tag] = true
					}
				}
				return true
			})
			ast.Inspect(f, func(n ast.Node) bool {
				b, ok := n.(*ast.BasicLit)
				if !ok || b.Kind != token.STRING || skip[b] {
					return true
				}
				s, err := strconv.Unquote(b.Value)
				if err != nil || len(strings.Fields(s)) < 3 || strings.Contains(s, "{{") { // a template (cobra's) holds no sentence
					return true
				}
				if left := i18ntest.EnglishLeft(s, nil); len(left) > 0 {
					t.Errorf("%s: %q is English written in Go: put it in i18n/messages and say it with a Printer", fset.Position(b.Pos()), s)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// warningCode is a warning code constant of detect/warnings.go.
var warningCode = regexp.MustCompile(`Warn\w+\s*=\s*"([a-z0-9-]+)"`)

// TestEveryWarningHasWords checks that every warning code the engine
// declares has a title in every language (words.WarningTitle).
func TestEveryWarningHasWords(t *testing.T) {
	src, err := os.ReadFile("../../detect/warnings.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := warningCode.FindAllStringSubmatch(string(src), -1)
	if len(codes) < 15 {
		t.Fatalf("found %d warning codes in detect/warnings.go", len(codes))
	}
	for _, c := range codes {
		for _, l := range i18n.Langs {
			if got := words.WarningTitle(i18n.New(l), c[1]); got == c[1] {
				t.Errorf("%s: warning %q has no title (words.WarningTitle, i18n/messages label.warning.*)", l, c[1])
			}
		}
	}
}
