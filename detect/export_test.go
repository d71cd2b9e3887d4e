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
