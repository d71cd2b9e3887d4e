// Package pecheck reads what a release check needs to know about a Windows
// executable without running it: whether it is PE32+ and for which machine,
// its subsystem (a GUI program opens no console window), and its resources:
// the icon and the version resource (VS_VERSIONINFO) that `fyne package -os
// windows` embeds. make dist-check uses it through internal/cmd/pecheck.
//
// The formats are Microsoft's "PE Format" (the optional header, section
// 2.4; the .rsrc section, section 6.9) and the VS_VERSIONINFO structure of
// the Win32 version information reference.
package pecheck

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// Resource types (winuser.h RT_*).
const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
)

// ErrNotPE32Plus means the file is a PE image, but not a 64-bit (PE32+) one.
var ErrNotPE32Plus = errors.New("pecheck: not a PE32+ image")

// Info is what [Read] found.
type Info struct {
	// Machine is the COFF machine type: pe.IMAGE_FILE_MACHINE_AMD64,
	// pe.IMAGE_FILE_MACHINE_ARM64, ...
	Machine uint16
	// Subsystem is the optional header's: pe.IMAGE_SUBSYSTEM_WINDOWS_GUI
	// (2) or pe.IMAGE_SUBSYSTEM_WINDOWS_CUI (3, a console program).
	Subsystem uint16
	// Icon is true when the resources have an icon group (RT_GROUP_ICON)
	// and icons (RT_ICON).
	Icon bool
	// FileVersion is the fixed file version of the version resource,
	// "a.b.c.d"; empty without a version resource.
	FileVersion string
	// Strings are the version resource's string values (ProductName,
	// FileVersion, ProductVersion, CompanyName, ...), of its first string
	// table.
	Strings map[string]string
}

// GUI reports whether the program is a Windows GUI program.
func (i *Info) GUI() bool { return i.Subsystem == pe.IMAGE_SUBSYSTEM_WINDOWS_GUI }

// Read reads the executable at path. Errors: the file's, debug/pe's for a
// file that is not PE, [ErrNotPE32Plus], or a malformed resource section.
func Read(path string) (*Info, error) {
	f, err := pe.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pecheck: %w", err)
	}
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotPE32Plus, path)
	}
	info := &Info{Machine: f.Machine, Subsystem: oh.Subsystem, Strings: map[string]string{}}
	if len(oh.DataDirectory) <= pe.IMAGE_DIRECTORY_ENTRY_RESOURCE {
		return info, nil
	}
	dir := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
	if dir.VirtualAddress == 0 {
		return info, nil
	}
	var sec *pe.Section
	for _, s := range f.Sections {
		if dir.VirtualAddress >= s.VirtualAddress && dir.VirtualAddress < s.VirtualAddress+s.VirtualSize {
			sec = s
		}
	}
	if sec == nil {
		return nil, errors.New("pecheck: no section holds the resource directory")
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("pecheck: reading %s: %w", sec.Name, err)
	}
	r := resources{data: data[dir.VirtualAddress-sec.VirtualAddress:], rva: dir.VirtualAddress, secData: data, secRVA: sec.VirtualAddress}
	types, err := r.dir(0)
	if err != nil {
		return nil, err
	}
	_, hasIcon := types[rtIcon]
	_, hasGroup := types[rtGroupIcon]
	info.Icon = hasIcon && hasGroup
	if off, ok := types[rtVersion]; ok {
		blob, err := r.first(off)
		if err != nil {
			return nil, err
		}
		if err := parseVersion(blob, info); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// resources walks the resource tree of a .rsrc section (PE Format 6.9).
type resources struct {
	data    []byte // from the resource directory's start
	rva     uint32 // its RVA
	secData []byte // the whole section, for data entries
	secRVA  uint32
}

// dir reads the directory at off: the entries with an integer ID, each
// with its raw OffsetToData (high bit: a subdirectory).
func (r resources) dir(off uint32) (map[uint32]uint32, error) {
	if int(off)+16 > len(r.data) {
		return nil, errors.New("pecheck: resource directory out of bounds")
	}
	named := binary.LittleEndian.Uint16(r.data[off+12:])
	ids := binary.LittleEndian.Uint16(r.data[off+14:])
	out := map[uint32]uint32{}
	for i := uint32(0); i < uint32(named)+uint32(ids); i++ {
		e := off + 16 + 8*i
		if int(e)+8 > len(r.data) {
			return nil, errors.New("pecheck: resource entry out of bounds")
		}
		name := binary.LittleEndian.Uint32(r.data[e:])
		if name&0x80000000 != 0 {
			continue // a named entry; the types here are integer IDs
		}
		out[name] = binary.LittleEndian.Uint32(r.data[e+4:])
	}
	return out, nil
}

// first follows the first entry of each level below a type entry (name,
// then language) to its data.
func (r resources) first(off uint32) ([]byte, error) {
	for depth := 0; off&0x80000000 != 0; depth++ {
		if depth > 4 {
			return nil, errors.New("pecheck: resource tree too deep")
		}
		sub := off &^ 0x80000000
		if int(sub)+16 > len(r.data) {
			return nil, errors.New("pecheck: resource directory out of bounds")
		}
		n := binary.LittleEndian.Uint16(r.data[sub+12:]) + binary.LittleEndian.Uint16(r.data[sub+14:])
		if n == 0 || int(sub)+24 > len(r.data) {
			return nil, errors.New("pecheck: empty resource directory")
		}
		off = binary.LittleEndian.Uint32(r.data[sub+16+4:])
	}
	if int(off)+16 > len(r.data) {
		return nil, errors.New("pecheck: resource data entry out of bounds")
	}
	rva := binary.LittleEndian.Uint32(r.data[off:])
	size := binary.LittleEndian.Uint32(r.data[off+4:])
	start := int64(rva) - int64(r.secRVA)
	if start < 0 || start+int64(size) > int64(len(r.secData)) {
		return nil, errors.New("pecheck: resource data out of the section")
	}
	return r.secData[start : start+int64(size)], nil
}

// parseVersion reads a VS_VERSIONINFO block: the fixed file info and the
// strings of its StringFileInfo.
func parseVersion(b []byte, info *Info) error {
	key, value, children, err := versionBlock(b)
	if err != nil {
		return err
	}
	if key != "VS_VERSION_INFO" {
		return fmt.Errorf("pecheck: version resource key %q, want VS_VERSION_INFO", key)
	}
	if len(value) >= 52 && binary.LittleEndian.Uint32(value) == 0xFEEF04BD {
		ms, ls := binary.LittleEndian.Uint32(value[8:]), binary.LittleEndian.Uint32(value[12:])
		info.FileVersion = fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff)
	}
	for len(children) > 0 {
		n, k, _, tables, err := nextBlock(children)
		if err != nil {
			return err
		}
		if k == "StringFileInfo" && len(tables) > 0 {
			_, _, _, strs, err := nextBlock(tables)
			if err != nil {
				return err
			}
			for len(strs) > 0 {
				m, name, val, _, err := nextBlock(strs)
				if err != nil {
					return err
				}
				info.Strings[name] = utf16String(val)
				strs = strs[m:]
			}
		}
		children = children[n:]
	}
	return nil
}

// versionBlock splits one block of a version resource.
func versionBlock(b []byte) (key string, value, children []byte, err error) {
	_, key, value, children, err = nextBlock(b)
	return key, value, children, err
}

// nextBlock reads the block at the start of b (wLength, wValueLength,
// wType, szKey, padding, Value, padding, Children) and returns its length
// rounded up to 32 bits, so that b[n:] is the next sibling.
func nextBlock(b []byte) (n int, key string, value, children []byte, err error) {
	if len(b) < 6 {
		return 0, "", nil, nil, errors.New("pecheck: truncated version block")
	}
	length := int(binary.LittleEndian.Uint16(b))
	valueLen := int(binary.LittleEndian.Uint16(b[2:]))
	text := binary.LittleEndian.Uint16(b[4:]) == 1
	if length < 6 || length > len(b) {
		return 0, "", nil, nil, errors.New("pecheck: version block length out of bounds")
	}
	blk := b[:length]
	p := 6
	var k []uint16
	for ; p+1 < len(blk); p += 2 {
		c := binary.LittleEndian.Uint16(blk[p:])
		if c == 0 {
			p += 2
			break
		}
		k = append(k, c)
	}
	p = align4(p)
	if text {
		valueLen *= 2 // in WCHARs for text values
	}
	if p+valueLen > len(blk) {
		valueLen = max(0, len(blk)-p)
	}
	value = blk[p : p+valueLen]
	p = align4(p + valueLen)
	if p < len(blk) {
		children = blk[p:]
	}
	return min(align4(length), len(b)), string(utf16.Decode(k)), value, children, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// utf16String decodes a NUL-terminated little-endian UTF-16 value.
func utf16String(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}
