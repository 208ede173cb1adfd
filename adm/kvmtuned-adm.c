/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kvmtuned-adm: argv, then one verb. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "adm.h"
#include "config.h"
#include "kvmtuned/macro.h"
#include "verbs.h"

static void help(void) {
        printf("Usage: kvmtuned-adm [--socket PATH] [--json] VERB [ARGS]\n\n"
               "Control kvmtuned, the KVM host tuning daemon.\n\nVerbs:\n");
        for (const struct verb *v = verbs; v->name; v++)
                printf("  %-12s %-13s %s%s\n", v->name, v->args, v->help, v->json ? " (--json)" : "");
        printf("\nOptions:\n"
               "  -s, --socket PATH  the daemon's control socket (default %s/kvmtuned.sock;\n"
               "                     without it, the system bus is tried next)\n"
               "  -j, --json         print data as JSON\n"
               "  -h, --help         show this help\n"
               "  -V, --version      show the version\n", KT_RUNTIME_DIR);
}

/* Returns 1 to go on with the verb at argv[optind], 0 when done, or a
 * negative errno after one line on stderr. */
static int parse_argv(struct adm *a, int argc, char *argv[]) {
        static const struct option options[] = {
                { "socket",  required_argument, NULL, 's' },
                { "json",    no_argument,       NULL, 'j' },
                { "help",    no_argument,       NULL, 'h' },
                { "version", no_argument,       NULL, 'V' },
                {}
        };
        int c;

        opterr = 0;
        /* '+': options end at the verb, so a domain named "-x" still works
         * after "--". */
        while ((c = getopt_long(argc, argv, "+s:jhV", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        a->socket = optarg;
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        puts("kvmtuned-adm " KT_VERSION);
                        return 0;
                case ':':
                        return adm_error("option '%s' needs an argument", argv[optind - 1]);
                default:
                        return adm_error("unknown option '%s' (see --help)", argv[optind - 1]);
                }
        return 1;
}

static int run(int argc, char *argv[], const struct verb **ret_verb) {
        struct adm a = {};
        const struct verb *v;
        unsigned n;
        int r;

        r = parse_argv(&a, argc, argv);
        if (r <= 0)
                return r;
        if (optind < argc && streq(argv[optind], "--"))
                optind++;
        if (optind >= argc)
                return adm_error("no verb given (see --help)");
        v = verb_find(argv[optind]);
        if (!v)
                return adm_error("unknown verb '%s' (see --help)", argv[optind]);
        *ret_verb = v;
        n = (unsigned) (argc - optind - 1);
        if (v->n_args != VERB_ANY_ARGS && n != v->n_args)
                return adm_error("%s takes %s, got %u argument(s)", v->name, v->n_args ? v->args : "no arguments", n);
        if (a.json && !v->json)
                return adm_error("%s has no --json output", v->name);
        r = adm_connect(&a);
        if (r < 0)
                return r;
        r = v->run(&a, argv + optind + 1);
        adm_disconnect(&a);
        return r;
}

int main(int argc, char *argv[]) {
        const struct verb *v = NULL;
        int r = run(argc, argv, &v);

        if (v && v->failure_exit)
                return r < 0 ? v->failure_exit : r;
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
