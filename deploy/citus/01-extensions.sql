-- Runs once per node when its data volume is first initialised. Citus's entrypoint creates the
-- citus extension; factline's tables need vector on every node, before the node joins.
create extension if not exists vector;
