package detect

// SourceTrusts returns every trust the named source is declared to be able
// to return, and its ceiling, for black-box tests.
func SourceTrusts(n SourceName) (trusts []Trust, ceiling Trust) {
	for _, s := range sources {
		if s.name == n {
			return s.trusts, s.ceiling()
		}
	}
	return nil, ""
}

// ServicesOnly reports whether the named source names services only (JMAP,
// CalDAV, CardDAV), never a mail server.
func ServicesOnly(n SourceName) bool { return n.servicesOnly() }
