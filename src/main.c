/* main.c - parses the command line (flags, then TREU_* environment variables, then
 * defaults) and runs the subcommand. Configuration is frozen before any thread starts. */
#include "cli.h"
#include "core/log.h"
#include "treu_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: treu <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve                       run the HTTP API\n"
    "  project create NAME [--json] create a project with a server and a client key\n"
    "  keys list [--project ID] [--json]\n"
    "  keys create --project ID --kind server|client [--json]\n"
    "  keys revoke APP_ID\n"
    "  migrate                     bring the database schema up to date and exit\n"
    "  version                     print the version\n"
    "\n"
    "options (each also as an environment variable):\n"
    "  --listen HOST:PORT   TREU_LISTEN     default 127.0.0.1:8080 (port 0 = any free port)\n"
    "  --data DIR           TREU_DATA       default ./data\n"
    "  --db URL             TREU_DB         default sqlite:DIR/treu.db\n"
    "  --log-level LEVEL    TREU_LOG_LEVEL  debug, info, warn or error; default info\n"
    "  --test-clock                         serve only: allow POST /v1/_test/clock (tests)\n"
    "  --readers N          TREU_READERS    read-only database connections; default 8\n"
    "  --rate-limit-server N TREU_RATE_LIMIT_SERVER  requests/s per server key; default 0 (none)\n"
    "  --rate-limit-client N TREU_RATE_LIMIT_CLIENT  requests/s per client key; default 1000\n";

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* A requests-per-second limit: 0 (none) to 1,000,000. -1 after saying what is wrong. */
static int parse_rate(const char *v, const char *name, long *out)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (!end || *end || end == v || n < 0 || n > 1000000) {
        fprintf(stderr, "treu: %s must be 0 (no limit) to 1000000 requests per second\n", name);
        return -1;
    }
    *out = n;
    return 0;
}

/* Returns 0, or 2 after printing what is wrong. */
static int parse(int argc, char **argv, struct cli_opts *o)
{
    const char *db = NULL, *readers = NULL, *rate_server = NULL, *rate_client = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        if (strcmp(a, "--json") == 0) {
            o->json = true;
            continue;
        }
        if (strcmp(a, "--test-clock") == 0) {
            o->test_clock = true;
            continue;
        }
        if (strcmp(a, "--listen") == 0)
            dst = &o->listen;
        else if (strcmp(a, "--data") == 0)
            dst = &o->data;
        else if (strcmp(a, "--db") == 0)
            dst = &db;
        else if (strcmp(a, "--log-level") == 0)
            dst = &o->log_level;
        else if (strcmp(a, "--project") == 0)
            dst = &o->project;
        else if (strcmp(a, "--kind") == 0)
            dst = &o->kind;
        else if (strcmp(a, "--readers") == 0)
            dst = &readers;
        else if (strcmp(a, "--rate-limit-server") == 0)
            dst = &rate_server;
        else if (strcmp(a, "--rate-limit-client") == 0)
            dst = &rate_client;
        if (dst) {
            if (i + 1 >= argc) {
                fprintf(stderr, "treu: %s needs a value\n", a);
                return 2;
            }
            *dst = argv[++i];
            continue;
        }
        if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "treu: unknown option %s\n\n%s", a, usage);
            return 2;
        }
        if (o->nargs == (int)(sizeof o->args / sizeof o->args[0])) {
            fprintf(stderr, "treu: too many arguments\n");
            return 2;
        }
        o->args[o->nargs++] = a;
    }
    o->listen = o->listen ? o->listen : env_or("TREU_LISTEN", "127.0.0.1:8080");
    o->data = o->data ? o->data : env_or("TREU_DATA", "data");
    o->log_level = o->log_level ? o->log_level : env_or("TREU_LOG_LEVEL", "info");
    readers = readers ? readers : env_or("TREU_READERS", "8");
    char *end = NULL;
    long t = strtol(readers, &end, 10);
    if (!end || *end || t < 1 || t > 64) {
        fprintf(stderr, "treu: --readers must be 1 to 64\n");
        return 2;
    }
    o->readers = (int)t;
    if (parse_rate(rate_server ? rate_server : env_or("TREU_RATE_LIMIT_SERVER", "0"),
                   "--rate-limit-server", &o->rate_server) < 0 ||
        parse_rate(rate_client ? rate_client : env_or("TREU_RATE_LIMIT_CLIENT", "1000"),
                   "--rate-limit-client", &o->rate_client) < 0)
        return 2;
    db = db ? db : getenv("TREU_DB");
    int n = db && *db ? snprintf(o->db, sizeof o->db, "%s", db)
                      : snprintf(o->db, sizeof o->db, "sqlite:%s/treu.db", o->data);
    if (n < 0 || (size_t)n >= sizeof o->db) {
        fprintf(stderr, "treu: database path too long\n");
        return 2;
    }
    enum log_level lvl;
    if (log_level_parse(o->log_level, &lvl) < 0) {
        fprintf(stderr, "treu: --log-level must be debug, info, warn or error\n");
        return 2;
    }
    log_set_level(lvl);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("treu %s\n", TREU_VERSION);
        return 0;
    }
    struct cli_opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    if (strcmp(cmd, "serve") == 0)
        return cli_serve(&o);
    if (strcmp(cmd, "migrate") == 0)
        return cli_migrate(&o);
    if (strcmp(cmd, "project") == 0)
        return cli_project(&o);
    if (strcmp(cmd, "keys") == 0)
        return cli_keys(&o);
    fprintf(stderr, "treu: unknown command %s\n\n%s", cmd, usage);
    return 2;
}
