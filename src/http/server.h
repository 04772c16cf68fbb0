/* server.h - the HTTP front: libmicrohttpd, one thread per connection.
 * Reads the body (up to HTTP_BODY_BYTES_MAX), assigns the request id, routes,
 * authenticates and calls the handler, which may block until its write is committed. Writes one
 * access-log line and one metrics observation per request. The only file in treu that includes
 * microhttpd.h. */
#ifndef TREU_SERVER_H
#define TREU_SERVER_H

#include "api/request.h"

#include <stdint.h>

#define HTTP_BODY_BYTES_MAX     (1024 * 1024)
#define HTTP_DISCARD_BYTES_MAX  (64 * 1024 * 1024) /* larger bodies: 413 and close */
#define HTTP_CONNECTIONS_MAX    1024
#define HTTP_THREAD_STACK_BYTES (256 * 1024)
#define HTTP_TIMEOUT_S          60
#define HTTP_DRAIN_MS_MAX       10000

struct server;

/* Starts listening on host:port (port 0 = any free port). `app` is borrowed and must
 * outlive the server. */
TREU_MUST_USE int http_start(struct app *app, const char *host, uint16_t port, struct server **out);

/* The port actually bound (useful with port 0). */
uint16_t http_port(const struct server *s);

/* Stops accepting, waits (up to HTTP_DRAIN_MS_MAX) for requests in flight to be
 * answered, then stops the threads. NULL-safe. */
void http_stop(struct server *s);

#endif
