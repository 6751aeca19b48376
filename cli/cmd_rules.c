/* SPDX-License-Identifier: MIT */
/*
 * cmd_rules.c: `n1digest rules list`, the rules in force and their origins.
 *
 * Loads the compiled-in defaults and every --rules file in order, exactly
 * as the analysing commands do (n1_engine_rules() is shared with them),
 * and prints the result in rule-file syntax with "; FILE:LINE" after each
 * value. A bad rule file fails with its name and line and exit status 3.
 *
 * The listing starts with where `cmake --install` put the copy of the
 * defaults and whether it is there: beside the binary (the prefix it was
 * installed or packaged to) when found, else the build's prefix. The
 * rules in force never come from that file; they are compiled in.
 */
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/rules_load.h"
#include "rules/rules.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: n1digest rules list [--rules FILE]...\n"
            "\n"
            "Prints the rules in force: detector thresholds and severities,\n"
            "limits, ignore patterns, the allow-list and the adviser rules,\n"
            "each with the file and line it came from. The defaults are\n"
            "built in (default.rules); each --rules file is read on top of\n"
            "them, later files winning per key. See docs/rules.md.\n"
            "The first line names the installed copy of the defaults\n"
            "and says whether it is there.\n"
            "\n"
            "options:\n"
            "  -r, --rules FILE  read a rule file (repeatable)\n"
            "  -h, --help        print this help and exit\n");
}

/*
 * The installed copy of the default rules into path (size n): under
 * the prefix the running binary is installed in (PREFIX/bin/n1digest:
 * PREFIX/share/n1digest/default.rules) when it is there, else under the
 * build's prefix. Returns 1 when the file is there.
 */
static int installed_rules(char *path, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    size_t bl = strlen(N1_INSTALL_BINDIR);
    char *slash;

    if (len > 0) {
        exe[len] = '\0';
        slash = strrchr(exe, '/');
        /* exe is PREFIX/BINDIR/n1digest: keep PREFIX/. */
        if (slash != NULL && (size_t)(slash - exe) > bl &&
            strncmp(slash - bl, N1_INSTALL_BINDIR, bl) == 0 &&
            slash[-(ptrdiff_t)bl - 1] == '/') {
            slash[-(ptrdiff_t)bl] = '\0';
            if ((size_t)snprintf(path, n, "%s%s", exe, N1_RULES_UNDER_PREFIX) <
                    n &&
                access(path, R_OK) == 0) {
                return 1;
            }
        }
    }
    snprintf(path, n, "%s", N1_RULES_INSTALLED);
    return access(path, R_OK) == 0;
}

int cmd_rules(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rules", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct n1_rules *r = NULL;
    const char **paths = NULL;
    size_t n_paths = 0;
    struct n1_error err;
    char where[PATH_MAX];
    int ret = N1_EXIT_OK;
    int c;

    if (argc >= 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return N1_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "list") != 0) {
        cli_errorf("USAGE rules: expected 'list' (see n1digest rules --help)");
        return N1_EXIT_USAGE;
    }
    argc--;
    argv++;
    paths = calloc((size_t)argc, sizeof(*paths));
    if (paths == NULL) {
        cli_oom("listing the rule files");
        return N1_EXIT_USAGE;
    }
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            paths[n_paths++] = optarg;
            break;
        case 'h':
            usage(stdout);
            goto out;
        default:
            if (optopt == 'r') {
                cli_errorf("USAGE rules: --rules needs a file");
            } else if (optopt != 0) {
                cli_errorf("USAGE rules: unknown option '-%c' "
                           "(see n1digest rules --help)",
                           optopt);
            } else {
                cli_errorf("USAGE rules: unknown option '%s' "
                           "(see n1digest rules --help)",
                           argv[optind - 1]);
            }
            ret = N1_EXIT_USAGE;
            goto out;
        }
    }
    if (optind < argc) {
        cli_errorf("USAGE rules: unexpected argument '%s'", argv[optind]);
        ret = N1_EXIT_USAGE;
        goto out;
    }
    r = n1_engine_rules(paths, n_paths, &err);
    if (r == NULL) {
        cli_error(&err);
        ret = cli_exit_for(&err);
        goto out;
    }
    if (installed_rules(where, sizeof(where))) {
        printf("# default rules installed at: %s\n", where);
    } else {
        printf("# default rules installed at: %s (not there: this "
               "n1digest is not installed; the defaults are built in)\n",
               where);
    }
    if (n1_rules_write(r, stdout) != 0 || fflush(stdout) != 0) {
        cli_errorf("SYSTEM writing stdout failed");
        ret = N1_EXIT_USAGE;
    }
out:
    n1_rules_free(r);
    free(paths);
    return ret;
}
