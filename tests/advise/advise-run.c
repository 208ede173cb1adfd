/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Run the advise engine on domain XML files against a host tree, as the
 * daemon does on what libvirt returns:
 *   advise-run --root DIR --profile NAME [--ids | --json] FILE.xml...
 *   advise-run --libvirt URI ... [DOMAIN...]     (from libvirt, all active by default)
 * --ids prints "RULE DOMAIN" per finding ("-" for the host), for tests that
 * assert exactly which rules fire. Exit 0, 1 or 2 as kvmtuned-adm advise. */

#include <getopt.h>
#include <stdio.h>

#include "advise.h"
#include "hostfs.h"

static char *read_file(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        struct strbuf b = {};
        char buf[4096];
        size_t k;

        if (!f)
                return NULL;
        while ((k = fread(buf, 1, sizeof buf, f)) > 0)
                if (strbuf_append_n(&b, buf, k) < 0) {
                        strbuf_done(&b);
                        return NULL;
                }
        return strbuf_steal(&b);
}

static int read_inputs(char **files, size_t n, struct advise_input **ret) {
        struct advise_input *in = calloc(n ?: 1, sizeof *in);

        if (!in)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                in[i].name = strdup(files[i]);
                in[i].xml = read_file(files[i]);
                if (!in[i].name || !in[i].xml) {
                        fprintf(stderr, "%s: cannot read\n", files[i]);
                        advise_inputs_free(in, n);
                        return -EIO;
                }
        }
        *ret = in;
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option longopts[] = {
                { "root", required_argument, NULL, 'r' },
                { "profile", required_argument, NULL, 'p' },
                { "ids", no_argument, NULL, 'i' },
                { "json", no_argument, NULL, 'j' },
                { "text", no_argument, NULL, 't' },
                { "libvirt", required_argument, NULL, 'l' },
                {}
        };
        const char *root = "/", *profile = "virtual-host", *uri = NULL;
        struct advise_report report = {};
        struct advise_input *in = NULL;
        _cleanup_free_ char *error = NULL;
        struct strbuf out = {};
        struct hostfs fs;
        bool ids = false, json = false;
        size_t n;
        int c, r;

        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0)
                switch (c) {
                case 'r': root = optarg; break;
                case 'p': profile = optarg; break;
                case 'i': ids = true; break;
                case 'j': json = true; break;
                case 't': break;
                case 'l': uri = optarg; break;
                default: return 64;
                }
        n = (size_t) (argc - optind);
        if (hostfs_init(&fs, root) < 0)
                return 70;
        if (uri) {
                r = advise_fetch(uri, argv + optind, n, &in, &n, &error);
                if (r < 0) {
                        fprintf(stderr, "advise: %s\n", error ?: strerror(-r));
                        return 69;
                }
        } else {
                r = read_inputs(argv + optind, n, &in);
                if (r < 0)
                        return 66;
        }
        r = advise_run(&fs, profile, in, n, &report, &error);
        advise_inputs_free(in, n);
        if (r < 0) {
                fprintf(stderr, "advise: %s\n", error ?: strerror(-r));
                return 65;
        }
        if (ids) {
                for (size_t i = 0; i < report.n; i++)
                        printf("%s %s\n", report.findings[i].rule, report.findings[i].domain ?: "-");
        } else {
                r = json ? advise_format_json(&report, profile, &out) : advise_format_text(&report, profile, &out);
                if (r >= 0)
                        fputs(out.s ?: "", stdout);
                strbuf_done(&out);
        }
        r = advise_report_worst(&report) == ADVISE_ERROR ? 2 : advise_report_worst(&report) == ADVISE_WARNING;
        advise_report_done(&report);
        return r;
}
