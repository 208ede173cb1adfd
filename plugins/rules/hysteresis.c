/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "hysteresis.h"

bool hysteresis_step(struct hysteresis *h, const struct hysteresis_params *p, double value) {
        bool toward = h->high ? value < p->low : value > p->high;
        unsigned need = h->high ? p->down : p->up;

        if (!toward) {
                h->run = 0;
                return false;
        }
        if (++h->run < (need ? need : 1))
                return false;
        h->high = !h->high;
        h->run = 0;
        return true;
}
