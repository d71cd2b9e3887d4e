// Command pecheck checks Windows executables of a release without running
// them (make dist-check runs it):
//
//	pecheck -gui -version 1.2.3.45 Mailsetup.exe
//	pecheck -console -arch arm64 mailprobe.exe
//
// Every file must be PE32+ for -arch (default amd64); -gui asks for the GUI
// subsystem, an icon and a version resource (with -version its fixed file
// version); -console for the console subsystem. It prints what it found,
// one line per file, and exits 1 when a check fails.
package main

import (
	"debug/pe"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/mailsetup/mailsetup/internal/pecheck"
)

func main() {
	gui := flag.Bool("gui", false, "want the GUI subsystem, an icon and a version resource")
	console := flag.Bool("console", false, "want the console subsystem")
	arch := flag.String("arch", "amd64", "want this machine: amd64 or arm64")
	version := flag.String("version", "", "want this fixed file version (a.b.c.d) in the version resource")
	flag.Parse()
	machines := map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}
	failed := false
	for _, path := range flag.Args() {
		if err := check(path, *gui, *console, machines[*arch], *arch, *version); err != nil {
			fmt.Fprintf(os.Stderr, "pecheck: %s: %v\n", path, err)
			failed = true
		}
	}
	if failed || flag.NArg() == 0 {
		os.Exit(1)
	}
}

func check(path string, gui, console bool, machine uint16, arch, version string) error {
	info, err := pecheck.Read(path)
	if err != nil {
		return err
	}
	var strs []string
	for k, v := range info.Strings {
		strs = append(strs, k+"="+v)
	}
	sort.Strings(strs)
	fmt.Printf("%s: PE32+ machine %#x subsystem %d icon %v file version %q %s\n",
		path, info.Machine, info.Subsystem, info.Icon, info.FileVersion, strings.Join(strs, " "))
	switch {
	case info.Machine != machine:
		return fmt.Errorf("machine %#x, want %s", info.Machine, arch)
	case gui && !info.GUI():
		return fmt.Errorf("subsystem %d, want the GUI subsystem (2)", info.Subsystem)
	case gui && !info.Icon:
		return fmt.Errorf("no icon resource")
	case gui && info.FileVersion == "":
		return fmt.Errorf("no version resource")
	case version != "" && info.FileVersion != version:
		return fmt.Errorf("file version %s, want %s", info.FileVersion, version)
	case console && info.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_CUI:
		return fmt.Errorf("subsystem %d, want the console subsystem (3)", info.Subsystem)
	}
	return nil
}
