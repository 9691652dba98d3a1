#ifndef SEQCURATE_CTURBOJPEG_SHIM_H
#define SEQCURATE_CTURBOJPEG_SHIM_H
#include <stddef.h>
#include <turbojpeg.h>
#endif
