"""Documents the library keeps (a dossier's PDFs and images): a small storage protocol with a
local folder as the default and an S3-compatible object store as an option.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from participatie.errors import MissingExtra, NotFound, ParticipatieError

#: Keys are made by the library: lower-case letters, digits, dashes, dots and slashes
#: between parts; never ``..``, never absolute.
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")


class DocumentSettings(BaseModel):
    """Where stored documents live and how large one may be (``Settings.documents``)."""

    model_config = ConfigDict(frozen=True)

    #: "local": a folder on this server (default); "s3": an S3-compatible object store
    #: (needs the ``s3`` extra: boto3).
    backend: Literal["local", "s3"] = "local"
    #: The local folder (created on first use, owner-only). Relative paths are taken from
    #: the working directory of the process.
    folder: Path = Path("participatie-documenten")
    #: Largest upload, in bytes (10 MB, the limit residents of the seeds asked for).
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    #: S3: bucket, optional endpoint (MinIO, Ceph, a Dutch cloud), region, key prefix.
    #: Credentials come from boto3's usual places (environment, profile, instance role).
    s3_bucket: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_prefix: str = "participatie/"


class DocumentMissing(NotFound):
    """No stored document under this key."""

    code = "document.missing"


class StorageUnavailable(ParticipatieError):
    """The document store cannot be reached now; nothing was stored, trying again is safe.

    A folder that cannot be written, an S3 service that is down or refuses the keys.
    """

    code = "storage.unavailable"
    status = 503


@runtime_checkable
class DocumentStore(Protocol):
    """What the library needs of a place to keep files: bytes in and out by key.

    ``put`` overwrites; ``get``, ``size`` raise :class:`DocumentMissing` (code
    ``document.missing``) for an unknown key; ``delete`` of an unknown key does nothing.
    """

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def size(self, key: str) -> int: ...


def check_key(key: str) -> str:
    """``key`` if it is a key the library makes; ValueError otherwise (no ``..``, no
    absolute paths: a key can never point outside the store)."""

    if not _KEY.match(key) or ".." in key.split("/") or len(key) > 255:
        raise ValueError(f"not a document key: {key!r}")
    return key


def new_key(prefix: str, suffix: str) -> str:
    """A fresh unguessable key such as ``dossiers/<id>/3f9c...e1.pdf``."""

    return check_key(f"{prefix.strip('/')}/{secrets.token_hex(16)}{suffix}".lower())


class LocalStore:
    """Files in a folder, one per key (sub-folders for the key's parts); owner-only."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Written aside and renamed: a reader never sees half a file.
            partial = path.with_name(path.name + ".part")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(partial, path)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write {path}: {exc.strerror}") from exc

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise DocumentMissing(f"no document {key!r}", field="key") from None
        except OSError as exc:
            raise StorageUnavailable(f"cannot read {key!r}: {exc.strerror}") from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot delete {key!r}: {exc.strerror}") from exc

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise DocumentMissing(f"no document {key!r}", field="key") from None


class S3Store:
    """Objects in an S3-compatible bucket through boto3 (the ``s3`` extra)."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        if not bucket:
            raise ValueError("the S3 store needs a bucket (documents.s3_bucket)")
        self.bucket = bucket
        self.prefix = prefix
        if client is None:
            try:
                import boto3
            except ImportError:  # pragma: no cover - depends on the installed extras
                raise MissingExtra(
                    "the S3 document store needs boto3: pip install 'participatie[s3]'"
                ) from None
            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self.client = client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, key: str, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, Key=self._key(key), **kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if str(error.get("Code")) in ("404", "NoSuchKey", "NotFound"):
                raise DocumentMissing(f"no document {key!r}", field="key") from None
            raise StorageUnavailable(f"S3 {method} {key!r}: {error.get('Code')}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 {method} {key!r}: {exc}") from exc

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._call(key, "put_object", Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        body: bytes = self._call(key, "get_object")["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self._call(key, "delete_object")

    def size(self, key: str) -> int:
        return int(self._call(key, "head_object")["ContentLength"])


def open_store(settings: DocumentSettings) -> DocumentStore:
    """The store the settings name."""

    if settings.backend == "s3":
        return S3Store(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
        )
    return LocalStore(settings.folder)


__all__ = [
    "DocumentMissing",
    "DocumentSettings",
    "DocumentStore",
    "LocalStore",
    "S3Store",
    "StorageUnavailable",
    "check_key",
    "new_key",
    "open_store",
]
