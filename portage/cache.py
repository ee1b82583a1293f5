"""The cache backend: Redis through django-redis, which answers "nothing cached" and logs the
error when Redis cannot be reached (`IGNORE_EXCEPTIONS`), so that pages, sign-in and the API
keep working while it is down.

One change: `add` answers True ("stored") when Redis is down, where django-redis answers
None. allauth takes its rate-limit lock and records a used two-factor code with `add`; a
None would refuse every sign-in for as long as Redis is down. So during an outage sign-in
is not rate-limited and a two-factor code could be used twice within its 30 seconds: each
such call is logged.
"""

import logging

from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)


class FailOpenRedisCache(RedisCache):
    def add(self, *args, **kwargs):
        try:
            return self.client.add(*args, **kwargs)
        except ConnectionInterrupted as error:
            logger.error("Cache unreachable, add(%r) taken as stored: %s", args[:1], error)
            return True
