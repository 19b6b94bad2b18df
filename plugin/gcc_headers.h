/* The GCC internal headers every plugin file needs, in the order GCC requires.
 * C++ standard headers must come through GCC's INCLUDE_* switches: system.h poisons
 * identifiers that libstdc++ headers use if they are included afterwards. */
#ifndef CTIMER_GCC_HEADERS_H
#define CTIMER_GCC_HEADERS_H

#define INCLUDE_STRING
#define INCLUDE_VECTOR
#include "gcc-plugin.h"
#include "tree.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "cfg.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "ssa.h"
#include "cgraph.h"
#include "stringpool.h"
#include "attribs.h"
#include "diagnostic-core.h"
#include "varasm.h"
#include "stor-layout.h"
#include "fold-const.h"
#include "langhooks.h"
#include "ggc.h"
#include "intl.h"
#include "tree-cfg.h"
#include "cfganal.h"

#endif
