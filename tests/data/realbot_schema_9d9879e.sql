-- The tables of JacobJanuary/TradingBot that the audit reads, with the column types and
-- defaults of its 2025 schema (database/DEPLOY_SCHEMA.sql at 9d9879e, "FROM PRODUCTION"):
-- positions' timestamps are `timestamp without time zone` filled by DEFAULT NOW() (the
-- server's TimeZone), events and trailing_stop_state are timestamptz. Written for the tests
-- from those facts (the columns the audit does not read are left out).
CREATE SCHEMA IF NOT EXISTS monitoring;

CREATE TABLE monitoring.positions (
    id                 SERIAL PRIMARY KEY,
    signal_id          INTEGER,
    symbol             VARCHAR(20) NOT NULL,
    exchange           VARCHAR(50) NOT NULL,
    side               VARCHAR(10) NOT NULL,
    quantity           NUMERIC(20, 8) NOT NULL,
    entry_price        NUMERIC(20, 8) NOT NULL,
    current_price      NUMERIC(20, 8),
    stop_loss_price    NUMERIC(20, 8),
    unrealized_pnl     NUMERIC(20, 8),
    realized_pnl       NUMERIC(20, 8),
    status             VARCHAR(20) NOT NULL DEFAULT 'active',
    exit_reason        TEXT,
    opened_at          TIMESTAMP DEFAULT NOW(),
    closed_at          TIMESTAMP,
    updated_at         TIMESTAMP DEFAULT NOW(),
    leverage           NUMERIC(10, 2) DEFAULT 1.0,
    pnl                NUMERIC(20, 8),
    pnl_percentage     NUMERIC(10, 4),
    trailing_activated BOOLEAN DEFAULT FALSE,
    created_at         TIMESTAMP DEFAULT NOW(),
    has_trailing_stop  BOOLEAN DEFAULT FALSE,
    has_stop_loss      BOOLEAN DEFAULT FALSE,
    exchange_order_id  VARCHAR(100)
);
CREATE INDEX idx_positions_symbol ON monitoring.positions (symbol);
CREATE INDEX idx_positions_status ON monitoring.positions (status);
CREATE INDEX idx_positions_opened_at ON monitoring.positions (opened_at);
CREATE UNIQUE INDEX idx_unique_active_position ON monitoring.positions (symbol, exchange)
    WHERE status = 'active';

CREATE TABLE monitoring.events (
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
    created_at     TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_events_type ON monitoring.events (event_type);
CREATE INDEX idx_events_position ON monitoring.events (position_id);
CREATE INDEX idx_events_symbol ON monitoring.events (symbol) WHERE symbol IS NOT NULL;
CREATE INDEX idx_events_exchange ON monitoring.events (exchange) WHERE exchange IS NOT NULL;
CREATE INDEX idx_events_severity ON monitoring.events (severity);
CREATE INDEX idx_events_created ON monitoring.events (created_at DESC);
CREATE INDEX idx_events_errors ON monitoring.events (created_at DESC)
    WHERE severity IN ('ERROR', 'CRITICAL');

CREATE TABLE monitoring.trailing_stop_state (
    id                 BIGSERIAL PRIMARY KEY,
    symbol             VARCHAR(20) NOT NULL,
    exchange           VARCHAR(50) NOT NULL,
    position_id        BIGINT REFERENCES monitoring.positions (id) ON DELETE CASCADE,
    state              VARCHAR(20) NOT NULL DEFAULT 'inactive',
    is_activated       BOOLEAN NOT NULL DEFAULT FALSE,
    current_stop_price NUMERIC(20, 8),
    entry_price        NUMERIC(20, 8) NOT NULL,
    side               VARCHAR(10) NOT NULL,
    quantity           NUMERIC(20, 8) NOT NULL,
    update_count       INTEGER DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    activated_at       TIMESTAMPTZ,
    last_sl_update_time TIMESTAMPTZ,
    UNIQUE (symbol, exchange)
);

CREATE TABLE monitoring.transaction_log (
    id             SERIAL PRIMARY KEY,
    transaction_id VARCHAR(100) UNIQUE,
    operation      VARCHAR(100),
    status         VARCHAR(20),
    started_at     TIMESTAMPTZ,
    completed_at   TIMESTAMPTZ,
    duration_ms    INTEGER,
    affected_rows  INTEGER,
    error_message  TEXT
);
