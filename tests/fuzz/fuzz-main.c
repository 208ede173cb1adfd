/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A main() for builds without libFuzzer: run the harness once on every file
 * (or every file in every directory) named on the command line, so the seed
 * corpus is a regression test in every build, sanitizers included. */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path) {
        FILE *f = fopen(path, "rb");
        uint8_t *buf;
        long n;

        if (!f) {
                perror(path);
                return -1;
        }
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = malloc(n > 0 ? (size_t) n : 1);
        if (!buf || fread(buf, 1, (size_t) n, f) != (size_t) n) {
                fclose(f);
                free(buf);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t) n);
        free(buf);
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned ran = 0;

        LLVMFuzzerInitialize(&argc, &argv);
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(argv[i]) < 0)
                                return 1;
                        ran++;
                        continue;
                }
                struct dirent **names;
                int n = scandir(argv[i], &names, NULL, alphasort);
                for (int k = 0; k < n; k++) {
                        char p[4096];
                        if (names[k]->d_name[0] != '.') {
                                snprintf(p, sizeof p, "%s/%s", argv[i], names[k]->d_name);
                                if (run_file(p) < 0)
                                        return 1;
                                ran++;
                        }
                        free(names[k]);
                }
                free(names);
        }
        printf("%u inputs ran\n", ran);
        return ran > 0 ? 0 : 1;
}
