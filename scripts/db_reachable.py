"""Exit 0 when the database or Redis at the given URL accepts connections.

Used by `make test-pg` and `make test-rq`. For PostgreSQL, connecting to the server's
`postgres` database is enough: the test runner creates its own test database. For Redis, a
PING answered.
"""

from __future__ import annotations

import sys
from urllib.parse import urlparse


def main(url: str) -> int:
    parsed = urlparse(url)
    if parsed.scheme in {"redis", "rediss", "unix"}:
        import redis

        try:
            return 0 if redis.Redis.from_url(url, socket_connect_timeout=3).ping() else 1
        except redis.RedisError:
            return 1
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        return 0
    try:
        import psycopg
    except ImportError:
        return 1
    try:
        with psycopg.connect(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password or None,
            dbname="postgres",
            connect_timeout=3,
        ):
            return 0
    except psycopg.Error:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
