#ifndef CHiredis_H
#define CHiredis_H

#include <hiredis/hiredis.h>

#endif
