// SPDX-License-Identifier: GPL-2.0
/* trace.c - instantiates the tracepoints of include/dynbounce_trace.h. */
#include "dynbounce_int.h"

#define CREATE_TRACE_POINTS
#include "dynbounce_trace.h"
