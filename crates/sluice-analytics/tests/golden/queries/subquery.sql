-- The SQL reference's exact distinct count: a subquery in FROM, grouped by the outer query.
CREATE OR REPLACE STREAM output_stream (ticker_symbol VARCHAR(4), unique_count BIGINT);

CREATE OR REPLACE PUMP stream_pump AS
INSERT INTO output_stream
SELECT STREAM TICKER_SYMBOL, COUNT(distinct_stream.price) AS unique_count
  FROM (
    SELECT STREAM DISTINCT rowtime as window_time,
      TICKER_SYMBOL,
      CHANGE,
      PRICE,
      STEP((SOURCE_SQL_STREAM_001.rowtime) BY INTERVAL '5' SECOND)
      FROM SOURCE_SQL_STREAM_001) as distinct_stream
  GROUP BY TICKER_SYMBOL,
      STEP((distinct_stream.window_time) BY INTERVAL '5' SECOND);

-- A filter over a projection, the inner query's columns renamed by the alias.
CREATE OR REPLACE STREAM "CHEAP" (t VARCHAR(4), doubled DOUBLE);
CREATE OR REPLACE PUMP "CHEAP_PUMP" AS INSERT INTO "CHEAP"
  SELECT STREAM x.t, x.p2 FROM (
    SELECT STREAM TICKER_SYMBOL, PRICE * 2 FROM "SOURCE_SQL_STREAM_001") AS x(t, p2)
  WHERE x.p2 < 20;
