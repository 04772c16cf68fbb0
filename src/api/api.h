/* api.h - the route table: every path treu answers, its method, who may call it, and the
 * handler. Handlers live one file per resource (customers.c, system.c, ...). */
#ifndef TREU_API_H
#define TREU_API_H

#include "api/request.h"

struct route {
    const char *method;
    const char *pattern; /* "/v1/customers/{id}": {name} matches one path segment */
    enum route_auth auth;
    void (*handler)(struct request *r);
};

extern const struct route api_routes[];
extern const size_t api_routes_count;

void api_customers_create(struct request *r);
void api_customers_get(struct request *r);
void api_customers_update(struct request *r);
void api_customers_delete(struct request *r);
void api_customers_list(struct request *r);
void api_system_health(struct request *r);
void api_system_metrics(struct request *r);

#endif
