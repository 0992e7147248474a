-- A turn replayed from an API replica's spool is looked up by its request id first (so that a
-- replay after a crash stores nothing twice).
CREATE INDEX turns_by_request ON turns (request_id);
