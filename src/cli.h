/* cli.h - the treu command line: option parsing shared by every subcommand, and the
 * subcommands themselves (serve, project, keys, migrate, version). Runs on the main
 * thread; each subcommand returns the process exit status (0 ok, 1 failure, 2 usage). */
#ifndef TREU_CLI_H
#define TREU_CLI_H

#include <stdbool.h>

#define CLI_PATH_BYTES_MAX 4096

struct cli_opts {
    const char *listen;          /* HOST:PORT */
    const char *data;            /* data directory */
    char db[CLI_PATH_BYTES_MAX]; /* store URL */
    const char *log_level;
    const char *project; /* --project */
    const char *kind;    /* --kind */
    int readers;         /* read-only connections in the pool */
    long rate_server;    /* requests/s per server key, 0 = unlimited */
    long rate_client;    /* requests/s per client key, 0 = unlimited */
    bool json;
    bool test_clock;     /* serve --test-clock */
    const char *args[4]; /* positional arguments after the subcommand */
    int nargs;
};

int cli_serve(const struct cli_opts *o);
int cli_migrate(const struct cli_opts *o);
int cli_project(const struct cli_opts *o);
int cli_keys(const struct cli_opts *o);

#endif
