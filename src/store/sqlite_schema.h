/* sqlite_schema.h - the numbered migrations of the SQLite backend. Migration i (1-based)
 * brings PRAGMA user_version from i-1 to i. Never edit a migration that has shipped;
 * add a new one. */
#ifndef TREU_SQLITE_SCHEMA_H
#define TREU_SQLITE_SCHEMA_H

#include <stddef.h>

extern const char *const sqlite_migrations[];
extern const size_t sqlite_migrations_count;

#endif
