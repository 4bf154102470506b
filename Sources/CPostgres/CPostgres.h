#ifndef CPostgres_H
#define CPostgres_H

#include <libpq-fe.h>

#endif
