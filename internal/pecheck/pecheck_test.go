package pecheck

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unicode/utf16"
)

// block builds one VS_VERSIONINFO block: wLength, wValueLength, wType,
// szKey, padding, Value, padding, Children.
func block(key string, value []byte, text bool, children ...[]byte) []byte {
	b := make([]byte, 6)
	for _, c := range utf16.Encode([]rune(key)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	b = append(b, 0, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, value...)
	for _, c := range children {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		b = append(b, c...)
	}
	vl := len(value)
	if text {
		vl /= 2
		binary.LittleEndian.PutUint16(b[4:], 1)
	}
	binary.LittleEndian.PutUint16(b, uint16(len(b)))
	binary.LittleEndian.PutUint16(b[2:], uint16(vl))
	return b
}

func wstr(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s + "\x00")) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

func fixed(ms, ls uint32) []byte {
	b := make([]byte, 52)
	binary.LittleEndian.PutUint32(b, 0xFEEF04BD)
	binary.LittleEndian.PutUint32(b[8:], ms)
	binary.LittleEndian.PutUint32(b[12:], ls)
	return b
}

func TestParseVersion(t *testing.T) {
	strings := block("StringFileInfo", nil, true,
		block("040904B0", nil, true,
			block("ProductName", wstr("Mailsetup"), true),
			block("FileVersion", wstr("1.2.3.45"), true)))
	tests := []struct {
		name        string
		blob        []byte
		wantVersion string
		wantStrings map[string]string
		wantErr     bool
	}{
		{"fixed info and strings", block("VS_VERSION_INFO", fixed(1<<16|2, 3<<16|45), false, strings),
			"1.2.3.45", map[string]string{"ProductName": "Mailsetup", "FileVersion": "1.2.3.45"}, false},
		{"fixed info only", block("VS_VERSION_INFO", fixed(0, 104), false), "0.0.0.104", map[string]string{}, false},
		{"wrong key", block("VS_VERSION", fixed(0, 1), false), "", nil, true},
		{"truncated", []byte{1, 0}, "", nil, true},
		{"length beyond the data", []byte{0xff, 0, 0, 0, 0, 0}, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := &Info{Strings: map[string]string{}}
			err := parseVersion(tt.blob, info)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseVersion() error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if info.FileVersion != tt.wantVersion {
				t.Errorf("FileVersion = %q, want %q", info.FileVersion, tt.wantVersion)
			}
			if len(info.Strings) != len(tt.wantStrings) {
				t.Errorf("Strings = %v, want %v", info.Strings, tt.wantStrings)
			}
			for k, v := range tt.wantStrings {
				if info.Strings[k] != v {
					t.Errorf("Strings[%q] = %q, want %q", k, info.Strings[k], v)
				}
			}
		})
	}
}

// TestRead builds small Windows programs with the Go toolchain (no cgo, no
// resources) and reads them.
func TestRead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Windows programs")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		goarch        string
		ldflags       string
		wantMachine   uint16
		wantSubsystem uint16
	}{
		{"console amd64", "amd64", "", pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI},
		{"console arm64", "arm64", "", pe.IMAGE_FILE_MACHINE_ARM64, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI},
		{"gui amd64", "amd64", "-H=windowsgui", pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exe := filepath.Join(dir, tt.goarch+tt.ldflags+".exe")
			cmd := exec.Command("go", "build", "-ldflags", tt.ldflags, "-o", exe, src)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH="+tt.goarch, "CGO_ENABLED=0", "GOFLAGS=")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			info, err := Read(exe)
			if err != nil {
				t.Fatalf("Read() error = %v", err)
			}
			if info.Machine != tt.wantMachine || info.Subsystem != tt.wantSubsystem {
				t.Errorf("Read() = machine %#x subsystem %d, want %#x %d", info.Machine, info.Subsystem, tt.wantMachine, tt.wantSubsystem)
			}
			if info.GUI() != (tt.wantSubsystem == pe.IMAGE_SUBSYSTEM_WINDOWS_GUI) {
				t.Errorf("GUI() = %v for subsystem %d", info.GUI(), info.Subsystem)
			}
			if info.Icon || info.FileVersion != "" {
				t.Errorf("Read() found an icon (%v) or version %q in a program without resources", info.Icon, info.FileVersion)
			}
		})
	}
	// A Linux program is not PE at all.
	if _, err := Read(src); err == nil {
		t.Errorf("Read(a Go source file) = nil error")
	}
	// A 32-bit Windows program is PE32, not PE32+.
	exe := filepath.Join(dir, "386.exe")
	cmd := exec.Command("go", "build", "-o", exe, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=386", "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if _, err := Read(exe); !errors.Is(err, ErrNotPE32Plus) {
		t.Errorf("Read(386 program) error = %v, want ErrNotPE32Plus", err)
	}
}
