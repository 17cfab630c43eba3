-- The SQL reference's TOP_K_ITEMS_TUMBLING and COUNT_DISTINCT_ITEMS_TUMBLING examples, over
-- 10-second windows: the 2 most traded tickers (most frequent first) and the number of
-- distinct tickers in each window.
CREATE OR REPLACE STREAM DESTINATION_SQL_STREAM (
  "TICKER_SYMBOL" VARCHAR(4),
  "MOST_FREQUENT_VALUES" BIGINT
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM *
        FROM TABLE (TOP_K_ITEMS_TUMBLING(
            CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"),
            'TICKER_SYMBOL',         -- name of column in single quotes
            2,                       -- number of the most frequently occurring values
            10                       -- tumbling window size in seconds
            )
        );

CREATE OR REPLACE STREAM DISTINCT_SQL_STREAM (
    NUMBER_OF_DISTINCT_ITEMS BIGINT);

CREATE OR REPLACE PUMP "DISTINCT_PUMP" AS
   INSERT INTO "DISTINCT_SQL_STREAM"
      SELECT STREAM NUMBER_OF_DISTINCT_ITEMS
      FROM TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(
          CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001" WHERE PRICE > 1),
            'TICKER_SYMBOL',
            10
      )
);
