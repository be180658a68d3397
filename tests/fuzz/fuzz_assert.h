/* What every fuzz target shares: the libFuzzer entry point it defines (replay_main.c calls it
 * on a corpus; libFuzzer calls it in a BW_FUZZ build) and FUZZ_ASSERT, which checks an
 * invariant in any build type (assert() vanishes under NDEBUG) and abort()s when it is broken,
 * so that libFuzzer keeps the input and a replay test fails. */
#ifndef BW_FUZZ_ASSERT_H
#define BW_FUZZ_ASSERT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
