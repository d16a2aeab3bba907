// The single place the addon includes the cpt user ABI. Every other source
// includes this file instead of <linux/cpt.h>.
#pragma once

#include <linux/cpt.h>

// binding.gyp puts ../kmod/uapi ahead of the system include directories; this
// catches a build that picked up some other <linux/cpt.h> anyway (an
// installed kernel header that predates these macros, say).
#if !defined(CPT_API_SIZE_VER0) || !defined(CPT_FEATURES_KNOWN) || \
	!defined(_CPT_API)
#error "<linux/cpt.h> is not kmod/uapi/linux/cpt.h: check include_dirs in native/binding.gyp"
#endif

// Structs only grow at their end (see the header's rules).
static_assert(sizeof(struct cpt_api) >= CPT_API_SIZE_VER0,
	      "struct cpt_api shrank below its first published size");
