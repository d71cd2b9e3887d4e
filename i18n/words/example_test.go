package words_test

import (
	"fmt"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
)

func Example() {
	for _, l := range i18n.Langs {
		p := i18n.New(l)
		fmt.Println(words.Security(p, autoconfig.Plain), "/", words.Auth(p, nil))
	}
	// Output:
	// None / Normal password
	// Aucune / Mot de passe normal
}
