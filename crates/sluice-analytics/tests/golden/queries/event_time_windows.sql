-- Flink-style window functions over event time: a stream with a WATERMARK two seconds behind
-- the latest event time, tumbling and hopping windows over it, rows out of order within the
-- watermark counted, a row later than that left out.
CREATE OR REPLACE STREAM "BIDS" (auction INTEGER, price INTEGER, ts TIMESTAMP,
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND);
CREATE OR REPLACE PUMP "IN_PUMP" AS INSERT INTO "BIDS"
    SELECT STREAM "auction", "price", "ts" FROM "SOURCE_SQL_STREAM_001";

CREATE OR REPLACE STREAM "TUMBLED" (auction INTEGER, window_start TIMESTAMP, window_end TIMESTAMP,
    bids BIGINT, top_price INTEGER);
CREATE OR REPLACE PUMP "TUMBLE_PUMP" AS INSERT INTO "TUMBLED"
    SELECT STREAM auction, window_start, window_end, COUNT(*), MAX(price)
    FROM TABLE(TUMBLE(TABLE "BIDS", DESCRIPTOR(ts), INTERVAL '10' SECOND))
    GROUP BY auction, window_start, window_end;

CREATE OR REPLACE STREAM "HOPPED" (window_end TIMESTAMP, bids BIGINT);
CREATE OR REPLACE PUMP "HOP_PUMP" AS INSERT INTO "HOPPED"
    SELECT STREAM window_end, COUNT(*)
    FROM TABLE(HOP(TABLE "BIDS", DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
    WHERE price < 50
    GROUP BY window_start, window_end;

-- Sessions of each auction's bids, a session ending after 3 quiet seconds (Flink's PARTITION BY
-- names the key the GROUP BY has).
CREATE OR REPLACE STREAM "SESSIONS" (auction INTEGER, window_start TIMESTAMP, window_end TIMESTAMP,
    bids BIGINT, total INTEGER);
CREATE OR REPLACE PUMP "SESSION_PUMP" AS INSERT INTO "SESSIONS"
    SELECT STREAM auction, window_start, window_end, COUNT(*), SUM(price)
    FROM TABLE(SESSION(TABLE "BIDS" PARTITION BY auction, DESCRIPTOR(ts), INTERVAL '3' SECOND))
    GROUP BY auction, window_start, window_end;
