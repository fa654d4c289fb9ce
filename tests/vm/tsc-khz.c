// SPDX-License-Identifier: GPL-2.0
/*
 * tsc-khz - print the host's TSC frequency in kHz, measured against
 * CLOCK_MONOTONIC over 200 ms.
 *
 * Under TCG, qemu's guest TSC is the host's TSC plus an offset, and its
 * HPET and PIT follow CLOCK_MONOTONIC: run-vm.sh passes this figure as
 * tsc_early_khz= so that the guest kernel does not calibrate its TSC
 * against emulated timers on a loaded host (see run-vm.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

/* one (TSC, ns) pair, from the tightest of 64 tries */
static void sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	int i;

	for (i = 0; i < 64; i++) {
		struct timespec ts;
		uint64_t a, b;

		a = __rdtsc();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		b = __rdtsc();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
		}
	}
}

int main(void)
{
	struct timespec nap = { 0, 200 * 1000 * 1000 };
	uint64_t t0, n0, t1, n1;

	sample(&t0, &n0);
	nanosleep(&nap, NULL);
	sample(&t1, &n1);
	if (t1 <= t0 || n1 <= n0)
		return 1;
	printf("%llu\n", (unsigned long long)((t1 - t0) * 1000000u / (n1 - n0)));
	return 0;
}
