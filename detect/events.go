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
)

// Event is one step of progress. Exactly one of Source and Server is set.
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
}
