-- The sample's own tables; prefixed so that they never clash with other users of the database.
create table if not exists orders_sample_orders (
  id           uuid primary key,
  sku          varchar(64)  not null,
  quantity     int          not null,
  amount_cents bigint       not null,
  status       varchar(16)  not null,
  reason       varchar(64),
  created_at   timestamp(6) with time zone not null default now()
);
create table if not exists orders_sample_payments (
  order_id     uuid primary key,
  amount_cents bigint      not null,
  status       varchar(16) not null
);
create table if not exists orders_sample_stock (
  sku       varchar(64) primary key,
  available int         not null check (available >= 0)
);
create table if not exists orders_sample_reservations (
  order_id uuid primary key,
  sku      varchar(64) not null,
  quantity int         not null
);
