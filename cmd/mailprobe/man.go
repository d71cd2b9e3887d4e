//go:build mangen

package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/mailsetup/mailsetup/internal/version"
)

// With the mangen tag mailprobe has a hidden command that writes its man
// pages (section 1, one per command) with cobra's generator: make dist
// builds it so for the Debian package; the product binary has no such
// command.
func init() {
	devCommands = append(devCommands, func(root *cobra.Command) *cobra.Command {
		return &cobra.Command{
			Use:    "gen-man DIR",
			Short:  "Write the man pages into DIR",
			Hidden: true,
			Args:   cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := os.MkdirAll(args[0], 0o755); err != nil {
					return fmt.Errorf("man pages: %w", err)
				}
				// The generator must not document itself.
				root.RemoveCommand(cmd)
				root.DisableAutoGenTag = true
				hdr := &doc.GenManHeader{
					Title:   "MAILPROBE",
					Section: "1",
					Source:  version.Generator(),
					Manual:  "Mailsetup manual",
				}
				if err := doc.GenManTree(root, hdr, args[0]); err != nil {
					return fmt.Errorf("man pages: %w", err)
				}
				return nil
			},
		}
	})
}
