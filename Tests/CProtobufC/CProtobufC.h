#ifndef CPROTOBUFC_H
#define CPROTOBUFC_H

#include <protobuf-c/protobuf-c.h>

#endif
