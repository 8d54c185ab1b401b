-- Reference schema of the audited bot (JacobJanuary/TradingBot's 2025 column types: naive
-- `timestamp` positions columns filled by DEFAULT now(), i.e. in the server's TimeZone, as
-- database/DEPLOY_SCHEMA.sql at 9d9879e has them).
-- For the demo and the tests only: pytest-botaudit never creates or alters anything in a
-- user's database. Run with: psql -f sql/schema.sql
CREATE SCHEMA IF NOT EXISTS monitoring;

CREATE TABLE IF NOT EXISTS monitoring.positions (
    id                SERIAL PRIMARY KEY,
    signal_id         INTEGER,
    symbol            VARCHAR(20) NOT NULL,
    exchange          VARCHAR(50) NOT NULL,
    side              VARCHAR(10),
    quantity          NUMERIC(20, 8),
    entry_price       NUMERIC(20, 8),
    current_price     NUMERIC(20, 8),
    stop_loss_price   NUMERIC(20, 8),
    take_profit_price NUMERIC(20, 8),
    unrealized_pnl    NUMERIC(20, 8),
    realized_pnl      NUMERIC(20, 8),
    fees              NUMERIC(20, 8),
    pnl               NUMERIC(20, 8),
    pnl_percentage    NUMERIC(10, 4),
    status            VARCHAR(20) NOT NULL DEFAULT 'active',
    exit_reason       TEXT,
    has_stop_loss     BOOLEAN DEFAULT FALSE,
    has_trailing_stop BOOLEAN DEFAULT FALSE,
    trailing_activated BOOLEAN DEFAULT FALSE,
    leverage          NUMERIC(10, 2),
    error_details     JSONB,
    retry_count       INTEGER DEFAULT 0,
    exchange_order_id VARCHAR(100),
    opened_at         TIMESTAMP DEFAULT now(),
    closed_at         TIMESTAMP,
    updated_at        TIMESTAMP DEFAULT now(),
    created_at        TIMESTAMP DEFAULT now(),
    last_error_at     TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_positions_symbol ON monitoring.positions (symbol);
CREATE INDEX IF NOT EXISTS idx_positions_status ON monitoring.positions (status);
CREATE INDEX IF NOT EXISTS idx_positions_opened_at ON monitoring.positions (opened_at);
CREATE INDEX IF NOT EXISTS idx_positions_exchange_order_id ON monitoring.positions (exchange_order_id);

CREATE TABLE IF NOT EXISTS monitoring.events (
    id             SERIAL PRIMARY KEY,
    event_type     VARCHAR(50) NOT NULL,
    event_data     JSONB,
    correlation_id VARCHAR(100),
    position_id    INTEGER,
    order_id       VARCHAR(100),
    symbol         VARCHAR(50),
    exchange       VARCHAR(50),
    severity       VARCHAR(20) DEFAULT 'INFO',
    error_message  TEXT,
    stack_trace    TEXT,
    created_at     TIMESTAMPTZ DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_events_event_type ON monitoring.events (event_type);
CREATE INDEX IF NOT EXISTS idx_events_position_id ON monitoring.events (position_id);
CREATE INDEX IF NOT EXISTS idx_events_symbol ON monitoring.events (symbol);
CREATE INDEX IF NOT EXISTS idx_events_exchange ON monitoring.events (exchange);
CREATE INDEX IF NOT EXISTS idx_events_severity ON monitoring.events (severity);
CREATE INDEX IF NOT EXISTS idx_events_created_at ON monitoring.events (created_at DESC);
CREATE INDEX IF NOT EXISTS idx_events_correlation_id ON monitoring.events (correlation_id);
CREATE INDEX IF NOT EXISTS idx_events_errors ON monitoring.events (created_at DESC)
    WHERE severity IN ('ERROR', 'CRITICAL');

CREATE TABLE IF NOT EXISTS monitoring.trailing_stop_state (
    id                     BIGSERIAL PRIMARY KEY,
    symbol                 VARCHAR(20) NOT NULL,
    exchange               VARCHAR(50) NOT NULL,
    position_id            BIGINT REFERENCES monitoring.positions (id),
    state                  VARCHAR(20) NOT NULL DEFAULT 'inactive',
    is_activated           BOOLEAN DEFAULT FALSE,
    highest_price          NUMERIC(20, 8),
    lowest_price           NUMERIC(20, 8),
    current_stop_price     NUMERIC(20, 8),
    stop_order_id          VARCHAR(100),
    activation_price       NUMERIC(20, 8),
    activation_percent     NUMERIC(10, 4),
    callback_percent       NUMERIC(10, 4),
    entry_price            NUMERIC(20, 8),
    side                   VARCHAR(10),
    quantity               NUMERIC(20, 8),
    update_count           INTEGER DEFAULT 0,
    highest_profit_percent NUMERIC(10, 4),
    created_at             TIMESTAMPTZ DEFAULT now(),
    activated_at           TIMESTAMPTZ,
    last_update_time       TIMESTAMPTZ,
    last_sl_update_time    TIMESTAMPTZ,
    last_updated_sl_price  NUMERIC(20, 8),
    metadata               JSONB,
    UNIQUE (symbol, exchange)
);
CREATE INDEX IF NOT EXISTS idx_trailing_stop_state_position_id
    ON monitoring.trailing_stop_state (position_id);
