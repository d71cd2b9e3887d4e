/*
 * bcryptprimitives.dll for Wine 8.0 (Debian 12), which lacks it: Go 1.24+
 * programs load it at start for ProcessPrng and stop with "fatal error:
 * bcryptprimitives.dll not found" without it. scripts/dist-wine builds this
 * with mingw-w64 into its throw-away Wine prefix only; it never ships.
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32
 * SystemFunction036), which Wine has.
 */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID, ULONG);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n)) return FALSE;
		data += n; len -= n;
	}
	return TRUE;
}
