package i18n_test

import (
	"fmt"
	"time"

	"github.com/mailsetup/mailsetup/i18n"
)

func Example() {
	getenv := func(k string) string { return map[string]string{"LANG": "fr_FR.UTF-8"}[k] }
	lang, _ := i18n.Choose("", getenv, "")
	p := i18n.New(lang)
	fmt.Println(p.T("reason.dir.unsafe"))
	fmt.Println(p.Date(time.Date(2026, time.December, 6, 0, 0, 0, 0, time.UTC)))
	// Output:
	// Aucun serveur n’a passé les contrôles de sécurité.
	// 6 décembre 2026
}
