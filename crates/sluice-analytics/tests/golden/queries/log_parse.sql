-- The log parsing examples of the developer guide and the SQL reference: W3C_LOG_PARSE with
-- the COMMON format read through a subquery's alias columns (l.r.COLUMN1), REGEX_LOG_PARSE
-- through an item alias (T.REC.COLUMN1), VARIABLE_COLUMN_LOG_PARSE with named columns.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
column1 VARCHAR(16),
column2 VARCHAR(16),
column3 VARCHAR(16),
column4 VARCHAR(32),
column5 VARCHAR(40),
column6 VARCHAR(16),
column7 VARCHAR(16));

CREATE OR REPLACE PUMP "myPUMP" AS
INSERT INTO "DESTINATION_SQL_STREAM"
        SELECT STREAM
            l.r.COLUMN1,
            l.r.COLUMN2,
            l.r.COLUMN3,
            l.r.COLUMN4,
            l.r.COLUMN5,
            l.r.COLUMN6,
            l.r.COLUMN7
        FROM (SELECT STREAM W3C_LOG_PARSE("log", 'COMMON')
              FROM "SOURCE_SQL_STREAM_001") AS l(r);

CREATE OR REPLACE STREAM "REGEX_STREAM" (logentry VARCHAR(24), match1 VARCHAR(24), match2 VARCHAR(24));

CREATE OR REPLACE PUMP "REGEX_PUMP" AS INSERT INTO "REGEX_STREAM"
    SELECT STREAM T."entry", T.REC.COLUMN1, T.REC.COLUMN2
    FROM
         (SELECT STREAM "entry",
             REGEX_LOG_PARSE("entry", '(\w+) (\d+) (\w+) (\w+)') AS REC
             FROM SOURCE_SQL_STREAM_001) AS T;

CREATE OR REPLACE STREAM "COLUMNS_STREAM" ("column_A" VARCHAR(16), "COL_1" VARCHAR(16), "COL_2" VARCHAR(16), "COL_3" VARCHAR(16));

CREATE OR REPLACE PUMP "SECOND_STREAM_PUMP" AS
INSERT INTO "COLUMNS_STREAM"
   SELECT STREAM  t."entry", t.r."COL_1", t.r."COL_2", t.r."COL_3"
   FROM (SELECT STREAM
           "entry",
           VARIABLE_COLUMN_LOG_PARSE ("csv",
                                     'COL_1 TYPE VARCHAR(16), COL_2 TYPE VARCHAR(16), COL_3 TYPE VARCHAR(16)',
                                     ',') AS r
         FROM "SOURCE_SQL_STREAM_001") as t;
