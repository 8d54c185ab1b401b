-- Pre-flight: the server's clock against the newest times the bot wrote. A row stamped ahead
-- of now() is a clock or a zone that disagrees (a bot writing naive local time east of UTC
-- into a column read as another zone): every window would miss what it wrote.
SELECT now() AS server_now,
       (SELECT max(e.:"ev_created_at") FROM :"schema".:"events_table" AS e) AS newest_event,
       (SELECT max(:pos_opened_ts) FROM :"schema".:"positions_table" AS p) AS newest_opened;
