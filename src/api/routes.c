/* routes.c - the route table. Order is for readability only: when two patterns match a
 * path, the router takes the one with fewer {parameters}. */
#include "api/api.h"

const struct route api_routes[] = {
    {"GET", "/health", AUTH_PUBLIC, api_system_health},
    {"GET", "/metrics", AUTH_PUBLIC, api_system_metrics},
    {"POST", "/v1/customers", AUTH_SERVER, api_customers_create},
    {"GET", "/v1/customers", AUTH_SERVER, api_customers_list},
    {"GET", "/v1/customers/{id}", AUTH_SERVER, api_customers_get},
    {"PUT", "/v1/customers/{id}", AUTH_SERVER, api_customers_update},
    {"DELETE", "/v1/customers/{id}", AUTH_SERVER, api_customers_delete},
    {"POST", "/client/v1/customers", AUTH_CLIENT, api_customers_create},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
