-- PostgreSQL only (revision counters for the record page's cache): on SQLite the record
-- page reads on the server's own read-only connections and is not cached.
SELECT 1;
