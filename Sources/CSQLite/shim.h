// The SQLite C API (libsqlite3-dev), for the tuning database in KevcSearch.
#include <sqlite3.h>
