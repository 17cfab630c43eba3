-- The developer guide's reference data example: each trade joined (LEFT JOIN) with the
-- company name of its ticker from a reference table loaded from S3.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
   ticker_symbol VARCHAR(4),
   "Company" varchar(20),
   sector VARCHAR(12),
   change DOUBLE,
   price DOUBLE);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
   SELECT STREAM ticker_symbol, "c"."Company", sector, change, price
   FROM "SOURCE_SQL_STREAM_001" LEFT JOIN "CompanyName" as "c"
   ON "SOURCE_SQL_STREAM_001".ticker_symbol = "c"."Ticker";

-- An inner join drops the trades with no company.
CREATE OR REPLACE STREAM "KNOWN" (ticker VARCHAR(4), company VARCHAR(20), price DOUBLE);
CREATE OR REPLACE PUMP "KNOWN_PUMP" AS INSERT INTO "KNOWN"
   SELECT STREAM s.ticker_symbol, c."Company", s.price
   FROM "SOURCE_SQL_STREAM_001" AS s JOIN "CompanyName" AS c ON c."Ticker" = s.ticker_symbol
   WHERE s.price > 10;
