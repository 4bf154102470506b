#ifndef CZLIB_H
#define CZLIB_H

#include <zlib.h>

/// deflateInit2 is a macro in zlib.h; Swift cannot call macros, so this shim does.
int CZlib_deflateInit2(z_streamp stream, int level, int method, int windowBits, int memLevel, int strategy);

/// inflateInit2 is a macro in zlib.h; Swift cannot call macros, so this shim does.
int CZlib_inflateInit2(z_streamp stream, int windowBits);

#endif
