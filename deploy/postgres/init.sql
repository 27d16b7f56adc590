-- The RezNet database as the testbed and the demo config expect it: the application role and
-- pg_stat_statements (for the cache probe's query reduction). The testbed creates its schema.
CREATE ROLE reznet LOGIN PASSWORD 'reznet-demo';
GRANT ALL ON DATABASE reznet TO reznet;
\c reznet
GRANT ALL ON SCHEMA public TO reznet;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
