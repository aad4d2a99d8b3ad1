-- Tenants: the customers of the LSP. Every record a tenant owns references this table.
create table tenants (
  id uuid primary key,
  name text not null unique check (length(name) between 1 and 100),
  created_at timestamptz not null default now()
);
