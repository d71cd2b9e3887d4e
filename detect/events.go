package detect

import "time"

// EventKind says what an [Event] reports.
type EventKind string

// The kinds of progress event, in the order they can happen for one item.
const (
	EventSourceStarted  EventKind = "source-started"
	EventSourceFinished EventKind = "source-finished"
	EventProbeStarted   EventKind = "probe-started"
	EventProbeFinished  EventKind = "probe-finished"
	// EventAnswer comes once per run, as soon as the recommendation is
	// final: both directions' recommended servers are verified and nothing
	// still running could outrank them, or nothing can be recommended any
	// more (only probes that can never verify their server are left: of
	// plaintext servers, or of keys the TLSA records reject), or the run
	// has ended. The run goes on for a short grace to complete the report
	// (alternatives, sources that corroborate), which changes neither
	// recommended server.
	EventAnswer EventKind = "answer"
)

// Event is one step of progress. Exactly one of Source, Server and Answer
// is set.
// Events are delivered one at a time, in order, from a goroutine of the
// engine; a handler must not block for long.
type Event struct {
	Kind EventKind
	// At is the time since the run started.
	At time.Duration
	// Source is set for source events; Status is "running" when started.
	Source *SourceReport
	// Server is set for probe events; its Probe is filled when finished.
	Server *Server
	// Answer is set for the answer event.
	Answer *Answer
}

// Answer is the final recommendation, delivered by [EventAnswer] before
// the report is complete. Its servers are those the report will mark
// recommended, as known when the answer was proven: the report may name
// more sources for them.
type Answer struct {
	// Incoming and Outgoing are the recommended servers, nil for a
	// direction with none.
	Incoming, Outgoing *Server
}
