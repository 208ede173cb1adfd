/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A two-state switch with hysteresis, counted in samples so the sampling
 * interval scales it: it goes high after `up` samples in a row strictly
 * above `high`, and low after `down` samples in a row strictly below `low`.
 * A sample in between, or on the current side, restarts the count. */

#include <stdbool.h>

struct hysteresis {
        bool high;
        unsigned run;           /* samples in a row pointing to the other state */
};

struct hysteresis_params {
        double high, low;
        unsigned up, down;
};

/* Feed one value; true when the state just flipped. */
bool hysteresis_step(struct hysteresis *h, const struct hysteresis_params *p, double value);
