-- One row per article id: the latest version delivered. Typed columns for what people filter on; the whole
-- record, as delivered to the JSONL file and the stream, in `record`.
CREATE TABLE articles (
    id           text PRIMARY KEY,
    job_id       text NOT NULL,
    -- The input (file path, URL, WARC record) the row came from: with job_id, what makes a delivery
    -- repeatable without a second write (see newsmill/sinks/postgres.py).
    input        text NOT NULL,
    url          text,
    title        text,
    published    timestamptz,
    language     text,
    country      text,
    status       text NOT NULL,
    reason       text,
    site_name    text,
    word_count   integer,
    content_hash text,
    record       jsonb NOT NULL,
    -- Full text of title and body with the 'simple' configuration (no stemming: articles come in many
    -- languages). The body is cut at 100,000 characters because a tsvector holds at most 1 MB, and a
    -- longer one would refuse the whole row.
    search       tsvector GENERATED ALWAYS AS (
                     to_tsvector('simple', coalesce(title, '') || ' ' || left(coalesce(record->>'text', ''), 100000))
                 ) STORED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- jsonb_path_ops: smaller than the default operator class, and serves the containment queries
-- (record @> '{"places": [{"country": "SY"}]}') that the typed columns do not cover.
CREATE INDEX articles_record_idx ON articles USING gin (record jsonb_path_ops);
CREATE INDEX articles_search_idx ON articles USING gin (search);
CREATE INDEX articles_published_idx ON articles (published);
CREATE INDEX articles_language_country_idx ON articles (language, country);
CREATE INDEX articles_job_idx ON articles (job_id);
CREATE INDEX articles_url_idx ON articles (url);
