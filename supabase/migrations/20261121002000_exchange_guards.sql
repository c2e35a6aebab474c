-- Exchange guards: a circuit breaker and a request budget per exchange account.
--
-- Every worker invocation is a fresh, short-lived function, so neither guard can live in
-- memory: the state is here, shared by all invocations, and each decision is one atomic
-- statement on one row (its row lock serialises concurrent callers).
--
-- Times are passed in (`p_now`) so tests and replays can drive the clock; when a caller
-- passes null the database clock decides. Callers are the worker's own database connection;
-- nothing here is exposed through the API.

-- Circuit breaker. closed: requests flow and consecutive failures are counted; open (after
-- `failure_threshold` consecutive failures): every request is refused until the cool-down has
-- passed; half_open: exactly one caller gets to probe; its success closes the circuit, its
-- failure opens it again for another cool-down. A probe that never reports back (a crashed
-- invocation) is replaced after the probe timeout, so the circuit cannot stick half-open.
create table internal.exchange_circuit_breakers (
  account_id bigint primary key references public.exchange_accounts (id) on delete cascade,
  state text not null default 'closed' check (state in ('closed', 'open', 'half_open')),
  consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
  opened_at timestamptz,
  probe_started_at timestamptz,
  last_failure text,
  updated_at timestamptz not null default now(),
  constraint open_circuits_know_when check (state = 'closed' or opened_at is not null),
  constraint probes_only_when_half_open check ((state = 'half_open') = (probe_started_at is not null))
);
comment on table internal.exchange_circuit_breakers is
  'Circuit breaker per exchange account (closed, open, half_open), shared by every worker invocation. No row = closed, no failures.';

-- Asks whether a request may go out now. Answers:
--   'allow'                 closed, no failures on record (success needs no write);
--   'allow_after_failures'  closed with failures counted (report success to reset them);
--   'probe'                 this caller is the one half-open probe (report its outcome);
--   'refuse'                open and cooling down, or another caller is probing.
create or replace function internal.exchange_circuit_permit(
  p_account_id bigint,
  p_now timestamptz default null,
  p_cool_down interval default '30 seconds',
  p_probe_timeout interval default '30 seconds'
) returns text
language plpgsql security definer set search_path = ''
as $$
declare
  v_now timestamptz := coalesce(p_now, pg_catalog.clock_timestamp());
  v_state text;
  v_failures integer;
begin
  select b.state, b.consecutive_failures into v_state, v_failures
    from internal.exchange_circuit_breakers b where b.account_id = p_account_id;
  if not found or v_state = 'closed' then
    return case when coalesce(v_failures, 0) = 0 then 'allow' else 'allow_after_failures' end;
  end if;

  -- Cooled down (or the last probe went silent): one caller wins the row and probes. Under
  -- READ COMMITTED a concurrent caller re-checks the WHERE against the winner's update and
  -- finds it no longer matches, so there is exactly one probe.
  update internal.exchange_circuit_breakers b
     set state = 'half_open', probe_started_at = v_now, updated_at = v_now
   where b.account_id = p_account_id
     and ((b.state = 'open' and b.opened_at + p_cool_down <= v_now)
          or (b.state = 'half_open' and b.probe_started_at + p_probe_timeout <= v_now));
  if found then
    return 'probe';
  end if;

  select b.state into v_state from internal.exchange_circuit_breakers b where b.account_id = p_account_id;
  return case when v_state = 'closed' then 'allow_after_failures' else 'refuse' end;
end
$$;
comment on function internal.exchange_circuit_permit(bigint, timestamptz, interval, interval) is
  'Whether an exchange request may go out for this account: allow, allow_after_failures, probe (the single half-open probe) or refuse.';

-- Reports a request's outcome. A success closes the circuit and clears the count; a failure
-- counts, opens the circuit at the threshold, and re-opens it (a new cool-down) when the probe
-- fails. A failure reported while already open keeps the original opening time, so slow
-- stragglers cannot keep a circuit open forever. Returns the resulting state.
create or replace function internal.record_exchange_request(
  p_account_id bigint,
  p_succeeded boolean,
  p_now timestamptz default null,
  p_failure_threshold integer default 5,
  p_reason text default null
) returns text
language plpgsql security definer set search_path = ''
as $$
declare
  v_now timestamptz := coalesce(p_now, pg_catalog.clock_timestamp());
  v_state text;
begin
  if p_failure_threshold < 1 then
    raise exception 'failure threshold must be at least 1, got %', p_failure_threshold
      using errcode = 'invalid_parameter_value';
  end if;

  if p_succeeded then
    update internal.exchange_circuit_breakers b
       set state = 'closed', consecutive_failures = 0, opened_at = null, probe_started_at = null,
           updated_at = v_now
     where b.account_id = p_account_id and (b.state <> 'closed' or b.consecutive_failures <> 0);
    return 'closed';
  end if;

  insert into internal.exchange_circuit_breakers as b
         (account_id, state, consecutive_failures, opened_at, last_failure, updated_at)
  values (p_account_id,
          case when p_failure_threshold <= 1 then 'open' else 'closed' end,
          1,
          case when p_failure_threshold <= 1 then v_now end,
          pg_catalog.left(p_reason, 500),
          v_now)
  on conflict (account_id) do update
     set consecutive_failures = b.consecutive_failures + 1,
         state = case
                   when b.state in ('open', 'half_open') then 'open'
                   when b.consecutive_failures + 1 >= p_failure_threshold then 'open'
                   else 'closed'
                 end,
         opened_at = case
                       when b.state = 'open' then b.opened_at
                       when b.state = 'half_open' or b.consecutive_failures + 1 >= p_failure_threshold then v_now
                       else null
                     end,
         probe_started_at = null,
         last_failure = pg_catalog.left(p_reason, 500),
         updated_at = v_now
  returning b.state into v_state;
  return v_state;
end
$$;
comment on function internal.record_exchange_request(bigint, boolean, timestamptz, integer, text) is
  'Reports an exchange request outcome to the account''s circuit breaker; returns the resulting state.';

-- Request budget: a token bucket per account. Venues limit per account and per IP, and many
-- invocations share one account (and, on Supabase, few egress IPs); a bucket in the database
-- is the only limit they all see. Taking is all-or-nothing under the row lock, so concurrent
-- callers can never spend more than capacity + refill.
create table internal.exchange_request_budgets (
  account_id bigint primary key references public.exchange_accounts (id) on delete cascade,
  capacity numeric not null default 20 check (capacity > 0),
  refill_per_second numeric not null default 10 check (refill_per_second > 0),
  -- both null: a full bucket nobody has drawn from since it was configured
  tokens numeric check (tokens >= 0),
  refilled_at timestamptz,
  updated_at timestamptz not null default now()
);
comment on table internal.exchange_request_budgets is
  'Token bucket per exchange account (capacity, refill per second), shared by every worker invocation.';

-- Sets an account's budget (e.g. from the venue's published limits); the bucket starts full.
create or replace function internal.set_exchange_request_budget(
  p_account_id bigint,
  p_capacity numeric,
  p_refill_per_second numeric
) returns void
language sql security definer set search_path = ''
as $$
  insert into internal.exchange_request_budgets as b (account_id, capacity, refill_per_second, tokens)
  values (p_account_id, p_capacity, p_refill_per_second, null)
  on conflict (account_id) do update
     set capacity = excluded.capacity, refill_per_second = excluded.refill_per_second, tokens = null,
         refilled_at = null, updated_at = pg_catalog.now()
$$;
comment on function internal.set_exchange_request_budget(bigint, numeric, numeric) is
  'Configures the request budget (token bucket) of an exchange account and refills it.';

-- Takes `p_cost` tokens for one request. Returns 0 when taken; otherwise nothing is taken and
-- the answer is how many milliseconds to wait before the bucket holds enough. A clock that runs
-- behind the last caller's refills nothing rather than going negative.
create or replace function internal.take_exchange_request(
  p_account_id bigint,
  p_cost numeric default 1,
  p_now timestamptz default null
) returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  v_now timestamptz := coalesce(p_now, pg_catalog.clock_timestamp());
  v_capacity numeric;
  v_rate numeric;
  v_level numeric;
begin
  if p_cost <= 0 then
    raise exception 'request cost must be positive, got %', p_cost using errcode = 'invalid_parameter_value';
  end if;
  insert into internal.exchange_request_budgets (account_id) values (p_account_id)
  on conflict (account_id) do nothing;

  -- FOR UPDATE: a concurrent caller waits here and then reads the level this caller left.
  select b.capacity, b.refill_per_second,
         least(b.capacity,
               coalesce(b.tokens, b.capacity)
                 + b.refill_per_second * greatest(0, extract(epoch from (v_now - coalesce(b.refilled_at, v_now)))))
    into v_capacity, v_rate, v_level
    from internal.exchange_request_budgets b
   where b.account_id = p_account_id
     for update;
  if p_cost > v_capacity then
    raise exception 'request cost % exceeds the budget capacity % of account %', p_cost, v_capacity, p_account_id
      using errcode = 'invalid_parameter_value';
  end if;

  update internal.exchange_request_budgets b
     set tokens = case when v_level >= p_cost then v_level - p_cost else v_level end,
         refilled_at = greatest(coalesce(b.refilled_at, v_now), v_now),
         updated_at = v_now
   where b.account_id = p_account_id;

  if v_level >= p_cost then
    return 0;
  end if;
  return greatest(1, pg_catalog.ceil((p_cost - v_level) / v_rate * 1000))::integer;
end
$$;
comment on function internal.take_exchange_request(bigint, numeric, timestamptz) is
  'Takes request tokens from an account''s shared budget: 0 when taken, else milliseconds to wait (nothing taken).';

revoke all on internal.exchange_circuit_breakers, internal.exchange_request_budgets from public, anon, authenticated;
revoke execute on function internal.exchange_circuit_permit(bigint, timestamptz, interval, interval),
  internal.record_exchange_request(bigint, boolean, timestamptz, integer, text),
  internal.set_exchange_request_budget(bigint, numeric, numeric),
  internal.take_exchange_request(bigint, numeric, timestamptz)
  from public, anon, authenticated;
