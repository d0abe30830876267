-- vitals schema, version 21: stream tickets shared by the replicas of a site. A browser asks one
-- replica for a ticket and may open its stream at another behind the same load balancer; the
-- ticket is taken (DELETE ... RETURNING) by whichever replica sees it first, so it still opens
-- one stream only. Only the SHA-256 of the token is stored. Expired rows are removed by the
-- replicas as they issue tickets.
CREATE TABLE stream_tickets (
  token_hash text PRIMARY KEY,
  actor      text NOT NULL,
  role       text NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE INDEX stream_tickets_expiry_idx ON stream_tickets (expires_at);
