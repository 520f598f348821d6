#ifndef ZINC_CZLIB_SHIM_H
#define ZINC_CZLIB_SHIM_H
#include <zlib.h>
#endif
