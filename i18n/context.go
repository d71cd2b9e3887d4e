package i18n

import "context"

type ctxKey struct{}

// NewContext returns ctx carrying p, for command-line handlers that receive
// only a context.
func NewContext(ctx context.Context, p *Printer) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the printer ctx carries; nil (English) when none.
func FromContext(ctx context.Context) *Printer {
	if ctx == nil {
		return nil
	}
	p, _ := ctx.Value(ctxKey{}).(*Printer)
	return p
}
