"""A small object-storage interface: Google Cloud Storage in the images, an in-memory fake in tests.

The services talk to buckets only through these four calls, so tests fake GCS here instead of
skipping, and the google-cloud-storage import happens only where a real client is used.
"""

import threading
from typing import Dict, List, Optional, Protocol, Tuple


class NotFoundError(Exception):
    """The bucket or object does not exist (or the account may not see it)."""


class AlreadyExistsError(Exception):
    """create() found an object of that name: prediction logs are never overwritten."""


class Storage(Protocol):
    def read(self, bucket: str, name: str) -> bytes: ...

    def write(self, bucket: str, name: str, data: bytes, content_type: str) -> None: ...

    def create(self, bucket: str, name: str, data: bytes, content_type: str,
               timeout: Optional[float] = None) -> None: ...

    def list(self, bucket: str, prefix: str, limit: Optional[int] = None,
             start_offset: Optional[str] = None) -> List[str]: ...


class GcsStorage:
    """google-cloud-storage behind the Storage interface; the client is made on first use."""

    def __init__(self, client=None):
        self._client = client
        self._lock = threading.Lock()

    def _bucket(self, bucket: str):
        with self._lock:
            if self._client is None:
                from google.cloud import storage  # only in the images, not in Debian

                self._client = storage.Client()
        return self._client.bucket(bucket)

    def read(self, bucket: str, name: str) -> bytes:
        from google.api_core.exceptions import NotFound

        try:
            return self._bucket(bucket).blob(name).download_as_bytes()
        except NotFound as exc:
            raise NotFoundError(f"gs://{bucket}/{name} not found") from exc

    def write(self, bucket: str, name: str, data: bytes, content_type: str) -> None:
        self._bucket(bucket).blob(name).upload_from_string(data, content_type=content_type)

    def create(self, bucket: str, name: str, data: bytes, content_type: str,
               timeout: Optional[float] = None) -> None:
        from google.api_core.exceptions import PreconditionFailed
        from google.cloud.storage.retry import DEFAULT_RETRY

        # `timeout` bounds each HTTP attempt and the retries together, so a caller with a deadline keeps it.
        extra = {"timeout": timeout, "retry": DEFAULT_RETRY.with_timeout(timeout)} if timeout else {}
        try:
            # Generation 0 = only if absent: needs storage.objects.create alone (objectCreator).
            self._bucket(bucket).blob(name).upload_from_string(
                data, content_type=content_type, if_generation_match=0, **extra
            )
        except PreconditionFailed as exc:
            raise AlreadyExistsError(f"gs://{bucket}/{name} exists") from exc

    def list(self, bucket: str, prefix: str, limit: Optional[int] = None,
             start_offset: Optional[str] = None) -> List[str]:
        """Names under `prefix` in name order, from `start_offset` on (one list call per 1000 names)."""
        from google.api_core.exceptions import NotFound

        self._bucket(bucket)  # makes the client
        try:
            blobs = self._client.list_blobs(bucket, prefix=prefix, max_results=limit, start_offset=start_offset)
            return [b.name for b in blobs]
        except NotFound as exc:
            raise NotFoundError(f"gs://{bucket} not found") from exc


class FakeStorage:
    """In-memory buckets for tests and the benchmark; `delay` seconds are spent on every write."""

    def __init__(self, buckets=(), delay: float = 0.0):
        self.objects: Dict[Tuple[str, str], Tuple[bytes, str]] = {}
        self.buckets = set(buckets)
        self.delay = delay
        self.fail_writes = False
        self.list_calls = 0
        self._lock = threading.Lock()

    def _check(self, bucket: str) -> None:
        if bucket not in self.buckets:
            raise NotFoundError(f"gs://{bucket} not found")

    def read(self, bucket: str, name: str) -> bytes:
        self._check(bucket)
        with self._lock:
            if (bucket, name) not in self.objects:
                raise NotFoundError(f"gs://{bucket}/{name} not found")
            return self.objects[(bucket, name)][0]

    def write(self, bucket: str, name: str, data: bytes, content_type: str) -> None:
        self._put(bucket, name, data, content_type, overwrite=True)

    def create(self, bucket: str, name: str, data: bytes, content_type: str,
               timeout: Optional[float] = None) -> None:
        self._put(bucket, name, data, content_type, overwrite=False, timeout=timeout)

    def _put(self, bucket, name, data, content_type, overwrite, timeout=None):
        if self.delay:
            threading.Event().wait(min(self.delay, timeout) if timeout else self.delay)
            if timeout and self.delay > timeout:
                raise TimeoutError(f"fake write slower than its {timeout} s timeout")
        self._check(bucket)
        if self.fail_writes:
            raise OSError("fake write failure")
        if isinstance(data, str):
            data = data.encode()
        with self._lock:
            if not overwrite and (bucket, name) in self.objects:
                raise AlreadyExistsError(f"gs://{bucket}/{name} exists")
            self.objects[(bucket, name)] = (bytes(data), content_type)

    def list(self, bucket: str, prefix: str, limit: Optional[int] = None,
             start_offset: Optional[str] = None) -> List[str]:
        self._check(bucket)
        with self._lock:
            names = sorted(n for b, n in self.objects if b == bucket and n.startswith(prefix)
                           and (start_offset is None or n >= start_offset))
            names = names[:limit] if limit is not None else names
            self.list_calls += 1 + max(len(names) - 1, 0) // 1000  # GCS pages 1,000 names per call
        return names
