package emit

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// Progress reports long steps on stderr: a live, rewritten line on a terminal,
// plain lines otherwise, nothing with --quiet.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	quiet    bool
	last     time.Time
	live     bool
}

// NewProgress returns a Progress for w; terminal says whether w is a terminal.
func NewProgress(w io.Writer, terminal, quiet bool) *Progress {
	return &Progress{w: w, terminal: terminal, quiet: quiet}
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Step announces the start of a step.
func (p *Progress) Step(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLive()
	fmt.Fprintf(p.w, "emit: "+format+"\n", args...)
}

// Warn prints a warning line, also with --quiet.
func (p *Progress) Warn(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLive()
	fmt.Fprintf(p.w, "emit: warning: "+format+"\n", args...)
}

// Update reports progress inside a step; on a terminal it rewrites one line, in a
// log it prints at most one line every 2 seconds.
func (p *Progress) Update(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K  %s", msg)
		p.live = true
		return
	}
	if time.Since(p.last) >= 2*time.Second {
		p.last = time.Now()
		fmt.Fprintf(p.w, "emit:   %s\n", msg)
	}
}

// Done ends a live line.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLive()
}

func (p *Progress) endLive() {
	if p.live {
		fmt.Fprintln(p.w)
		p.live = false
	}
}
