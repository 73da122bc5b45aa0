"""Django's Redis cache, with one Redis client per connection pool.

Django makes a new `redis.Redis` for every cache command; setting one up (its table
of response callbacks) costs more than the command itself on the signed-in victim's
fast path (victims/portal_cache.py). A client is safe to share between threads, and
its pool makes new connections after a fork, so one per pool does the same work.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(index)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _SharedClientRedisCacheClient
